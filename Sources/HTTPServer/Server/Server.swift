// The server: listeners shared by N event-loop threads, a certificate store, a handler, and a
// graceful shutdown (stop accepting, finish in-flight requests within a deadline, then stop).
import CPosix
import Glibc
import Posix
import Synchronization

public struct ServerConfiguration: Sendable {
    public var listen: [SocketAddress]
    public var threads: Int
    public var limits: HTTPLimits
    /// How long in-flight requests may take to finish after shutdown begins.
    public var shutdownGraceNanos: UInt64

    public init(listen: [SocketAddress], threads: Int = ServerConfiguration.usableCores,
                limits: HTTPLimits = HTTPLimits(), shutdownGraceNanos: UInt64 = 20_000_000_000) {
        self.listen = listen
        self.threads = max(1, threads)
        self.limits = limits
        self.shutdownGraceNanos = shutdownGraceNanos
    }

    /// One loop per CPU this process may use: its affinity mask, not every CPU online, so that a
    /// pinned server does not run two loops on one core.
    public static var usableCores: Int { max(1, Int(cposix_available_cpus())) }
}

public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let certificates: CertificateStore
    public let handler: any HTTPHandler
    public let logger: Logger
    public let stats: ServerStats
    public let readiness: Readiness
    /// Runs the requests the handler says may be slow, off the event loops.
    let worker = Worker(capacity: 32)

    private var listeners = Listeners([], loops: 0)
    public private(set) var boundAddresses: [SocketAddress] = []
    private var loops: [EventLoop<TLSSocket, Epoll>] = []
    private var threads: [pthread_t] = []
    let shutdownState: ShutdownState
    /// What the loops and the drain read the time from.
    let clock: TimeSource

    /// `stats` and `readiness` may be made first and handed to the handler too (for /metrics and
    /// /readyz), so that nothing is set on it after the server is built.
    public init(configuration: ServerConfiguration, certificates: CertificateStore, handler: any HTTPHandler, logger: Logger,
                stats: ServerStats = ServerStats(), readiness: Readiness = Readiness(), clock: TimeSource = .system) {
        self.configuration = configuration
        self.certificates = certificates
        self.handler = handler
        self.logger = logger
        self.stats = stats
        self.readiness = readiness
        self.shutdownState = ShutdownState(readiness: readiness)
        self.clock = clock
    }

    /// True from `start` until shutdown begins: the readiness signal.
    public var isServing: Bool { readiness.isServing }

    /// The first step of a shutdown (SIGTERM): readiness turns false, so that endpoints drop this
    /// pod, while the listeners stay open for whatever still arrives; from now on every answer says
    /// `Connection: close` (the client closes each connection after reading its answer, the one
    /// close that races with nothing) and connections left idle are closed once no request can be
    /// on its way. Safe from any thread.
    public func beginDraining() { beginDraining(now: clock.nanos()) }

    func beginDraining(now: UInt64) {
        guard shutdownState.beginDraining(now: now) else { return }
        logger.info("draining: every answer now closes its connection")
        for loop in loops { loop.wake() }
    }

    /// From `beginDraining` on.
    public var isDraining: Bool { shutdownState.isDraining }

    /// What a loop of this server uses of it, with accepted sockets made transports by `accept`.
    func loopContext<T: Transport>(accept: @escaping @Sendable (Socket) throws -> T) -> LoopContext<T> {
        LoopContext(limits: configuration.limits, handler: handler, logger: logger, stats: stats, worker: worker,
                    shutdown: shutdownState, listeners: listeners, clock: clock, accept: accept)
    }

    /// Binds the listeners and starts the loop threads; returns once they serve.
    public func start() throws {
        var sockets: [Socket] = []
        for address in configuration.listen {
            let socket = try Socket.listen(on: address)
            sockets.append(socket)
            boundAddresses.append(try socket.localAddress())
        }
        listeners = Listeners(sockets, loops: configuration.threads)
        let certificates = certificates
        let context = loopContext { try TLSSocket(socket: $0, context: certificates.current) }
        for _ in 0..<configuration.threads { loops.append(try EventLoop(context: context)) }
        for loop in loops {
            threads.append(try Threads.start { loop.run() })
        }
        readiness.serving()
        logger.info("listening", ["addresses": boundAddresses.map(\.description).joined(separator: ","),
                                  "threads": "\(loops.count)"])
    }

    /// Stops accepting and lets in-flight requests finish within the grace period (draining first
    /// if `beginDraining` was not called); safe from any thread, and only the first call counts.
    public func shutdown() {
        beginDraining()
        guard shutdownState.beginStopping(deadline: { clock.nanos() &+ configuration.shutdownGraceNanos }) else { return }
        logger.info("shutting down: listeners closed, finishing open connections", ["graceSeconds": "\(configuration.shutdownGraceNanos / 1_000_000_000)"])
        for loop in loops { loop.wake() }
    }

    /// Blocks until every loop has stopped (after `shutdown` and draining).
    public func waitUntilStopped() {
        for thread in threads { pthread_join(thread, nil) }
        threads = []
        worker.stop()
        // The last word on a drain: a stopped replica can no longer be scraped.
        // Every close reason, from the enum: a new reason is logged without a change here.
        logger.log(.info, "stopped", fields: CloseReason.allCases.map { ("closed.\($0.label)", "\(stats.closedConnections($0))") }
                   + [("requestsAfterClose", "\(stats[.requestsAfterClose])")])
    }
}
