// One event-loop thread: accepts from the shared listeners, drives TLS and HTTP on its own
// connections, runs the handler inline (or on the server's worker, for requests the handler says
// may be slow), and sweeps time limits every 250 ms.
import CPosix
import Glibc
import Synchronization

final class EventLoop: @unchecked Sendable {
    private let epoll: Epoll
    private unowned let server: Server
    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 1
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var dates = DateCache()
    private var listening = false
    private var lastSweep: UInt64 = 0
    /// Connections with answers queued during this round of events, written when the round ends.
    private var unflushed: [Connection] = []
    /// Connections corked during this round, uncorked when it ends.
    private var corked: [Connection] = []
    /// Answers the worker finished, for connections of this loop.
    private let finished = Mutex<[(id: UInt64, response: HTTPResponse)]>([])
    private let hasFinished = Atomic<Bool>(false)

    init(server: Server) throws {
        self.epoll = try Epoll()
        self.server = server
    }

    func wake() { epoll.wake() }

    private var limits: HTTPLimits { server.configuration.limits }

    func run() {
        for (i, listener) in server.listeners.enumerated() {
            do {
                try epoll.add(listener.fd, .readable, token: Self.listenerToken(i), exclusive: true)
            } catch {
                server.logger.error("cannot poll listener", ["error": "\(error)"])
            }
        }
        listening = true
        while true {
            do {
                try epoll.wait(timeoutMilliseconds: 250) { token, events in
                    if token == Epoll.wakeToken { return }
                    if token >= Self.listenerToken(server.listeners.count - 1) {
                        acceptAll(server.listeners[Int(Self.listenerToken(0) - token)])
                    } else if let connection = connections[token] {
                        onEvent(connection, events)
                    }
                }
            } catch {
                server.logger.error("epoll_wait failed", ["error": "\(error)"])
            }
            if hasFinished.load(ordering: .acquiring) { deliverFinished() }
            flushRound()
            uncorkRound()
            let now = monotonicNanos()
            if server.isDraining {
                if listening { stopListening() }
                if connections.isEmpty { break }
                if now >= server.drainDeadline {
                    server.logger.warning("shutdown deadline reached; closing connections", ["open": "\(connections.count)"])
                    for connection in Array(connections.values) { close(connection) }
                    break
                }
            }
            if now &- lastSweep >= 250_000_000 {
                lastSweep = now
                sweep(now)
            }
        }
    }

    private static func listenerToken(_ index: Int) -> UInt64 { UInt64.max - 1 - UInt64(index) }

    private func stopListening() {
        for listener in server.listeners { epoll.remove(listener.fd) }
        listening = false
        server.loopStoppedListening()
    }

    // MARK: accepting

    private func acceptAll(_ listener: Socket) {
        for _ in 0..<64 {
            let socket: Socket?
            do { socket = try listener.accept() } catch {
                // EMFILE and friends: log and let the next wake-up try again.
                server.logger.warning("accept failed", ["error": "\(error)"])
                return
            }
            guard let socket else { return }
            if server.stats.openConnections.load(ordering: .relaxed) >= limits.maxConnections {
                ServerStats.bump(server.stats.rejectedConnections)
                continue  // closed by deinit
            }
            do {
                let tls = try TLSConnection(context: server.certificates.current, fd: socket.fd)
                let connection = Connection(id: nextID, socket: socket, tls: tls, now: monotonicNanos(), limits: limits)
                nextID += 1
                try epoll.add(socket.fd, .readable, token: connection.id)
                connections[connection.id] = connection
                ServerStats.bump(server.stats.openConnections)
                ServerStats.bump(server.stats.acceptedConnections)
            } catch {
                server.logger.warning("could not set up connection", ["error": "\(error)"])
            }
        }
    }

    // MARK: I/O

    private func onEvent(_ connection: Connection, _ events: IOEvents) {
        if events.contains(.error) && !events.contains(.readable) { return close(connection) }
        // Reading waits for the worker's answer; a peer that hung up meanwhile is gone.
        if connection.isHandling && !events.contains(.writable) { return close(connection) }
        if !connection.handshakeDone {
            handshake(connection)
            guard connection.handshakeDone, connection.isOpen else { return }
        }
        if events.contains(.writable) || connection.hasPendingOutput { flush(connection) }
        if connection.isOpen && (events.contains(.readable) || events.contains(.hangup)) {
            readAvailable(connection)
        }
    }

