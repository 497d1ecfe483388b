// The handler surface: a request in (method, path, query, headers, body), a response out.

public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// The first value of a header, by case-insensitive name.
    public subscript(name: String) -> String? {
        for field in fields where Self.sameName(field.name, name) { return field.value }
        return nil
    }

    /// Header names compare in any ASCII case (they are tokens: no other letters), without
    /// making lowercased copies: every request looks up a few.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var (a, b) = (a, b)
        return a.withUTF8 { x in b.withUTF8 { y in sameName(x, y) } }
    }

    /// Read as buffers: comparing the `utf8` views goes through generic iterators.
    static func sameName(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        guard x.count == y.count else { return false }
        for i in 0..<x.count where asciiLowercased(x[i]) != asciiLowercased(y[i]) { return false }
        return true
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var keepAlive: Bool

    public init(method: String, path: String, query: String = "", headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], minorVersion: Int = 1, keepAlive: Bool = true) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.minorVersion = minorVersion
        self.keepAlive = keepAlive
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A one-line plain-text answer, as every error of ours is.
    public static func text(_ status: Int, _ message: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array((message + "\n").utf8))
    }
}

/// Called on an event-loop thread for each complete request, in order per connection.
/// Admission decisions take microseconds, so handlers run inline rather than on another pool.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse
    /// True for a request whose answer may take longer than an event loop may be held: it is
    /// handled on the server's worker thread, and the connection waits for it.
    func runsOffLoop(_ request: HTTPRequest) -> Bool
}

extension HTTPHandler {
    public func runsOffLoop(_ request: HTTPRequest) -> Bool { false }
}

public struct HTTPStatus {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// Whether `bytes` spell `name` in any ASCII case (header names, media types).
func asciiLowercaseEquals(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
    HTTPHeaders.sameName(bytes, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
}

/// An ASCII capital letter as its small one; every other byte as it is. Header names and media
/// types compare in any case this way, without lowercased copies.
@inline(__always)
func asciiLowercased(_ c: UInt8) -> UInt8 {
    c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
}

extension HTTPRequest {
    /// Whether the Content-Type is one of `types` (given in lowercase), in any case, with or
    /// without parameters such as `; charset=utf-8`. Runs on every request: no allocation.
    public func hasMediaType(_ types: [StaticString]) -> Bool {
        guard var value = headers["Content-Type"] else { return false }
        return value.withUTF8 { v in
            types.contains { type in
                let n = type.utf8CodeUnitCount
                guard v.count >= n, asciiLowercaseEquals(UnsafeBufferPointer(rebasing: v[0..<n]), type) else { return false }
                return v.count == n || v[n] == UInt8(ascii: ";") || v[n] == UInt8(ascii: " ") || v[n] == UInt8(ascii: "\t")
            }
        }
    }
}
