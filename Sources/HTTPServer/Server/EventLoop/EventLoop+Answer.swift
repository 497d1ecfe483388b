// Answering: writing a response into the connection's output, handing slow requests to the worker
// and taking its answers back.
import Glibc

extension EventLoop {
    /// Queues `request` on the worker, whose answer comes back through `finish`; false when its
    /// queue is full. The connection reads nothing until then.
    func handOff(_ request: HTTPRequest, _ connection: Connection<T>, now: UInt64) -> Bool {
        let handler = context.handler, id = connection.id
        guard context.worker.submit({ [unowned self] in finish(id, handler.handle(request)) }) else { return false }
        connection.state.handling(now: now, .init(keepAlive: request.keepAlive, headOnly: request.method == "HEAD"))
        updateInterest(connection)
        return true
    }

    /// From the worker's thread: hands an answer back to this loop.
    private func finish(_ id: UInt64, _ response: HTTPResponse) {
        finished.withLock { $0.append((id, response)) }
        hasFinished.store(true, ordering: .releasing)
        wake()
    }

    func deliverFinished() {
        hasFinished.store(false, ordering: .relaxed)
        let answers = finished.withLock { list in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        let now = clock.nanos()
        for (id, response) in answers {
            guard let connection = connections[id], let pending = connection.state.answerArrived() else { continue }
            answer(connection, response, keepAlive: pending.keepAlive, headOnly: pending.headOnly, now: now,
                   moreBuffered: connection.hasBufferedInput)
            processInput(connection)  // requests pipelined behind it
            updateInterest(connection)
            scheduleFlush(connection)
            if connection.isOpen && !connection.isHandling { readAvailable(connection) }
        }
    }

    func answer(_ connection: Connection<T>, _ response: HTTPResponse, keepAlive: Bool, headOnly: Bool, now: UInt64, moreBuffered: Bool) {
        let draining = context.shutdown.isDraining
        if draining { context.shutdown.answeredWhileDraining(now: now) }
        let keepAlive = connection.state.keepsAlive(requested: keepAlive, now: now, draining: draining)
        dates.update(nowSeconds: Int(clock.seconds()))
        ResponseWriter.append(response, keepAlive: keepAlive, headOnly: headOnly, date: dates.value, to: &connection.output)
        connection.state.requestDone(now: now, keepAlive: keepAlive, moreBuffered: moreBuffered)
        connection.state.outputQueued(bytes: connection.queuedOutput)
    }

    func respondWithError(_ connection: Connection<T>, status: Int, reason: String) {
        context.stats.add(.protocolErrors)
        context.logger.info("rejected request", ["status": "\(status)", "reason": reason])
        dates.update(nowSeconds: Int(clock.seconds()))
        ResponseWriter.append(.text(status, reason), keepAlive: false, headOnly: false, date: dates.value, to: &connection.output)
        connection.state.refused(now: clock.nanos())
    }
}
