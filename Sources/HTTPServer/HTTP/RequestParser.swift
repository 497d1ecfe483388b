// Incremental HTTP/1.1 request parser. Strict where leniency enables request smuggling: CRLF line
// ends only, no obs-fold, no whitespace before a colon, one Content-Length, never both framings.
import Glibc

public struct HTTPParseError: Error, Equatable, Sendable {
    public let status: Int
    public let reason: String
}

public struct RequestParser {
    public enum Event {
        case needMore
        /// Headers are in and the client waits for "100 Continue" before it sends the body.
        case expectContinue
        case request(HTTPRequest)
        case error(HTTPParseError)
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
    }

    let limits: HTTPLimits
    private var state = State.head
    private var pending: HTTPRequest?
    private var scanned = 0  // bytes of the head already searched for its end

    public init(limits: HTTPLimits) { self.limits = limits }

    /// True between requests: nothing of the next request has been parsed yet.
    var isIdle: Bool {
        if case .head = state, pending == nil { return true }
        return false
    }

    var isReadingBody: Bool {
        if case .head = state { return false }
        return true
    }

    /// Parses from `buffer[start...]`, advancing `start` past what it consumed.
    public mutating func parse(_ buffer: [UInt8], _ start: inout Int) -> Event {
        buffer.withUnsafeBufferPointer { parse($0, &start) }
    }

    public mutating func parse(_ b: UnsafeBufferPointer<UInt8>, _ start: inout Int) -> Event {
        while true {
            switch state {
            case .head:
                // Tolerate empty lines before a request line (RFC 9112 2.2).
                while scanned == 0, start + 1 < b.count, b[start] == 13, b[start + 1] == 10 { start += 2 }
                switch findHeadEnd(b, start) {
                case .failure(let error): return .error(error)
                case .success(nil): return .needMore
                case .success(let end?):
                    scanned = 0
                    switch parseHead(b, start, end) {
                    case .failure(let error): return .error(error)
                    case .success(let (request, framing)):
                        start = end + 4
                        pending = request
                        switch framing {
                        case .none: return finish()
                        case .length(let n):
                            if n == 0 { return finish() }
                            pending!.body.reserveCapacity(n)
                            state = .body(remaining: n)
                        case .chunked:
                            state = .chunkSize
                        }
                        if let expect = request.headers["Expect"] {
                            guard expect.lowercased() == "100-continue" else {
                                return .error(HTTPParseError(status: 417, reason: "unsupported Expect: \(expect)"))
                            }
                            return .expectContinue
                        }
                    }
                }

            case .body(let remaining):
                let take = min(remaining, b.count - start)
                if take == 0 { return .needMore }
                pending!.body.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<start + take]))
                start += take
                if take == remaining { return finish() }
                state = .body(remaining: remaining - take)
                return .needMore

