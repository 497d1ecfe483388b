// Counters the server keeps for /metrics, updated with relaxed atomics from every loop, and the
// metric families that show them.

public final class ServerStats: Sendable {
    /// What the server counts, one atomic counter each.
    public enum Count: Int, CaseIterable, Sendable {
        /// Open client connections: up at accept, down at close.
        case openConnections
        case acceptedConnections
        /// Refused at accept because `maxConnections` were open.
        case rejectedConnections
        case fullHandshakes, resumedHandshakes, handshakeFailures
        /// Requests answered with a 4xx/5xx by the server itself (malformed, too large, too slow).
        case protocolErrors
        case timeouts
        /// Request bytes that arrived on a connection after the server had shut its side down: a
        /// request the client will see fail. The idle-close rules exist to keep this at zero.
        case requestsAfterClose
    }

    private let counts = Counters(count: Count.allCases.count)
    private let closed = Counters(count: CloseReason.allCases.count)

    public init() {}

    public subscript(_ count: Count) -> Int { counts[count.rawValue] }

    @inline(__always)
    func add(_ count: Count, _ delta: Int = 1) { counts.add(count.rawValue, delta) }

    public func closedConnections(_ reason: CloseReason) -> Int { closed[reason.rawValue] }

    func countClose(_ reason: CloseReason) { closed.add(reason.rawValue) }
}

extension ServerStats {
    /// The server's families, in the order /metrics shows them.
    public static let families: [MetricFamily<ServerStats>] = [
        MetricFamily("sparkhook_open_connections", .gauge, help: "Open client connections.") { $0[.openConnections] },
        MetricFamily("sparkhook_connections_accepted_total", .counter, help: "Connections accepted.") { $0[.acceptedConnections] },
        MetricFamily("sparkhook_connections_rejected_total", .counter,
                     help: "Connections closed at accept because the connection limit was reached.") { $0[.rejectedConnections] },
        MetricFamily("sparkhook_tls_handshakes_total", .counter, help: "Completed TLS handshakes, full or resumed.", labels: ["type"]) { stats, out in
            out.add(["full"], stats[.fullHandshakes])
            out.add(["resumed"], stats[.resumedHandshakes])
        },
        MetricFamily("sparkhook_tls_handshake_failures_total", .counter,
                     help: "TLS handshakes that failed (bad protocol version, untrusted client certificate, ...).") { $0[.handshakeFailures] },
        MetricFamily("sparkhook_http_protocol_errors_total", .counter,
                     help: "Requests the server refused as malformed, too large or too slow.") { $0[.protocolErrors] },
        MetricFamily("sparkhook_http_timeouts_total", .counter, help: "Connections cut off for slowness.") { $0[.timeouts] },
        // Every reason, from the enum: a new one is shown, and explained in HELP, without a change here.
        MetricFamily("sparkhook_connections_closed_total", .counter,
                     help: "Closed connections by why they ended: " + CloseReason.allCases.map { "\($0.label) (\($0.meaning))" }.joined(separator: ", ") + ".",
                     labels: ["reason"]) { stats, out in
            for reason in CloseReason.allCases { out.add([reason.label], stats.closedConnections(reason)) }
        },
        MetricFamily("sparkhook_requests_after_close_total", .counter,
                     help: "Connections on which request bytes arrived after the server had closed its side: requests the client saw fail. Should stay 0.") {
            $0[.requestsAfterClose]
        },
    ]
}
