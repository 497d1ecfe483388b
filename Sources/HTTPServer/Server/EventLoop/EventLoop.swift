// One event-loop thread: accepts from the shared listeners, drives TLS and HTTP on its own
// connections, runs the handler inline (or on the server's worker, for requests the handler says
// may be slow), and sweeps time limits every 250 ms. Its parts: accepting (EventLoop+Accept),
// reading and parsing (+Read), answering (+Answer), writing and closing (+Write), time limits and
// draining (+Sweep). It is generic over the transport and the poller, and knows of its server only
// the LoopContext the server gives it, so that a test drives this very loop with a scripted
// socket and a fake clock; `run` is the production driver over epoll.
import Glibc
import Posix
import Synchronization

final class EventLoop<T: Transport, P: Poller>: @unchecked Sendable {
    let poller: P
    let context: LoopContext<T>
    var clock: TimeSource { context.clock }
    var connections: [UInt64: Connection<T>] = [:]
    var nextID: UInt64 = 1
    var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    var dates = DateCache()
    var listening = false
    var lastSweep: UInt64 = 0
    /// Connections with answers queued during this round of events, written when the round ends.
    var unflushed: [Connection<T>] = []
    /// Connections corked during this round, uncorked when it ends.
    var corked: [Connection<T>] = []
    /// Answers the worker finished, for connections of this loop.
    let finished = Mutex<[(id: UInt64, response: HTTPResponse)]>([])
    let hasFinished = Atomic<Bool>(false)
    /// Draws each connection's maximum age; seeded per loop (no system call per connection).
    var random: SplitMix64

    init(context: LoopContext<T>, poller: P, seed: UInt64) {
        self.context = context
        self.poller = poller
        self.random = SplitMix64(seed: seed)
    }

    var limits: HTTPLimits { context.limits }

    /// From any thread (the worker's answers, shutdown).
    func wake() { poller.wake() }

    /// What ends a round of events: the worker's answers delivered, answers written, corks let
    /// out, time limits swept; while stopping, the listeners left. False when the loop is done.
    func endOfRound() -> Bool {
        if hasFinished.load(ordering: .acquiring) { deliverFinished() }
        flushRound()
        uncorkRound()
        let now = clock.nanos()
        if context.shutdown.isStopping {
            if listening { stopListening() }
            if connections.isEmpty { return false }
            if now >= context.shutdown.deadline {
                context.logger.warning("shutdown deadline reached; closing connections", ["open": "\(connections.count)"])
                for connection in Array(connections.values) { close(connection, failed: true) }
                return false
            }
        }
        if now &- lastSweep >= 250_000_000 {
            lastSweep = now
            sweep(now)
        }
        return true
    }

    static func listenerToken(_ index: Int) -> UInt64 { UInt64.max - 1 - UInt64(index) }

    func stopListening() {
        for listener in context.listeners.sockets { poller.remove(listener.fd) }
        listening = false
        context.listeners.loopStoppedListening()
    }
}

extension EventLoop where P == Epoll {
    convenience init(context: LoopContext<T>) throws {
        let epoll = try Epoll()
        self.init(context: context, poller: epoll, seed: UInt64.random(in: 0...UInt64.max))
    }

    func run() {
        for (i, listener) in context.listeners.sockets.enumerated() {
            do {
                try poller.add(listener.fd, .readable, token: Self.listenerToken(i), exclusive: true)
            } catch {
                context.logger.error("cannot poll listener", ["error": "\(error)"])
            }
        }
        listening = true
        repeat {
            do {
                try poller.wait(timeoutMilliseconds: 250) { token, events in
                    if token == Epoll.wakeToken { return }
                    if token >= Self.listenerToken(context.listeners.sockets.count - 1) {
                        acceptAll(context.listeners.sockets[Int(Self.listenerToken(0) - token)])
                    } else {
                        onEvent(token, events)
                    }
                }
            } catch {
                context.logger.error("epoll_wait failed", ["error": "\(error)"])
            }
        } while endOfRound()
    }
}