            case .chunkSize:
                guard let lineEnd = findCRLF(b, start, limit: 1024) else {
                    if b.count - start > 1024 { return .error(HTTPParseError(status: 400, reason: "chunk size line too long")) }
                    return .needMore
                }
                var size = 0
                var i = start
                var digits = 0
                while i < lineEnd, let digit = hexValue(b[i]) {
                    size = size &* 16 &+ digit
                    digits += 1
                    i += 1
                    if digits > 8 { return .error(HTTPParseError(status: 413, reason: "chunk too large")) }
                }
                // Chunk extensions (";name=value") are allowed and ignored; nothing else may follow.
                if digits == 0 || (i < lineEnd && b[i] != UInt8(ascii: ";")) {
                    return .error(HTTPParseError(status: 400, reason: "invalid chunk size"))
                }
                start = lineEnd + 2
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    if pending!.body.count + size > limits.maxBodyBytes {
                        return .error(HTTPParseError(status: 413, reason: "request body exceeds \(limits.maxBodyBytes) bytes"))
                    }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                let take = min(remaining, b.count - start)
                if take == 0 { return .needMore }
                pending!.body.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<start + take]))
                start += take
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
                if take < remaining { return .needMore }

            case .chunkDataEnd:
                if b.count - start < 2 { return .needMore }
                guard b[start] == 13, b[start + 1] == 10 else {
                    return .error(HTTPParseError(status: 400, reason: "chunk data not followed by CRLF"))
                }
                start += 2
                state = .chunkSize

            case .trailers(let bytes):
                // Trailer fields are read and dropped; an empty line ends the message.
                guard let lineEnd = findCRLF(b, start, limit: limits.maxHeaderBytes) else {
                    if bytes + b.count - start > limits.maxHeaderBytes {
                        return .error(HTTPParseError(status: 431, reason: "trailer fields too large"))
                    }
                    return .needMore
                }
                let length = lineEnd - start
                start = lineEnd + 2
                if length == 0 { return finish() }
                if bytes + length > limits.maxHeaderBytes {
                    return .error(HTTPParseError(status: 431, reason: "trailer fields too large"))
                }
                state = .trailers(bytes: bytes + length + 2)
            }
        }
    }

    private mutating func finish() -> Event {
        state = .head
        let request = pending!
        pending = nil
        return .request(request)
    }

    private func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 65...70: return Int(c - 55)
        case 97...102: return Int(c - 87)
        default: return nil
        }
    }

    private func findCRLF(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, limit: Int) -> Int? {
        var i = start
        let end = min(b.count - 1, start + limit + 1)
        while i < end {
            if b[i] == 13 && b[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Index of the CRLFCRLF ending the head, nil when more bytes are needed.
    private mutating func findHeadEnd(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Result<Int?, HTTPParseError> {
        var i = start + scanned
        var sawLineEnd = false
        var j = start
        while j < i { if b[j] == 10 { sawLineEnd = true; break }; j += 1 }
        // From line end to line end: memchr finds the next LF many bytes at a time. The head may
        // not run past maxHeaderBytes: its last LF must sit at most that far from its start.
        while i < b.count, let lf = memchr(b.baseAddress! + i, 10, b.count - i) {
            i = b.baseAddress!.distance(to: lf.assumingMemoryBound(to: UInt8.self))
            // The limits first: read byte by byte, the bytes before this LF already broke them.
            if i - start > limits.maxHeaderBytes { return tooLong(sawLineEnd) }
            if !sawLineEnd && i - start > limits.maxRequestLineBytes {
                return .failure(requestLineTooLong)
            }
            if i == start || b[i - 1] != 13 {
                return .failure(HTTPParseError(status: 400, reason: "bare LF in request head"))
            }
            sawLineEnd = true
            if i >= start + 3 && b[i - 2] == 10 && b[i - 3] == 13 { return .success(i - 3) }
            i += 1
        }
        if b.count - start > limits.maxHeaderBytes { return tooLong(sawLineEnd) }
        if !sawLineEnd && b.count - start > limits.maxRequestLineBytes { return .failure(requestLineTooLong) }
        // Resume the search a little before the end: the terminator may straddle reads.
        scanned = max(0, b.count - start - 3)
        return .success(nil)
    }

    /// Past maxHeaderBytes: the request line's limit if the head is still on its first line.
    private func tooLong(_ sawLineEnd: Bool) -> Result<Int?, HTTPParseError> {
        if !sawLineEnd { return .failure(requestLineTooLong) }
        return .failure(HTTPParseError(status: 431, reason: "request headers exceed \(limits.maxHeaderBytes) bytes"))
    }

    private var requestLineTooLong: HTTPParseError {
        HTTPParseError(status: 414, reason: "request line exceeds \(limits.maxRequestLineBytes) bytes")
    }

    private enum Framing { case none, length(Int), chunked }

    private func parseHead(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Result<(HTTPRequest, Framing), HTTPParseError> {
        func fail(_ status: Int, _ reason: String) -> Result<(HTTPRequest, Framing), HTTPParseError> {
            .failure(HTTPParseError(status: status, reason: reason))
        }
        // Request line: method SP request-target SP HTTP-version
        var lineEnd = start
        while b[lineEnd] != 13 { lineEnd += 1 }
        if lineEnd - start > limits.maxRequestLineBytes {
            return .failure(requestLineTooLong)
        }
        var i = start
        while i < lineEnd && isTokenChar(b[i]) { i += 1 }
        guard i > start, i < lineEnd, b[i] == 32 else { return fail(400, "malformed request line") }
        let method = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        let targetStart = i + 1
        i = targetStart
        while i < lineEnd && b[i] > 32 && b[i] < 127 { i += 1 }
        guard i > targetStart, i < lineEnd, b[i] == 32 else { return fail(400, "malformed request target") }
        let targetEnd = i
        let version = String(decoding: UnsafeBufferPointer(rebasing: b[(i + 1)..<lineEnd]), as: UTF8.self)
        let minor: Int
        switch version {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default:
            let v = Array(version.utf8)
            if v.count == 8, version.hasPrefix("HTTP/"), (48...57).contains(v[5]), v[6] == 46, (48...57).contains(v[7]) {
                return fail(505, "HTTP version \(version) is not supported; use HTTP/1.1")
            }
            return fail(400, "malformed HTTP version")
        }
        guard b[targetStart] == UInt8(ascii: "/") else { return fail(400, "request target must be an absolute path") }
        var queryStart = targetEnd
        var k = targetStart
        while k < targetEnd { if b[k] == UInt8(ascii: "?") { queryStart = k; break }; k += 1 }
        let path = String(decoding: UnsafeBufferPointer(rebasing: b[targetStart..<queryStart]), as: UTF8.self)
        let query = queryStart < targetEnd
            ? String(decoding: UnsafeBufferPointer(rebasing: b[(queryStart + 1)..<targetEnd]), as: UTF8.self) : ""

        // Header fields
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(8)  // a webhook request has five or six: no regrowth
        var contentLength: Int? = nil
        var transferEncoding: String? = nil
        var hostCount = 0
        var connectionTokens: [String] = []
        var p = lineEnd + 2
        while p < end + 2 {
            var e = p
            while b[e] != 13 { e += 1 }
            if b[p] == 32 || b[p] == 9 { return fail(400, "obsolete header line folding") }
            var c = p
            while c < e && isTokenChar(b[c]) { c += 1 }
            guard c > p, c < e, b[c] == UInt8(ascii: ":") else { return fail(400, "malformed header field") }
            let name = String(decoding: UnsafeBufferPointer(rebasing: b[p..<c]), as: UTF8.self)
            var vs = c + 1
            var ve = e
            while vs < ve && (b[vs] == 32 || b[vs] == 9) { vs += 1 }
            while ve > vs && (b[ve - 1] == 32 || b[ve - 1] == 9) { ve -= 1 }
            for x in vs..<ve where b[x] == 0 || b[x] == 13 || b[x] == 10 || (b[x] < 32 && b[x] != 9) || b[x] == 127 {
                return fail(400, "invalid character in header \(name)")
            }
            let value = String(decoding: UnsafeBufferPointer(rebasing: b[vs..<ve]), as: UTF8.self)
            headers.append((name, value))
            if headers.count > limits.maxHeaderCount {
                return fail(431, "more than \(limits.maxHeaderCount) header fields")
            }
            let field = UnsafeBufferPointer(rebasing: b[p..<c])
            switch field.count {
            case 14 where asciiLowercaseEquals(field, "content-length"):
                guard contentLength == nil else { return fail(400, "duplicate Content-Length") }
                guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(value) else {
                    return fail(400, "invalid Content-Length")
                }
                contentLength = n
            case 17 where asciiLowercaseEquals(field, "transfer-encoding"):
                guard transferEncoding == nil else { return fail(400, "duplicate Transfer-Encoding") }
                transferEncoding = value.lowercased()
            case 4 where asciiLowercaseEquals(field, "host"):
                hostCount += 1
            case 10 where asciiLowercaseEquals(field, "connection"):
                connectionTokens += value.lowercased().split(separator: ",").map { $0.trimmingSpaces }
            default:
                break
            }
            p = e + 2
        }

        if minor == 1 && hostCount != 1 { return fail(400, hostCount == 0 ? "missing Host header" : "duplicate Host header") }
        let keepAlive = minor == 1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        var request = HTTPRequest(method: method, path: path, query: query, headers: HTTPHeaders(headers),
                                  minorVersion: minor, keepAlive: keepAlive)
        let framing: Framing
        if let te = transferEncoding {
            if contentLength != nil { return fail(400, "both Content-Length and Transfer-Encoding") }
            if minor == 0 { return fail(400, "Transfer-Encoding in an HTTP/1.0 request") }
            guard te == "chunked" else { return fail(501, "unsupported Transfer-Encoding: \(te)") }
            framing = .chunked
        } else if let n = contentLength {
            if n > limits.maxBodyBytes { return fail(413, "request body of \(n) bytes exceeds \(limits.maxBodyBytes)") }
            framing = .length(n)
        } else if method == "POST" || method == "PUT" || method == "PATCH" {
            return fail(411, "\(method) needs Content-Length or chunked Transfer-Encoding")
        } else {
            framing = .none
        }
        request.body = []
        return .success((request, framing))
    }

    private func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
