// Time limits, every 250 ms: slow clients, idle and lingering connections, and, while draining,
// the idle connections that no request can be on its way to.

extension EventLoop {
    func sweep(_ now: UInt64) {
        let draining = context.shutdown.drain
        for connection in Array(connections.values) {
            switch connection.state.expiry(now: now, limits: limits, draining: draining) {
            case .none: break
            case .close:
                // A linger's end is no one's slowness; the rest are time limits.
                if connection.state.phase != .lingering { context.stats.add(.timeouts) }
                close(connection, failed: false)
            case .linger:
                closeIdle(connection)
            case .respond408:
                context.stats.add(.timeouts)
                respondWithError(connection, status: 408, reason: "request not received in time")
                flush(connection)
            case .resumeReading:
                break  // not a time limit
            }
        }
    }
}
