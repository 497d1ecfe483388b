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

    public init() {}

    @inline(__always)
    static func bump(_ counter: borrowing Atomic<Int>, by delta: Int = 1) {
        counter.wrappingAdd(delta, ordering: .relaxed)
    }
}
