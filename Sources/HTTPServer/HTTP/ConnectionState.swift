// Where a connection is in its life, and what to do when a time limit runs out. Pure: it is told
// the time, so keep-alive, slow-client and draining rules are unit-tested with a fake clock.

struct ConnectionState {
    enum Phase: Equatable {
        case handshake      // TLS handshake under way
        case idle           // between requests, nothing buffered
        case readingHead    // first bytes of a request seen, headers not complete
        case readingBody    // headers complete, body not
        case handling       // a request is being answered off the loop; no time limit of the client's
        case closing        // answer queued with Connection: close; flush, then close
    }

    enum Action: Equatable {
        case none
        case close           // silently: no request is under way
        case respond408      // a request is under way: tell the client, then close
    }

    private(set) var phase: Phase = .handshake
    private(set) var since: UInt64 // when the current phase began
    /// Set while queued output has not been written for lack of the peer reading.
    private(set) var blockedWritingSince: UInt64?

    init(now: UInt64) { since = now }

    mutating func handshakeDone(now: UInt64) { enter(.idle, now) }

    /// Bytes of a request arrived while idle.
    mutating func requestStarted(now: UInt64) { if phase == .idle { enter(.readingHead, now) } }

    mutating func headComplete(now: UInt64) { if phase == .readingHead || phase == .idle { enter(.readingBody, now) } }

    /// A whole request was read and answered; `moreBuffered` when pipelined bytes follow.
    mutating func requestDone(now: UInt64, keepAlive: Bool, moreBuffered: Bool) {
        if !keepAlive { enter(.closing, now) } else { enter(moreBuffered ? .readingHead : .idle, now) }
    }

    mutating func closing(now: UInt64) { enter(.closing, now) }

    /// A whole request was read and is being answered elsewhere; `requestDone` follows.
    mutating func handling(now: UInt64) { enter(.handling, now) }

    mutating func writeBlocked(now: UInt64) { if blockedWritingSince == nil { blockedWritingSince = now } }
    mutating func writeDrained() { blockedWritingSince = nil }

    /// What to do at `now` under `limits`.
    func expiry(now: UInt64, limits: HTTPLimits) -> Action {
        if let blocked = blockedWritingSince, now &- blocked >= limits.writeTimeoutNanos { return .close }
        let elapsed = now &- since
        switch phase {
        case .handshake: return elapsed >= limits.headerTimeoutNanos ? .close : .none
        case .idle: return elapsed >= limits.idleTimeoutNanos ? .close : .none
        case .readingHead: return elapsed >= limits.headerTimeoutNanos ? .respond408 : .none
        case .readingBody: return elapsed >= limits.bodyTimeoutNanos ? .respond408 : .none
        case .closing: return elapsed >= limits.writeTimeoutNanos ? .close : .none
        case .handling: return .none  // the worker's queue is bounded, and so is each job's input
        }
    }

    /// On shutdown a connection with no request under way may be closed; the others finish
    /// their request and then close.
    var closesImmediatelyWhenDraining: Bool {
        (phase == .idle || phase == .handshake) && blockedWritingSince == nil
    }

    private mutating func enter(_ next: Phase, _ now: UInt64) {
        phase = next
        since = now
    }
}
