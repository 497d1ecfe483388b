// Keep-alive, slow-client and draining rules, driven by a fake clock.
@testable import HTTPServer
import XCTest

final class ConnectionStateTests: XCTestCase {
    let s: UInt64 = 1_000_000_000
    var limits: HTTPLimits {
        var l = HTTPLimits()
        l.headerTimeoutNanos = 10 * s
        l.bodyTimeoutNanos = 30 * s
        l.idleTimeoutNanos = 120 * s
        l.writeTimeoutNanos = 30 * s
        return l
    }

    func testSlowHandshakeIsClosedSilently() {
        let state = ConnectionState(now: 0)
        XCTAssertEqual(state.expiry(now: 9 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 10 * s, limits: limits), .close)
    }

    func testIdleKeepAliveOutlastsTheApiserversNinetySeconds() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 1 * s)
        XCTAssertEqual(state.expiry(now: 91 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 121 * s, limits: limits), .close)
    }

    func testSlowHeadersAndSlowBodiesGet408() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 0)
        state.requestStarted(now: 100 * s)
        XCTAssertEqual(state.expiry(now: 109 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 110 * s, limits: limits), .respond408)
        state.headComplete(now: 105 * s)
        XCTAssertEqual(state.expiry(now: 134 * s, limits: limits), .none)
        state.headComplete(now: 120 * s)  // more body bytes do not restart the body clock
        XCTAssertEqual(state.expiry(now: 135 * s, limits: limits), .respond408)
    }

    func testAnsweredRequestReturnsToIdleOrToTheNextPipelinedOne() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 0)
        state.requestStarted(now: 1 * s)
        state.requestDone(now: 2 * s, keepAlive: true, moreBuffered: false)
        XCTAssertEqual(state.phase, .idle)
        XCTAssertTrue(state.closesImmediatelyWhenDraining)
        state.requestStarted(now: 3 * s)
        XCTAssertFalse(state.closesImmediatelyWhenDraining)
        state.requestDone(now: 4 * s, keepAlive: true, moreBuffered: true)
        XCTAssertEqual(state.phase, .readingHead)
        state.requestDone(now: 5 * s, keepAlive: false, moreBuffered: false)
        XCTAssertEqual(state.phase, .closing)
    }

    func testAClientThatDoesNotReadIsCutOff() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 0)
        state.writeBlocked(now: 10 * s)
        state.writeBlocked(now: 20 * s)  // still blocked: the clock keeps its start
        XCTAssertFalse(state.closesImmediatelyWhenDraining)
        XCTAssertEqual(state.expiry(now: 39 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 40 * s, limits: limits), .close)
        state.writeDrained()
        XCTAssertEqual(state.expiry(now: 40 * s, limits: limits), .none)
    }

    /// A request answered on the worker is not the client's slowness: no 408 however long it
    /// waits, and a drain lets it finish; its answer starts the idle time afresh.
    func testARequestBeingHandledOffTheLoopHasNoClientTimeLimit() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 0)
        state.requestStarted(now: 1 * s)
        state.headComplete(now: 1 * s)
        state.handling(now: 2 * s)
        XCTAssertEqual(state.expiry(now: 200 * s, limits: limits), .none)
        XCTAssertFalse(state.closesImmediatelyWhenDraining)
        state.requestDone(now: 200 * s, keepAlive: true, moreBuffered: false)
        XCTAssertEqual(state.expiry(now: 319 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 320 * s, limits: limits), .close)
    }
}
