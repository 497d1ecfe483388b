// The request parser, fed bytes directly: every truncated prefix of valid requests, each
// rejection with its status, and request-smuggling framings.
@testable import HTTPServer
import XCTest

final class RequestParserTests: XCTestCase {
    static let validRequests: [String] = [
        "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /mutate?timeout=10s HTTP/1.1\r\nHost: sparkhook.svc:443\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"kind\":\"x\"}\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "HEAD /hello HTTP/1.0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    ]

    func parseAll(_ text: String, limits: HTTPLimits = HTTPLimits()) -> [RequestParser.Event] {
        var parser = RequestParser(limits: limits)
        let bytes = Array(text.utf8)
        var start = 0
        var events: [RequestParser.Event] = []
        while true {
            let event = parser.parse(bytes, &start)
            events.append(event)
            switch event {
            case .needMore, .error: return events
            case .request, .expectContinue: continue
            }
        }
    }

    func request(_ text: String) throws -> HTTPRequest {
        for event in parseAll(text) {
            if case .request(let request) = event { return request }
        }
        throw NoRequest(text: text)  // a failure: a parser that stops giving requests must not skip its tests
    }

    struct NoRequest: Error { let text: String }

    func error(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseError? {
        for event in parseAll(text, limits: limits) {
            if case .error(let e) = event { return e }
        }
        return nil
    }

    func testEveryTruncatedPrefixNeedsMoreAndTheWholeParses() {
        for text in Self.validRequests {
            let bytes = Array(text.utf8)
            for cut in 0..<bytes.count {
                var parser = RequestParser(limits: HTTPLimits())
                var start = 0
                let prefix = Array(bytes[0..<cut])
                var event = parser.parse(prefix, &start)
                while case .expectContinue = event { event = parser.parse(prefix, &start) }
                guard case .needMore = event else {
                    return XCTFail("prefix of \(cut) bytes of \(text.debugDescription) gave \(event), not needMore")
                }
            }
            XCTAssertNoThrow(try request(text), text)
        }
    }

    func testBytesArrivingOneAtATimeGiveTheSameRequest() throws {
        for text in Self.validRequests {
            let whole = try request(text)
            var parser = RequestParser(limits: HTTPLimits())
            var buffer: [UInt8] = []
            var start = 0
            var got: HTTPRequest?
            for byte in text.utf8 {
                buffer.append(byte)
                if case .request(let r) = parser.parse(buffer, &start) { got = r }
            }
            XCTAssertEqual(got?.body, whole.body, text)
            XCTAssertEqual(got?.path, whole.path)
        }
    }

    func testFieldsOfAParsedRequest() throws {
        let post = try request(Self.validRequests[1])
        XCTAssertEqual(post.method, "POST")
        XCTAssertEqual(post.path, "/mutate")
        XCTAssertEqual(post.query, "timeout=10s")
        XCTAssertEqual(post.headers["content-type"], "application/json")
        XCTAssertEqual(String(decoding: post.body, as: UTF8.self), "{\"kind\":\"x\"}\n")
        XCTAssertTrue(post.keepAlive)
        let chunked = try request(Self.validRequests[2])
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "hello world")
        let head = try request(Self.validRequests[3])
        XCTAssertEqual(head.minorVersion, 0)
        XCTAssertFalse(head.keepAlive)
    }

    func testPipelinedRequestsComeOutInOrder() {
        let events = parseAll(Self.validRequests[0] + Self.validRequests[1] + Self.validRequests[2])
        let paths = events.compactMap { event -> String? in
            if case .request(let r) = event { return r.path }
            return nil
        }
        XCTAssertEqual(paths, ["/healthz", "/mutate", "/echo"])
    }

    func testRejectionsCarryTheirStatus() {
        var small = HTTPLimits()
        small.maxBodyBytes = 10
        small.maxHeaderBytes = 200
        small.maxRequestLineBytes = 100
        let cases: [(String, Int, HTTPLimits)] = [
            ("GARBAGE\r\n\r\n", 400, HTTPLimits()),
            ("GET /x HTTP/1.1\nHost: a\n\n", 400, HTTPLimits()),
            ("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, HTTPLimits()),
            ("GET /x HTTP/1.1\r\nHost : a\r\n\r\n", 400, HTTPLimits()),
            ("GET /x HTTP/1.1\r\n\r\n", 400, HTTPLimits()),
            ("GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 400, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\n\r\n", 411, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413, small),
            ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 413, small),
            ("GET /" + String(repeating: "a", count: 150) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, small),
            ("GET /" + String(repeating: "a", count: 150), 414, small),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n", 431, small),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, HTTPLimits()),
            ("POST /x HTTP/1.1\r\nHost: a\r\nExpect: fancy\r\nContent-Length: 1\r\n\r\n", 417, HTTPLimits()),
        ]
        for (text, status, limits) in cases {
            XCTAssertEqual(error(text, limits: limits)?.status, status, text.debugDescription)
        }
    }

