// Where a connection is in its life, and what the event loop must do next: read or not, parse or
// not, poll for what, keep alive or close, linger, pause or resume reading, answer a slow client
// with 408. Pure: it is told the time and what happened on the socket, so the keep-alive,
// slow-client, back-pressure, draining, age and lingering rules are unit-tested with a fake clock
// and no socket.
//
// Closing a kept-alive connection races with a request the client may be writing on it right now,
// and kube-apiserver never retries a POST whose connection was closed under it. So the server ends
// a connection in one of two ways only: an answer that says `Connection: close` (the client closes
// after reading it: no race), or, for a connection that stays idle, a lingering close once nothing
// of a request can be under way (`closesIdle`, checked again against the socket right before).

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

    /// How to write the answer the worker is preparing (the phase is `.handling` meanwhile:
    /// nothing more is read or parsed, so that answers keep the order of their requests).
    struct PendingAnswer: Equatable {
        var keepAlive: Bool
        var headOnly: Bool
    }

    /// Output queued beyond this stops reading requests until it is written: a client that
    /// pipelines without reading cannot grow our buffers without bound.
    static let maxQueuedOutput = 1 << 20
    /// How long a lingering connection waits for the peer's close.
    static let lingerNanos: UInt64 = 2_000_000_000
    /// While draining, a connection idle this long is closed, once the whole server has had no
    /// request for as long. kube-apiserver (Go's transport) takes its most recently used idle
    /// connection first, and every connection it uses here is answered with `Connection: close`:
    /// while it still picks connections of this server (as its busy ones close, the idle ones
    /// come up next), closing any of them races with a request; once it has picked none for a
    /// while, its work runs on connections to other replicas and ours sit at the bottom of its pool.
    static let drainIdleNanos: UInt64 = 2_000_000_000

    /// What the loop knows of a drain: when this server last answered a request (or the drain
    /// began).
    struct Drain: Equatable {
        var quietSince: UInt64
    }

    let openedAt: UInt64
    /// Past this age the next answer says `Connection: close` (jittered per connection by the loop).
    let maxAgeNanos: UInt64
    /// After this many answers the next says `Connection: close`.
    let maxRequests: Int
    private(set) var answers = 0
    private(set) var phase: Phase = .handshake
    private(set) var since: UInt64 // when the current phase began
    /// Set while queued output has not been written for lack of the peer reading.
    private(set) var blockedWritingSince: UInt64?
    /// Reading stopped because too much output is queued.
    private(set) var readingPaused = false
    /// The last answer refused a request before its end: the client may still be sending, so
    /// the close lingers instead of resetting a connection whose answer it has not read.
    private(set) var peerMaySend = false
    /// TLS needs the socket writable (a handshake flight, or a read that must write first).
    private(set) var tlsWantsWrite = false
    /// TCP_CORK is on: writes wait in the kernel until uncorked (at the latest when the event
    /// round ends) or closed.
    private(set) var corked = false
    /// What the poller was last told to watch for.
    private(set) var polled: IOEvents = .readable
    private(set) var pendingAnswer: PendingAnswer?
    /// Why the connection ends, once the server has decided that it will (the peer's own close
    /// when nil).
    private(set) var closeReason: CloseReason?
    /// A request arrived after our side was shut (counted once).
    private(set) var lostRequest = false

    init(now: UInt64, maxAgeNanos: UInt64 = .max, maxRequests: Int = .max) {
        openedAt = now
        since = now
        self.maxAgeNanos = maxAgeNanos
        self.maxRequests = maxRequests
    }

    var handshakeDone: Bool { phase != .handshake }

    /// Whether to read from the socket: not while an answer is awaited, reading is paused, or the
    /// last answer is queued (a lingering connection reads, to drop what arrives).
    var mayRead: Bool { !readingPaused && phase != .handling && phase != .closing }

    /// Whether to parse what was read into requests.
    var mayParse: Bool { phase != .handling && phase != .closing && phase != .lingering && !readingPaused }

    /// What to poll for: reading when it may read, writing when output or TLS waits on the socket.
    func interest(pendingOutput: Bool) -> IOEvents {
        var events: IOEvents = mayRead ? .readable : []
        if pendingOutput || tlsWantsWrite { events.insert(.writable) }
        return events
    }

    /// Records what the poller now watches; false when it already did (no system call needed).
    mutating func poll(_ events: IOEvents) -> Bool {
        guard events != polled else { return false }
        polled = events
        return true
    }

    /// Whether TCP_CORK must be turned on (false: it is on already).
    mutating func cork() -> Bool {
        guard !corked else { return false }
        corked = true
        return true
    }

    /// Whether TCP_CORK must be turned off.
    mutating func uncork() -> Bool {
        guard corked else { return false }
        corked = false
        return true
    }

    mutating func corkRefused() { corked = false }

    mutating func handshakeDone(now: UInt64) {
        tlsWantsWrite = false
        enter(.idle, now)
    }

    /// TLS could not go on until the socket is writable (true) or readable (false).
    mutating func tlsWaits(writable: Bool) { tlsWantsWrite = writable }

    /// Bytes of a request arrived while idle.
    mutating func requestStarted(now: UInt64) { if phase == .idle { enter(.readingHead, now) } }

    mutating func headComplete(now: UInt64) { if phase == .readingHead || phase == .idle { enter(.readingBody, now) } }

    /// A whole request was read and is being answered elsewhere; `answerArrived` follows.
    mutating func handling(now: UInt64, _ answer: PendingAnswer) {
        pendingAnswer = answer
        enter(.handling, now)
    }

    /// The worker's answer is back: how to write it (nil when none was awaited).
    mutating func answerArrived() -> PendingAnswer? {
        guard phase == .handling, let answer = pendingAnswer else { return nil }
        pendingAnswer = nil
        return answer
    }

    /// An answer is about to be written: whether it keeps the connection alive. The client may
    /// have asked for the close; the server asks for it while draining and past the maximum age
    /// or number of answers, so that the client, not the server, closes the connection, after
    /// reading the answer.
    mutating func keepsAlive(requested: Bool, now: UInt64, draining: Bool) -> Bool {
        answers += 1
        guard requested else { return false }
        if draining {
            closeReason = .drain
        } else if now &- openedAt >= maxAgeNanos {
            closeReason = .maxAge
        } else if answers >= maxRequests {
            closeReason = .maxRequests
        } else {
            return true
        }
        return false
    }

    /// A request's answer is queued; `moreBuffered` when pipelined bytes follow.
    mutating func requestDone(now: UInt64, keepAlive: Bool, moreBuffered: Bool) {
        if !keepAlive { enter(.closing, now) } else { enter(moreBuffered ? .readingHead : .idle, now) }
    }

    /// An error answer to a request not read to its end (400, 408, 413, ...) is queued.
    mutating func refused(now: UInt64) {
        peerMaySend = true
        closeReason = .error
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

    /// What to do at `now` under `limits`, draining (`draining` not nil) or not.
    mutating func expiry(now: UInt64, limits: HTTPLimits, draining: Drain? = nil) -> Action {
        let elapsed = now &- since
        if phase == .lingering { return elapsed >= Self.lingerNanos ? .close : .none }
        if let blocked = blockedWritingSince, now &- blocked >= limits.writeTimeoutNanos { return timedOut() }
        switch phase {
        case .handshake: return elapsed >= limits.headerTimeoutNanos ? timedOut() : .none
        case .idle:
            if closesIdle(now: now, limits: limits, draining: draining) {
                closeReason = draining != nil ? .drain : .idle
                return .linger
            }
            return .none
        case .readingHead: return elapsed >= limits.headerTimeoutNanos ? timedOut(.respond408) : .none
        case .readingBody: return elapsed >= limits.bodyTimeoutNanos ? timedOut(.respond408) : .none
        case .closing: return elapsed >= limits.writeTimeoutNanos ? timedOut() : .none
        case .handling, .lingering: return .none  // the worker's queue is bounded, and so is each job's input
        }
    }

    /// An idle connection the server may close: nothing of a request seen or queued, idle past
    /// the keep-alive limit, or, draining, idle a moment on a server that has had no request for as
    /// long. The loop closes it only if, checked right before, nothing is buffered or readable
    /// either.
    func closesIdle(now: UInt64, limits: HTTPLimits, draining: Drain?) -> Bool {
        guard phase == .idle, blockedWritingSince == nil, pendingAnswer == nil else { return false }
        let idle = now &- since
        guard let draining else { return idle >= limits.idleTimeoutNanos }
        let moment = min(Self.drainIdleNanos, limits.idleTimeoutNanos)
        return idle >= moment && now &- draining.quietSince >= moment
    }

    /// The idle close was called off: a byte of a request was there after all.
    mutating func idleCloseAbandoned() { closeReason = nil }

    /// Our side is shut down (an idle close): only the peer's close is awaited now.
    mutating func lingerStarted(now: UInt64) { enter(.lingering, now) }

    /// Bytes arrived while lingering; true the first time they can only be a request the client
    /// wrote before it saw our close (not the rest of a request we refused).
    mutating func bytesWhileLingering() -> Bool {
        guard !lostRequest, closeReason != .error else { return false }
        lostRequest = true
        return true
    }

    /// The reason to count when the connection is closed; `failed`: the socket or TLS failed.
    func reasonClosed(failed: Bool) -> CloseReason { closeReason ?? (failed ? .error : .peer) }

    private mutating func timedOut(_ action: Action = .close) -> Action {
        closeReason = .error
        return action
    }

    private mutating func enter(_ next: Phase, _ now: UInt64) {
        phase = next
        since = now
    }
}

