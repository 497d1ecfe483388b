// Accepting: new sockets from a shared listener become connections of this loop.

extension EventLoop {
    func acceptAll(_ listener: Socket) {
        for _ in 0..<64 {
            let socket: Socket?
            do { socket = try listener.accept() } catch {
                // EMFILE and friends: log and let the next wake-up try again.
                context.logger.warning("accept failed", ["error": "\(error)"])
                return
            }
            guard let socket else { return }
            if context.stats[.openConnections] >= limits.maxConnections {
                context.stats.add(.rejectedConnections)
                continue  // closed by deinit
            }
            do {
                _ = try adopt(context.accept(socket))
            } catch {
                context.logger.warning("could not set up connection", ["error": "\(error)"])
            }
        }
    }
}

extension EventLoop {
    /// Takes a new connection into the loop; returns its token.
    @discardableResult
    func adopt(_ transport: T) throws -> UInt64 {
        let connection = Connection(id: nextID, transport: transport, now: clock.nanos(), maxAgeNanos: drawMaxAge(), limits: limits)
        try poller.add(transport.fd, connection.state.polled, token: connection.id, exclusive: false)
        nextID += 1
        connections[connection.id] = connection
        context.stats.add(.openConnections)
        context.stats.add(.acceptedConnections)
        return connection.id
    }

    private func drawMaxAge() -> UInt64 {
        let age = limits.maxConnectionAgeNanos
        guard age != .max else { return .max }
        let jitter = min(max(limits.maxConnectionAgeJitter, 0), 1)
        return UInt64(Double(age) * (1 - jitter * Double.random(in: 0..<1, using: &random)))
    }
}
