// Serialises a response head and body into a connection's output buffer.

enum ResponseWriter {
    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `headOnly` answers a HEAD request: the same head (Content-Length included), no body.
    static func append(_ response: HTTPResponse, keepAlive: Bool, headOnly: Bool, date: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + 160 + response.body.count)
        out.append(contentsOf: statusLine(response.status))
        append("Date: ", to: &out)
        out.append(contentsOf: date)
        append("\r\nContent-Length: ", to: &out)
        appendDecimal(response.body.count, to: &out)
        append("\r\n", to: &out)
        for (name, value) in response.headers where !isFramingHeader(name) {
            append(name, to: &out)
            append(": ", to: &out)
            append(value, to: &out)
            append("\r\n", to: &out)
        }
        if !keepAlive { append("Connection: close\r\n", to: &out) }
        append("\r\n", to: &out)
        if !headOnly { out.append(contentsOf: response.body) }
    }

    // Copied as buffers: appending a `utf8` view goes a byte at a time.
    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    private static let ok = Array("HTTP/1.1 200 OK\r\n".utf8)

    private static func statusLine(_ status: Int) -> [UInt8] {
        status == 200 ? ok : Array("HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n".utf8)
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// The server owns framing and connection management; handlers cannot set them.
    private static func isFramingHeader(_ name: String) -> Bool {
        framingHeaders.contains { HTTPHeaders.sameName(name, $0) }
    }

    private static let framingHeaders = ["Content-Length", "Transfer-Encoding", "Connection", "Date"]
}

/// The IMF-fixdate for the Date header, recomputed at most once a second per loop.
struct DateCache {
    private var second = -1
    private(set) var value: [UInt8] = []

    mutating func update(nowSeconds: Int) {
        guard nowSeconds != second else { return }
        second = nowSeconds
        var t = nowSeconds
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 40)
        strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &tm)
        value = Array(string(fromCBuffer: buffer).utf8)
    }
}

import Glibc
import Posix
