// Counters the server keeps for /metrics; updated with relaxed atomics from every loop.
import Synchronization

public final class ServerStats: Sendable {
    public let openConnections = Atomic<Int>(0)
    public let acceptedConnections = Atomic<Int>(0)
    /// Refused at accept because `maxConnections` were open.
    public let rejectedConnections = Atomic<Int>(0)
    public let fullHandshakes = Atomic<Int>(0)
    public let resumedHandshakes = Atomic<Int>(0)
    public let handshakeFailures = Atomic<Int>(0)
    /// Requests answered with a 4xx/5xx by the server itself (malformed, too large, too slow).
    public let protocolErrors = Atomic<Int>(0)
    public let timeouts = Atomic<Int>(0)
    /// Closed connections by `CloseReason` (one counter each: Atomic cannot live in an array).
    let closedIdle = Atomic<Int>(0), closedMaxAge = Atomic<Int>(0), closedDrain = Atomic<Int>(0)
    let closedPeer = Atomic<Int>(0), closedError = Atomic<Int>(0), closedMaxRequests = Atomic<Int>(0)
    /// Request bytes that arrived on a connection after the server had shut its side down: a
    /// request the client will see fail. The idle-close rules exist to keep this at zero.
    public let requestsAfterClose = Atomic<Int>(0)

    public init() {}

    public func closedConnections(_ reason: CloseReason) -> Int {
        switch reason {
        case .idle: closedIdle.load(ordering: .relaxed)
        case .maxAge: closedMaxAge.load(ordering: .relaxed)
        case .drain: closedDrain.load(ordering: .relaxed)
        case .peer: closedPeer.load(ordering: .relaxed)
        case .error: closedError.load(ordering: .relaxed)
        case .maxRequests: closedMaxRequests.load(ordering: .relaxed)
        }
    }

    func countClose(_ reason: CloseReason) {
        switch reason {
        case .idle: Self.bump(closedIdle)
        case .maxAge: Self.bump(closedMaxAge)
        case .drain: Self.bump(closedDrain)
        case .peer: Self.bump(closedPeer)
        case .error: Self.bump(closedError)
        case .maxRequests: Self.bump(closedMaxRequests)
        }
    }

    @inline(__always)
    static func bump(_ counter: borrowing Atomic<Int>, by delta: Int = 1) {
        counter.wrappingAdd(delta, ordering: .relaxed)
    }
}
