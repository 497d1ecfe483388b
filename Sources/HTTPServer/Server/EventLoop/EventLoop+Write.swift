// Writing and closing: answers are written when a round of events ends, corks let out, the poller
// told what each connection waits for, and connections closed, at once or lingering.

extension EventLoop {
    /// Answers are written when the round of events ends rather than one by one: a client woken
    /// once finds all its answers, instead of being woken (an interrupt on loopback) for each.
    func scheduleFlush(_ connection: Connection<T>) {
        guard connection.hasPendingOutput, !connection.flushScheduled else { return }
        connection.flushScheduled = true
        unflushed.append(connection)
    }

    func flushRound() {
        var i = 0
        while i < unflushed.count {
            let connection = unflushed[i]
            connection.flushScheduled = false
            if connection.isOpen { flush(connection) }
            i += 1
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    func cork(_ connection: Connection<T>) {
        guard connection.state.cork() else { return }
        guard connection.transport.setCork(true) else { return connection.state.corkRefused() }
        corked.append(connection)  // listed again only if uncorked and corked again: harmless
    }

    func uncork(_ connection: Connection<T>) {
        guard connection.state.uncork() else { return }
        _ = connection.transport.setCork(false)
    }

    /// Lets out what corked connections wrote this round; a closed one sent it when it closed.
    func uncorkRound() {
        for connection in corked where connection.isOpen { uncork(connection) }
        corked.removeAll(keepingCapacity: true)
    }

    func flush(_ connection: Connection<T>) {
        while connection.hasPendingOutput {
            let start = connection.outputStart
            let status = connection.output.withUnsafeBytes { connection.transport.write(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            switch status {
            case .done(let n):
                connection.outputStart += n
            case .wantWrite:
                connection.state.writeBlocked(now: clock.nanos())
                updateInterest(connection)
                return
            case .wantRead:
                updateInterest(connection)
                return
            case .closed, .failed:
                close(connection, failed: true)
                return
            }
        }
        if connection.output.capacity > 256 * 1024 { connection.output = [] } else { connection.output.removeAll(keepingCapacity: true) }
        connection.outputStart = 0
        switch connection.state.outputDrained(now: clock.nanos(), unread: connection.isClosing && connection.mayHoldRequestBytes) {
        case .close:
            connection.transport.sendCloseNotify()
            close(connection, failed: false)
        case .linger:
            shutDownOurSide(connection)
        case .resumeReading:
            updateInterest(connection)
            processInput(connection)
            readAvailable(connection)
        case .none, .respond408:
            updateInterest(connection)
        }
    }

    /// Sends close_notify and a FIN, then waits briefly for the peer to close, dropping what it
    /// sends, so that a client still sending reads our answer (or our close) rather than a reset.
    func shutDownOurSide(_ connection: Connection<T>) {
        connection.transport.sendCloseNotify()
        connection.transport.shutdownWrite()
        updateInterest(connection)
    }

    /// Closes an idle connection if, checked right now, nothing of a request is buffered, inside
    /// TLS or readable in the socket; else calls the close off and reads what came.
    func closeIdle(_ connection: Connection<T>) {
        guard !connection.mayHoldRequestBytes else {
            connection.state.idleCloseAbandoned()
            return readAvailable(connection)
        }
        connection.state.lingerStarted(now: clock.nanos())
        shutDownOurSide(connection)
    }

    /// Tells the poller what the connection now waits for, when that changed.
    func updateInterest(_ connection: Connection<T>) {
        guard connection.isOpen, connection.state.poll(connection.state.interest(pendingOutput: connection.hasPendingOutput)) else { return }
        try? poller.modify(connection.transport.fd, connection.state.polled, token: connection.id)
    }

    /// `failed`: the socket or TLS failed (for the reason counted when the server had not decided
    /// the close itself).
    func close(_ connection: Connection<T>, failed: Bool) {
        guard connection.isOpen else { return }
        connection.isOpen = false
        connections[connection.id] = nil
        context.stats.countClose(connection.state.reasonClosed(failed: failed))
        connection.transport.close()  // which also takes it out of the epoll set (no dup'ed descriptors)
        context.stats.add(.openConnections, -1)
    }
}