    private func handshake(_ connection: Connection) {
        // Writes are corked while OpenSSL handshakes. A flight the client must answer is let out
        // as soon as the step ends; the last step's output (a session ticket in TLS 1.3, the
        // Finished in 1.2) waits for the end of the round and leaves in one segment with the
        // first answer (and, for a client that closes, the close_notify and FIN) instead of
        // costing a loopback delivery of its own.
        cork(connection)
        switch connection.tls.handshake() {
        case .done:
            connection.handshakeDone = true
            connection.state.handshakeDone(now: monotonicNanos())
            if connection.tls.isResumed {
                ServerStats.bump(server.stats.resumedHandshakes)
            } else {
                ServerStats.bump(server.stats.fullHandshakes)
            }
            setInterest(connection, .readable)
            readAvailable(connection)  // the client may have sent its request with the Finished message
        case .wantRead:
            uncork(connection)
            setInterest(connection, .readable)
        case .wantWrite:
            uncork(connection)
            setInterest(connection, [.readable, .writable])
        case .closed:
            ServerStats.bump(server.stats.handshakeFailures)
            close(connection)
        case .failed(let reason):
            ServerStats.bump(server.stats.handshakeFailures)
            server.logger.debug("TLS handshake failed", ["reason": reason])
            close(connection)
        }
    }

    private func readAvailable(_ connection: Connection) {
        while connection.isOpen {
            connection.state.outputQueued(bytes: connection.queuedOutput)
            guard connection.state.mayRead else { return }
            let status = scratch.withUnsafeMutableBytes { connection.tls.read(into: $0) }
            switch status {
            case .done(let n):
                if connection.state.phase == .lingering { continue }  // dropped: only the close is awaited
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
                if n < scratch.count && !connection.tls.holdsUnreadBytes { return }
            case .wantRead:
                return
            case .wantWrite:
                setInterest(connection, [.readable, .writable])
                return
            case .closed, .failed:
                close(connection)
                return
            }
        }
    }

    /// Parses and answers every complete request held in the connection's input.
    private func processInput(_ connection: Connection) {
        let end = connection.input.withUnsafeBufferPointer { process(connection, $0, from: connection.inputStart) }
        connection.inputStart = end
        compactInput(connection)
    }