    /// Field names are matched in any ASCII case, for framing and for lookups; nothing else folds.
    func testFieldNamesMatchInAnyCase() throws {
        let post = try request("POST /x HTTP/1.1\r\nhOsT: a\r\ncOnTeNt-LeNgTh: 5\r\nX-Tag_1: v\r\n\r\nhello")
        XCTAssertEqual(String(decoding: post.body, as: UTF8.self), "hello")
        XCTAssertEqual(post.headers["X-TAG_1"], "v")
        XCTAssertEqual(post.headers["content-LENGTH"], "5")
        XCTAssertNil(post.headers["X-Tag\u{7F}1"])  // `_` and DEL differ by 0x20 and are not letters
        XCTAssertNil(post.headers["x-tag_"])
        let chunked = try request("POST /x HTTP/1.1\r\nHost: a\r\nTRANSFER-ENCODING: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "ok")
        XCTAssertFalse(try request("GET / HTTP/1.1\r\nHost: a\r\nCONNECTION: Close\r\n\r\n").keepAlive)
        for text in ["POST /x HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\nCONTENT-LENGTH: 5\r\n\r\nhello",
                     "GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n"] {
            XCTAssertEqual(error(text)?.status, 400, text.debugDescription)
        }
    }

    /// A head may reach maxHeaderBytes past its start with its last LF and no further, whether it
    /// comes whole or in two reads split anywhere (the end search jumps from LF to LF).
    func testTheHeadSizeLimitHoldsToTheByteWhereverTheReadsSplit() {
        var limits = HTTPLimits()
        limits.maxHeaderBytes = 120
        for filler in 80..<110 {
            let text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: filler) + "\r\n\r\n"
            let bytes = Array(text.utf8)
            let fits = bytes.count - 1 <= limits.maxHeaderBytes  // offset of the last LF
            for split in [bytes.count] + Array(1..<bytes.count) {
                var parser = RequestParser(limits: limits)
                var start = 0
                var event = parser.parse(Array(bytes[0..<split]), &start)
                if case .needMore = event, split < bytes.count { event = parser.parse(bytes, &start) }
                switch event {
                case .request: XCTAssertTrue(fits, "\(bytes.count) bytes, split at \(split): accepted")
                case .error(let error): XCTAssertTrue(!fits && error.status == 431, "\(bytes.count) bytes, split at \(split): \(error)")
                default: XCTFail("\(bytes.count) bytes, split at \(split): \(event)")
                }
            }
        }
    }

    /// However the bytes of an over-long request line arrive, it is 414: read one at a time, the
    /// line is too long before its (bare) LF is seen, so whole it must be too.
    func testAnOverlongRequestLineIs414WhateverEndsItAndHoweverItArrives() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 40
        for ending in ["\n", "\r\n", "\r\nHost: a\r\n\r\n", "\nHost: a\n\n"] {
            let text = "GET /" + String(repeating: "a", count: 60) + " HTTP/1.1" + ending
            XCTAssertEqual(error(text, limits: limits)?.status, 414, "whole: \(text.debugDescription)")
            var parser = RequestParser(limits: limits)
            var buffer: [UInt8] = []
            var start = 0
            var status: Int?
            for byte in text.utf8 where status == nil {
                buffer.append(byte)
                if case .error(let e) = parser.parse(buffer, &start) { status = e.status }
            }
            XCTAssertEqual(status, 414, "byte by byte: \(text.debugDescription)")
        }
        XCTAssertEqual(error("GET / HTTP/1.1\nHost: a\r\n\r\n", limits: limits)?.status, 400, "a short line with a bare LF")
    }

    func testTooManyHeaderFieldsIs431() {
        var limits = HTTPLimits()
        limits.maxHeaderCount = 3
        let text = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        XCTAssertEqual(error(text, limits: limits)?.status, 431)
    }
}
