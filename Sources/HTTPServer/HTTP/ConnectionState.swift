// Where a connection is in its life, and what the event loop must do next: read or not, parse or
// not, close, linger, pause or resume reading, answer a slow client with 408. Pure: it is told the
// time and what happened on the socket, so keep-alive, slow-client, back-pressure, lingering and
// draining rules are unit-tested with a fake clock and no socket.

struct ConnectionState {
    enum Phase: Equatable {
        case handshake      // TLS handshake under way
        case idle           // between requests, nothing buffered
        case readingHead    // first bytes of a request seen, headers not complete
        case readingBody    // headers complete, body not
        case handling       // a request is being answered off the loop; no time limit of the client's
        case closing        // the last answer is queued (Connection: close, or a refusal); flush, then close
        case lingering      // our side is shut down: drop what the peer still sends until it closes
    }

    enum Action: Equatable {
        case none
        case close           // silently: no request is under way, or the answer is out
        case respond408      // a request is under way: tell the client, then close
        case linger          // shut our side down (close_notify, FIN) and wait for the peer's close
        case resumeReading   // the queued answers went out: read and answer what is buffered
    }

    /// Output queued beyond this stops reading requests until it is written: a client that
    /// pipelines without reading cannot grow our buffers without bound.
    static let maxQueuedOutput = 1 << 20
    /// How long a lingering connection waits for the peer's close.
    static let lingerNanos: UInt64 = 2_000_000_000
    /// On shutdown, an idle connection stays this long before it is closed (closing it at once
    /// would race with a request the client is sending right now).
    static let drainIdleNanos: UInt64 = 500_000_000

    private(set) var phase: Phase = .handshake
    private(set) var since: UInt64 // when the current phase began
    /// Set while queued output has not been written for lack of the peer reading.
    private(set) var blockedWritingSince: UInt64?
    /// Reading stopped because too much output is queued.
    private(set) var readingPaused = false
    /// The last answer refused a request before its end: the client may still be sending, so
    /// the close lingers instead of resetting a connection whose answer it has not read.
    private(set) var peerMaySend = false

    init(now: UInt64) { since = now }

    /// Whether to read from the socket: not while an answer is awaited, reading is paused, or the
    /// last answer is queued (a lingering connection reads, to drop what arrives).
    var mayRead: Bool { !readingPaused && phase != .handling && phase != .closing }

    /// Whether to parse what was read into requests.
    var mayParse: Bool { phase != .handling && phase != .closing && phase != .lingering && !readingPaused }

    mutating func handshakeDone(now: UInt64) { enter(.idle, now) }

    /// Bytes of a request arrived while idle.
    mutating func requestStarted(now: UInt64) { if phase == .idle { enter(.readingHead, now) } }

    mutating func headComplete(now: UInt64) { if phase == .readingHead || phase == .idle { enter(.readingBody, now) } }

    /// A whole request was read and is being answered elsewhere; `requestDone` follows.
    mutating func handling(now: UInt64) { enter(.handling, now) }

    /// A request's answer is queued; `moreBuffered` when pipelined bytes follow.
    mutating func requestDone(now: UInt64, keepAlive: Bool, moreBuffered: Bool) {
        if !keepAlive { enter(.closing, now) } else { enter(moreBuffered ? .readingHead : .idle, now) }
    }

    /// An error answer to a request not read to its end (400, 408, 413, ...) is queued.
    mutating func refused(now: UInt64) {
        peerMaySend = true
        enter(.closing, now)
    }

    /// `bytes` of output are waiting to be written; reading pauses when they are too many.
    mutating func outputQueued(bytes: Int) {
        if bytes > Self.maxQueuedOutput { readingPaused = true }
    }

    mutating func writeBlocked(now: UInt64) { if blockedWritingSince == nil { blockedWritingSince = now } }

    /// Everything queued was written. `unread`: the peer sent bytes we have not read or answered.
    mutating func outputDrained(now: UInt64, unread: Bool) -> Action {
        blockedWritingSince = nil
        switch phase {
        case .closing:
            // Read to its end with nothing after it: close now, as nginx does (a client that asked
            // for the close sends nothing a reset could discard). Else let it see our answer.
            guard peerMaySend || unread else { return .close }
            enter(.lingering, now)
            return .linger
        case .lingering:
            return .none
        default:
            guard readingPaused else { return .none }
            readingPaused = false
            return .resumeReading
        }
    }

    /// What to do at `now` under `limits`.
    func expiry(now: UInt64, limits: HTTPLimits) -> Action {
        let elapsed = now &- since
        if phase == .lingering { return elapsed >= Self.lingerNanos ? .close : .none }
        if let blocked = blockedWritingSince, now &- blocked >= limits.writeTimeoutNanos { return .close }
        switch phase {
        case .handshake: return elapsed >= limits.headerTimeoutNanos ? .close : .none
        case .idle: return elapsed >= limits.idleTimeoutNanos ? .close : .none
        case .readingHead: return elapsed >= limits.headerTimeoutNanos ? .respond408 : .none
        case .readingBody: return elapsed >= limits.bodyTimeoutNanos ? .respond408 : .none
        case .closing: return elapsed >= limits.writeTimeoutNanos ? .close : .none
        case .handling, .lingering: return .none  // the worker's queue is bounded, and so is each job's input
        }
    }

    /// On shutdown a connection with no request under way is closed once it has stayed so a
    /// moment (`buffered`: bytes of a next request are in); the others finish their request first.
    func closesWhenDraining(now: UInt64, buffered: Bool) -> Bool {
        closesImmediatelyWhenDraining && !buffered && now &- since >= Self.drainIdleNanos
    }

    var closesImmediatelyWhenDraining: Bool {
        (phase == .idle || phase == .handshake) && blockedWritingSince == nil
    }

    private mutating func enter(_ next: Phase, _ now: UInt64) {
        phase = next
        since = now
    }
}