    /// Parses and answers every complete request in `b` from `start`, in order; returns where
    /// it stopped (at the end, or before what it may not answer yet).
    private func process(_ connection: Connection, _ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let now = monotonicNanos()
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
                if server.handler.runsOffLoop(request) {
                    if handOff(request, connection, now: now) { return start }
                    answer(connection, .text(503, "busy: too many requests waiting for the worker"), keepAlive: request.keepAlive,
                           headOnly: request.method == "HEAD", now: now, moreBuffered: start < b.count)
                    continue
                }
                answer(connection, server.handler.handle(request), keepAlive: request.keepAlive, headOnly: request.method == "HEAD",
                       now: now, moreBuffered: start < b.count)
            case .error(let error):
                respondWithError(connection, status: error.status, reason: error.reason)
            }
        }
        return start
    }

    /// Queues `request` on the worker, whose answer comes back through `finish`; false when its
    /// queue is full. The connection reads nothing until then.
    private func handOff(_ request: HTTPRequest, _ connection: Connection, now: UInt64) -> Bool {
        let handler = server.handler, id = connection.id
        guard server.worker.submit({ [unowned self] in finish(id, handler.handle(request)) }) else { return false }
        connection.pendingAnswer = (request.keepAlive, request.method == "HEAD")
        connection.state.handling(now: now)
        setInterest(connection, connection.hasPendingOutput ? .writable : [])
        return true
    }

    /// From the worker's thread: hands an answer back to this loop.
    private func finish(_ id: UInt64, _ response: HTTPResponse) {
        finished.withLock { $0.append((id, response)) }
        hasFinished.store(true, ordering: .releasing)
        wake()
    }

    private func deliverFinished() {
        hasFinished.store(false, ordering: .relaxed)
        let answers = finished.withLock { list in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        let now = monotonicNanos()
        for (id, response) in answers {
            guard let connection = connections[id], connection.isHandling, let pending = connection.pendingAnswer else { continue }
            connection.pendingAnswer = nil
            answer(connection, response, keepAlive: pending.keepAlive, headOnly: pending.headOnly, now: now,
                   moreBuffered: connection.hasBufferedInput)
            setInterest(connection, .readable)
            processInput(connection)  // requests pipelined behind it
            scheduleFlush(connection)
            if connection.isOpen && !connection.isHandling { readAvailable(connection) }
        }
    }

    private func answer(_ connection: Connection, _ response: HTTPResponse, keepAlive: Bool, headOnly: Bool, now: UInt64, moreBuffered: Bool) {
        let keepAlive = keepAlive && !server.isDraining
        dates.update(nowSeconds: time(nil))
        ResponseWriter.append(response, keepAlive: keepAlive, headOnly: headOnly, date: dates.value, to: &connection.output)
        connection.state.requestDone(now: now, keepAlive: keepAlive, moreBuffered: moreBuffered)
        connection.state.outputQueued(bytes: connection.queuedOutput)
    }

    private func respondWithError(_ connection: Connection, status: Int, reason: String) {
        ServerStats.bump(server.stats.protocolErrors)
        server.logger.info("rejected request", ["status": "\(status)", "reason": reason])
        dates.update(nowSeconds: time(nil))
        ResponseWriter.append(.text(status, reason), keepAlive: false, headOnly: false, date: dates.value, to: &connection.output)
        connection.state.refused(now: monotonicNanos())
    }

    private func compactInput(_ connection: Connection) {
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

    /// Answers are written when the round of events ends rather than one by one: a client woken
    /// once finds all its answers, instead of being woken (an interrupt on loopback) for each.
    private func scheduleFlush(_ connection: Connection) {
        guard connection.hasPendingOutput, !connection.flushScheduled else { return }
        connection.flushScheduled = true
        unflushed.append(connection)
    }

    private func flushRound() {
        var i = 0
        while i < unflushed.count {
            let connection = unflushed[i]
            connection.flushScheduled = false
            if connection.isOpen { flush(connection) }
            i += 1
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    private func cork(_ connection: Connection) {
        guard !connection.corked, connection.socket.setCork(true) else { return }
        connection.corked = true
        corked.append(connection)  // listed again only if uncorked and corked again: harmless
    }

    private func uncork(_ connection: Connection) {
        guard connection.corked else { return }
        _ = connection.socket.setCork(false)
        connection.corked = false
    }

    /// Lets out what corked connections wrote this round; a closed one sent it when it closed.
    private func uncorkRound() {
        for connection in corked where connection.isOpen { uncork(connection) }
        corked.removeAll(keepingCapacity: true)
    }

    private func flush(_ connection: Connection) {
        while connection.hasPendingOutput {
            let start = connection.outputStart
            let status = connection.output.withUnsafeBytes { connection.tls.write(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            switch status {
            case .done(let n):
                connection.outputStart += n
            case .wantWrite:
                connection.state.writeBlocked(now: monotonicNanos())
                setInterest(connection, connection.isHandling ? .writable : [.readable, .writable])
                return
            case .wantRead:
                setInterest(connection, connection.isHandling ? [] : .readable)
                return
            case .closed, .failed:
                close(connection)
                return
            }
        }
        if connection.output.capacity > 256 * 1024 { connection.output = [] } else { connection.output.removeAll(keepingCapacity: true) }
        connection.outputStart = 0
        setInterest(connection, connection.isHandling ? [] : .readable)
        switch connection.state.outputDrained(now: monotonicNanos(), unread: connection.hasBufferedInput || connection.tls.holdsUnreadBytes) {
        case .close:
            connection.tls.shutdown()
            close(connection)
        case .linger:
            beginLinger(connection)
        case .resumeReading:
            processInput(connection)
            readAvailable(connection)
        case .none, .respond408:
            break
        }
    }

    /// Sends close_notify and a FIN, then waits briefly for the peer to close, dropping what it
    /// sends, so a client still sending a rejected body reads our answer rather than a reset.
    private func beginLinger(_ connection: Connection) {
        connection.tls.shutdown()
        connection.socket.shutdownWrite()
    }

    private func setInterest(_ connection: Connection, _ interest: IOEvents) {
        guard connection.interest != interest else { return }
        connection.interest = interest
        try? epoll.modify(connection.socket.fd, interest, token: connection.id)
    }

    private func close(_ connection: Connection) {
        guard connection.isOpen else { return }
        connection.isOpen = false
        connections[connection.id] = nil
        connection.socket.close()  // which also takes it out of the epoll set (no dup'ed descriptors)
        ServerStats.bump(server.stats.openConnections, by: -1)
    }

    private func sweep(_ now: UInt64) {
        let draining = server.isDraining
        for connection in Array(connections.values) {
            // Draining: an idle keep-alive connection is closed once it has stayed idle a moment.
            // Closing it at once would race with a request the client is sending right now;
            // a busy client instead gets Connection: close on its next answer.
            if draining && connection.state.closesWhenDraining(now: now, buffered: connection.hasBufferedInput) {
                close(connection)
                continue
            }
            switch connection.state.expiry(now: now, limits: limits) {
            case .none: break
            case .close:
                // An idle connection's end and a linger's are no one's slowness.
                if connection.state.phase != .idle && connection.state.phase != .lingering { ServerStats.bump(server.stats.timeouts) }
                close(connection)
            case .respond408:
                ServerStats.bump(server.stats.timeouts)
                respondWithError(connection, status: 408, reason: "request not received in time")
                flush(connection)
            case .linger, .resumeReading:
                break  // not time limits
            }
        }
    }
}

@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
