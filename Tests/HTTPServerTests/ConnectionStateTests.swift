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
        XCTAssertEqual(state.outputDrained(now: 40 * s, unread: false), .none)
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

    /// A stand-in for the socket and the loop around it: it feeds the state what a connection
    /// does and carries out what the state says, so each rule is a sequence of steps. No socket.
    struct FakeTransport {
        var state = ConnectionState(now: 0)
        var queued = 0          // bytes of answers not written yet
        var unread = false      // bytes the peer sent that we have not read or answered
        var log: [String] = []

        init() { state.handshakeDone(now: 0) }

        mutating func answer(at now: UInt64, bytes: Int, keepAlive: Bool = true) {
            state.requestStarted(now: now)
            queued += bytes
            state.requestDone(now: now, keepAlive: keepAlive, moreBuffered: unread)
            state.outputQueued(bytes: queued)
        }

        mutating func refuse(at now: UInt64) {
            queued += 100
            state.refused(now: now)
        }

        /// The peer reads; what we queued is written, and the state says what comes next.
        mutating func peerReads(at now: UInt64) {
            queued = 0
            let action = state.outputDrained(now: now, unread: unread)
            log.append("\(action)")
        }
    }

    func testAClosingAnswerClosesAtOnceWhenNothingFollowsIt() {
        var t = FakeTransport()
        t.answer(at: 1 * s, bytes: 500, keepAlive: false)
        XCTAssertFalse(t.state.mayRead, "no request is read after the last one")
        XCTAssertFalse(t.state.mayParse)
        t.peerReads(at: 2 * s)
        XCTAssertEqual(t.log, ["close"])
    }

    func testARefusedRequestLingersSoThePeerSeesTheAnswerThenClosesAfterTheLingerTime() {
        var t = FakeTransport()
        t.refuse(at: 1 * s)
        XCTAssertEqual(t.state.phase, .closing)
        t.peerReads(at: 2 * s)
        XCTAssertEqual(t.log, ["linger"], "the client may still be sending the body we refused")
        XCTAssertEqual(t.state.phase, .lingering)
        XCTAssertTrue(t.state.mayRead, "a lingering connection reads, to drop what arrives")
        XCTAssertFalse(t.state.mayParse)
        XCTAssertEqual(t.state.expiry(now: 2 * s + ConnectionState.lingerNanos - 1, limits: limits), .none)
        XCTAssertEqual(t.state.expiry(now: 2 * s + ConnectionState.lingerNanos, limits: limits), .close)
        t.peerReads(at: 3 * s)
        XCTAssertEqual(t.log.last, "none", "a second drain while lingering changes nothing")
    }

    func testAClosingAnswerWithUnreadBytesBehindItLingersToo() {
        var t = FakeTransport()
        t.unread = true
        t.answer(at: 1 * s, bytes: 500, keepAlive: false)
        t.peerReads(at: 2 * s)
        XCTAssertEqual(t.log, ["linger"])
    }

    func testAPipeliningClientThatDoesNotReadIsPausedThenResumed() {
        var t = FakeTransport()
        for i in 1...4 { t.answer(at: UInt64(i) * s, bytes: ConnectionState.maxQueuedOutput / 4) }
        XCTAssertTrue(t.state.mayRead, "at the limit, not past it")
        t.answer(at: 5 * s, bytes: 1)
        XCTAssertFalse(t.state.mayRead)
        XCTAssertFalse(t.state.mayParse, "nothing more is answered while the answers pile up")
        t.peerReads(at: 6 * s)
        XCTAssertEqual(t.log, ["resumeReading"])
        XCTAssertTrue(t.state.mayRead && t.state.mayParse)
        t.peerReads(at: 7 * s)
        XCTAssertEqual(t.log.last, "none")
    }

    func testDrainingClosesAnIdleConnectionOnlyAfterAMoment() {
        var t = FakeTransport()
        t.answer(at: 1 * s, bytes: 10)
        t.peerReads(at: 1 * s)
        XCTAssertFalse(t.state.closesWhenDraining(now: 1 * s + ConnectionState.drainIdleNanos - 1, buffered: false))
        XCTAssertTrue(t.state.closesWhenDraining(now: 1 * s + ConnectionState.drainIdleNanos, buffered: false))
        XCTAssertFalse(t.state.closesWhenDraining(now: 9 * s, buffered: true), "a next request is in")
        t.state.handling(now: 9 * s)
        XCTAssertFalse(t.state.mayRead)
        XCTAssertFalse(t.state.closesWhenDraining(now: 99 * s, buffered: false), "an answer is on its way")
    }
}
