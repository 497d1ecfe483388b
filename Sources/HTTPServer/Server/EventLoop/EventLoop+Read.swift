// Reading: the TLS handshake, reads from the transport, and parsing what was read into requests,
// answered in order (inline, or handed to the worker).

extension EventLoop {
    func onEvent(_ token: UInt64, _ events: IOEvents) {
        guard let connection = connections[token] else { return }
        if events.contains(.error) && !events.contains(.readable) { return close(connection, failed: true) }
        // Reading waits for the worker's answer; a peer that hung up meanwhile is gone.
        if connection.isHandling && !events.contains(.writable) { return close(connection, failed: false) }
        if !connection.state.handshakeDone {
            handshake(connection)
            guard connection.state.handshakeDone, connection.isOpen else { return }
        }
        if events.contains(.writable) || connection.hasPendingOutput { flush(connection) }
        if connection.isOpen && (events.contains(.readable) || events.contains(.hangup)) {
            readAvailable(connection)
        }
    }

    func handshake(_ connection: Connection<T>) {
        // Writes are corked while OpenSSL handshakes. A flight the client must answer is let out
        // as soon as the step ends; the last step's output (a session ticket in TLS 1.3, the
        // Finished in 1.2) waits for the end of the round and leaves in one segment with the
        // first answer (and, for a client that closes, the close_notify and FIN) instead of
        // costing a loopback delivery of its own.
        cork(connection)
        switch connection.transport.handshake() {
        case .done:
            connection.state.handshakeDone(now: clock.nanos())
            if connection.transport.isResumed {
                context.stats.add(.resumedHandshakes)
            } else {
                context.stats.add(.fullHandshakes)
            }
            updateInterest(connection)
            readAvailable(connection)  // the client may have sent its request with the Finished message
        case .wantRead:
            uncork(connection)
            connection.state.tlsWaits(writable: false)
            updateInterest(connection)
        case .wantWrite:
            uncork(connection)
            connection.state.tlsWaits(writable: true)
            updateInterest(connection)
        case .closed:
            context.stats.add(.handshakeFailures)
            close(connection, failed: false)
        case .failed(let reason):
            context.stats.add(.handshakeFailures)
            context.logger.debug("TLS handshake failed", ["reason": reason])
            close(connection, failed: true)
        }
    }

    func readAvailable(_ connection: Connection<T>) {
        while connection.isOpen {
            connection.state.outputQueued(bytes: connection.queuedOutput)
            guard connection.state.mayRead else {
                // Paused: stop polling for input, or level-triggered epoll reports it every round.
                if connection.state.readingPaused { updateInterest(connection) }
                return
            }
            let status = scratch.withUnsafeMutableBytes { connection.transport.read(into: $0) }
            switch status {
            case .done(let n):
                if connection.state.tlsWantsWrite {
                    connection.state.tlsWaits(writable: false)
                    updateInterest(connection)
                }
                if connection.state.phase == .lingering {
                    droppedAfterClose(connection, bytes: n)
                    continue  // only the close is awaited
                }
                if connection.hasBufferedInput {
                    connection.input.append(contentsOf: scratch[0..<n])
                    processInput(connection)
                } else {
                    // Nothing held over from an earlier read (the usual case): the bytes are
                    // parsed where they landed and only what is left unparsed (a request the
                    // read cut short) is kept, so a whole request is not copied on its way in.
                    let end = scratch.withUnsafeBufferPointer { process(connection, UnsafeBufferPointer(rebasing: $0[0..<n]), from: 0) }
                    if end < n {
                        connection.input.removeAll(keepingCapacity: true)
                        connection.input.append(contentsOf: scratch[end..<n])
                        connection.inputStart = 0
                    }
                }
                scheduleFlush(connection)
                // A short read with nothing left inside OpenSSL: the socket is very likely drained,
                // and epoll (level-triggered) reports it again if not. Saves a read that would
                // only say EAGAIN.
                if n < scratch.count && !connection.transport.holdsUnreadBytes { return }
            case .wantRead:
                return
            case .wantWrite:
                connection.state.tlsWaits(writable: true)
                updateInterest(connection)
                return
            case .closed:
                close(connection, failed: false)
                return
            case .failed:
                close(connection, failed: true)
                return
            }
        }
    }

    /// Bytes on a connection whose side we shut: after a refusal, the rest of the refused request;
    /// after an idle close, a request the client wrote before it saw our close, which it will see
    /// fail. The idle rules exist so that the second never happens: count it, and say so.
    private func droppedAfterClose(_ connection: Connection<T>, bytes: Int) {
        guard connection.state.bytesWhileLingering() else { return }
        context.stats.add(.requestsAfterClose)
        context.logger.warning("a request arrived after the server closed the connection; the client sees it fail",
                              ["bytes": "\(bytes)", "reason": connection.state.reasonClosed(failed: false).label])
    }

    /// Parses and answers every complete request held in the connection's input.
    func processInput(_ connection: Connection<T>) {
        let end = connection.input.withUnsafeBufferPointer { process(connection, $0, from: connection.inputStart) }
        connection.inputStart = end
        compactInput(connection)
    }

    /// Parses and answers every complete request in `b` from `start`, in order; returns where
    /// it stopped (at the end, or before what it may not answer yet).
    func process(_ connection: Connection<T>, _ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let now = clock.nanos()
        var start = start
        while connection.state.mayParse {
            if connection.parser.isIdle && start < b.count { connection.state.requestStarted(now: now) }
            let event = connection.parser.parse(b, &start)
            switch event {
            case .needMore:
                if connection.parser.isReadingBody { connection.state.headComplete(now: now) }
                return start
            case .expectContinue:
                connection.state.headComplete(now: now)
                connection.output.append(contentsOf: ResponseWriter.continueLine)
            case .request(let request):
                if context.handler.runsOffLoop(request) {
                    if handOff(request, connection, now: now) { return start }
                    answer(connection, .text(503, "busy: too many requests waiting for the worker"), keepAlive: request.keepAlive,
                           headOnly: request.method == "HEAD", now: now, moreBuffered: start < b.count)
                    continue
                }
                answer(connection, context.handler.handle(request), keepAlive: request.keepAlive, headOnly: request.method == "HEAD",
                       now: now, moreBuffered: start < b.count)
            case .error(let error):
                respondWithError(connection, status: error.status, reason: error.reason)
            }
        }
        return start
    }

    private func compactInput(_ connection: Connection<T>) {
        if connection.inputStart == connection.input.count {
            if connection.input.capacity > 64 * 1024 {
                connection.input = []
            } else {
                connection.input.removeAll(keepingCapacity: true)
            }
            connection.inputStart = 0
        } else if connection.inputStart > 32 * 1024 {
            connection.input.removeFirst(connection.inputStart)
            connection.inputStart = 0
        }
    }
}
