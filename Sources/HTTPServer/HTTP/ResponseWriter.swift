// Serialises a response head and body into a connection's output buffer.

enum ResponseWriter {
    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `headOnly` answers a HEAD request: the same head (Content-Length included), no body.
    static func append(_ response: HTTPResponse, keepAlive: Bool, headOnly: Bool, date: String, to out: inout [UInt8]) {
        var head = "HTTP/1.1 \(response.status) \(HTTPStatus.reason(response.status))\r\n"
        head += "Date: \(date)\r\n"
        head += "Content-Length: \(response.body.count)\r\n"
        for (name, value) in response.headers where !isFramingHeader(name) {
            head += name
            head += ": "
            head += value
            head += "\r\n"
        }
        if !keepAlive { head += "Connection: close\r\n" }
        head += "\r\n"
        out.append(contentsOf: head.utf8)
        if !headOnly { out.append(contentsOf: response.body) }
    }

    /// The server owns framing and connection management; handlers cannot set them.
    private static func isFramingHeader(_ name: String) -> Bool {
        switch name.lowercased() {
        case "content-length", "transfer-encoding", "connection", "date": return true
        default: return false
        }
    }
}

/// The IMF-fixdate for the Date header, recomputed at most once a second per loop.
struct DateCache {
    private var second = -1
    private(set) var value = ""

    mutating func update(nowSeconds: Int) {
        guard nowSeconds != second else { return }
        second = nowSeconds
        var t = nowSeconds
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 40)
        strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &tm)
        value = string(fromCBuffer: buffer)
    }
}

import Glibc