/// Why a connection ended, for `sparkhook_connections_closed_total{reason}`.
public enum CloseReason: Int, CaseIterable, Sendable {
    /// Closed by the server after staying idle past the keep-alive limit.
    case idle
    /// The client closed it after an answer that said `Connection: close` for its age.
    case maxAge
    /// Closed while the server drains: after a `Connection: close` answer, or idle.
    case drain
    /// The client closed it on its own.
    case peer
    /// A protocol error, a time limit, a TLS or socket failure.
    case error
    /// The client closed it after an answer that said `Connection: close` for its number of answers.
    case maxRequests

    public var label: String {
        switch self {
        case .idle: "idle"
        case .maxAge: "max-age"
        case .drain: "drain"
        case .peer: "peer"
        case .error: "error"
        case .maxRequests: "max-requests"
        }
    }

    /// What the reason means, for the metric's HELP and the README's table (a test keeps the
    /// table in step with these).
    public var meaning: String {
        switch self {
        case .idle: "closed by the server past the keep-alive limit"
        case .maxAge: "closed by the client after an answer that said Connection: close for the connection's age"
        case .drain: "the same while shutting down, or idle then"
        case .peer: "the client's own close"
        case .error: "a protocol error, a time limit, a TLS or socket failure"
        case .maxRequests: "closed by the client after an answer that said Connection: close for the connection's number of answers"
        }
    }
}
