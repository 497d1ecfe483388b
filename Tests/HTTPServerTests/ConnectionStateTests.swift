// Keep-alive, slow-client and draining rules, driven by a fake clock.
@testable import HTTPServer
import XCTest

final class ConnectionStateTests: XCTestCase {
    let s: UInt64 = 1_000_000_000
    /// Draining, on a server that has had no request since the clock began.
    let quiet = ConnectionState.Drain(quietSince: 0)
    var limits: HTTPLimits {
        var l = HTTPLimits()
        l.headerTimeoutNanos = 10 * s
        l.bodyTimeoutNanos = 30 * s
        l.idleTimeoutNanos = 120 * s
        l.writeTimeoutNanos = 30 * s
        return l
    }

    func testSlowHandshakeIsClosedSilently() {
        var state = ConnectionState(now: 0)
        XCTAssertEqual(state.expiry(now: 9 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 10 * s, limits: limits), .close)
    }

    func testIdleKeepAliveOutlastsTheApiserversNinetySeconds() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 1 * s)
        XCTAssertEqual(state.expiry(now: 91 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 121 * s, limits: limits), .linger, "closed with a FIN, then the peer's close awaited")
        XCTAssertEqual(state.reasonClosed(failed: false), .idle)
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
        XCTAssertTrue(state.closesIdle(now: 4 * s, limits: limits, draining: quiet))
        state.requestStarted(now: 4 * s)
        XCTAssertFalse(state.closesIdle(now: 99 * s, limits: limits, draining: quiet), "a request is under way")
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
        XCTAssertFalse(state.closesIdle(now: 30 * s, limits: limits, draining: quiet), "an answer is not out yet")
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
        state.handling(now: 2 * s, .init(keepAlive: true, headOnly: false))
        XCTAssertEqual(state.expiry(now: 200 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 200 * s, limits: limits, draining: quiet), .none, "a drain lets it finish")
        XCTAssertEqual(state.answerArrived(), .init(keepAlive: true, headOnly: false))
        XCTAssertNil(state.answerArrived(), "taken once")
        state.requestDone(now: 200 * s, keepAlive: true, moreBuffered: false)
        XCTAssertEqual(state.expiry(now: 319 * s, limits: limits), .none)
        XCTAssertEqual(state.expiry(now: 320 * s, limits: limits), .linger)
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

    func testDrainingClosesAnIdleConnectionOnlyAfterAMomentAndWithAFin() {
        var t = FakeTransport()
        t.answer(at: 1 * s, bytes: 10)
        t.peerReads(at: 1 * s)
        let idleSince = 1 * s
        XCTAssertEqual(t.state.expiry(now: idleSince + ConnectionState.drainIdleNanos - 1, limits: limits, draining: quiet), .none)
        XCTAssertEqual(t.state.expiry(now: idleSince + ConnectionState.drainIdleNanos, limits: limits, draining: quiet), .linger)
        XCTAssertEqual(t.state.reasonClosed(failed: false), .drain)
        // The loop found a byte of a request in the socket after all: the close is called off.
        t.state.idleCloseAbandoned()
        XCTAssertEqual(t.state.reasonClosed(failed: false), .peer)
        XCTAssertEqual(t.state.expiry(now: 9 * s, limits: limits, draining: quiet), .linger)
        t.state.lingerStarted(now: 9 * s)
        XCTAssertEqual(t.state.phase, .lingering)
        XCTAssertTrue(t.state.mayRead, "reads on, until the peer's close")
        XCTAssertFalse(t.state.mayParse, "our side is shut: nothing can be answered")
        XCTAssertTrue(t.state.bytesWhileLingering(), "a request the client wrote before it saw the close")
        XCTAssertFalse(t.state.bytesWhileLingering(), "counted once")
        XCTAssertEqual(t.state.expiry(now: 9 * s + ConnectionState.lingerNanos, limits: limits, draining: quiet), .close)
        XCTAssertEqual(t.state.reasonClosed(failed: false), .drain)
    }

    func testDrainingClosesNoIdleConnectionWhileTheClientStillPicksConnectionsOfThisServer() {
        var t = FakeTransport()
        t.answer(at: 1 * s, bytes: 10)
        t.peerReads(at: 1 * s)
        let busy = ConnectionState.Drain(quietSince: 5 * s)  // another connection answered at 5 s
        XCTAssertEqual(t.state.expiry(now: 5 * s + ConnectionState.drainIdleNanos - 1, limits: limits, draining: busy), .none,
                       "idle long enough, but the client was picking this server's connections a moment ago")
        XCTAssertEqual(t.state.expiry(now: 5 * s + ConnectionState.drainIdleNanos, limits: limits, draining: busy), .linger)
    }

    func testDrainingLeavesEveryConnectionWithARequestOrAHandshakeUnderWay() {
        var handshaking = ConnectionState(now: 0)
        XCTAssertEqual(handshaking.expiry(now: 5 * s, limits: limits, draining: quiet), .none,
                       "its request follows the handshake: closing now would fail a dial, which is not retried either")
        var reading = ConnectionState(now: 0)
        reading.handshakeDone(now: 0)
        reading.requestStarted(now: 0)
        XCTAssertEqual(reading.expiry(now: 5 * s, limits: limits, draining: quiet), .none)
        var handling = ConnectionState(now: 0)
        handling.handshakeDone(now: 0)
        handling.handling(now: 0, .init(keepAlive: true, headOnly: false))
        XCTAssertEqual(handling.expiry(now: 15 * s, limits: limits, draining: quiet), .none)
        XCTAssertFalse(handling.closesIdle(now: 99 * s, limits: limits, draining: quiet), "an answer is on its way")
    }

    func testFromDrainingOnEveryAnswerAsksTheClientToClose() {
        var state = ConnectionState(now: 0)
        state.handshakeDone(now: 0)
        XCTAssertTrue(state.keepsAlive(requested: true, now: 1 * s, draining: false))
        XCTAssertFalse(state.keepsAlive(requested: true, now: 2 * s, draining: true))
        state.requestDone(now: 2 * s, keepAlive: false, moreBuffered: false)
        XCTAssertEqual(state.phase, .closing)
        XCTAssertEqual(state.outputDrained(now: 2 * s, unread: false), .close, "the client reads Connection: close and sends nothing more")
        XCTAssertEqual(state.reasonClosed(failed: false), .drain)
    }

    func testPastItsMaximumAgeTheNextAnswerAsksTheClientToClose() {
        var state = ConnectionState(now: 10 * s, maxAgeNanos: 30 * s)
        state.handshakeDone(now: 10 * s)
        XCTAssertTrue(state.keepsAlive(requested: true, now: 40 * s - 1, draining: false))
        XCTAssertEqual(state.expiry(now: 45 * s, limits: limits), .none, "an idle connection past its age is not closed: only answers say so")
        XCTAssertFalse(state.keepsAlive(requested: true, now: 40 * s, draining: false))
        XCTAssertEqual(state.reasonClosed(failed: false), .maxAge)
        var unlimited = ConnectionState(now: 0)
        XCTAssertTrue(unlimited.keepsAlive(requested: true, now: .max - 1, draining: false))
    }

    func testAfterItsMaximumNumberOfAnswersTheLastAsksTheClientToClose() {
        var state = ConnectionState(now: 0, maxRequests: 3)
        state.handshakeDone(now: 0)
        XCTAssertEqual((0..<3).map { _ in state.keepsAlive(requested: true, now: 0, draining: false) }, [true, true, false])
        XCTAssertEqual(state.reasonClosed(failed: false), .maxRequests)
        var aged = ConnectionState(now: 0, maxAgeNanos: 1, maxRequests: 1)
        XCTAssertFalse(aged.keepsAlive(requested: true, now: 1, draining: false))
        XCTAssertEqual(aged.reasonClosed(failed: false), .maxAge, "age is said first when both are reached")
    }

    func testTheReasonAClosedConnectionIsCountedUnder() {
        var asked = ConnectionState(now: 0)
        XCTAssertFalse(asked.keepsAlive(requested: false, now: 0, draining: true))
        XCTAssertEqual(asked.reasonClosed(failed: false), .peer, "the client asked for the close itself")
        XCTAssertEqual(ConnectionState(now: 0).reasonClosed(failed: true), .error)
        var refused = ConnectionState(now: 0)
        refused.refused(now: 0)
        XCTAssertEqual(refused.reasonClosed(failed: false), .error)
        XCTAssertFalse(refused.bytesWhileLingering(), "the rest of a refused request is not a lost request")
        var slow = ConnectionState(now: 0)
        XCTAssertEqual(slow.expiry(now: 10 * s, limits: limits), .close)
        XCTAssertEqual(slow.reasonClosed(failed: false), .error)
        XCTAssertEqual(CloseReason.allCases.map(\.label), ["idle", "max-age", "drain", "peer", "error", "max-requests"])
    }

    func testWhatThePollerWatchesFollowsThePhase() {
        var state = ConnectionState(now: 0)
        XCTAssertEqual(state.interest(pendingOutput: false), .readable)
        state.tlsWaits(writable: true)
        XCTAssertEqual(state.interest(pendingOutput: false), [.readable, .writable], "a handshake flight waits on the socket")
        state.handshakeDone(now: 0)
        XCTAssertEqual(state.interest(pendingOutput: false), .readable)
        XCTAssertEqual(state.interest(pendingOutput: true), [.readable, .writable])
        state.handling(now: 0, .init(keepAlive: true, headOnly: false))
        XCTAssertEqual(state.interest(pendingOutput: false), [], "nothing is read while the worker answers")
        XCTAssertEqual(state.interest(pendingOutput: true), .writable)
        _ = state.answerArrived()
        state.requestDone(now: 0, keepAlive: true, moreBuffered: false)
        state.outputQueued(bytes: ConnectionState.maxQueuedOutput + 1)
        XCTAssertEqual(state.interest(pendingOutput: true), .writable, "paused: input is not polled, or epoll reports it every round")
        XCTAssertFalse(state.poll(.readable), "the poller watches this already")
        XCTAssertTrue(state.poll(.writable))
        XCTAssertFalse(state.poll(.writable))
        XCTAssertTrue(state.cork())
        XCTAssertFalse(state.cork(), "corked once")
        XCTAssertTrue(state.uncork())
        XCTAssertFalse(state.uncork())
    }
}
