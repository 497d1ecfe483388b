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

    private(set) var listeners: [Socket] = []
    public private(set) var boundAddresses: [SocketAddress] = []
    private var loops: [EventLoop<TLSSocket, Epoll>] = []
    private var threads: [pthread_t] = []
    private let stopping = Atomic<Bool>(false)
    /// While draining: when a request was last answered (or the drain began), for the idle rule.
    private let drainQuietSince = Atomic<UInt64>(0)
    private let deadline = Atomic<UInt64>(.max)
    private let loopsListening = Atomic<Int>(0)

    /// `stats` and `readiness` may be made first and handed to the handler too (for /metrics and
    /// /readyz), so that nothing is set on it after the server is built.
    public init(configuration: ServerConfiguration, certificates: CertificateStore, handler: any HTTPHandler, logger: Logger,
                stats: ServerStats = ServerStats(), readiness: Readiness = Readiness()) {
        self.configuration = configuration
        self.certificates = certificates
        self.handler = handler
        self.logger = logger
        self.stats = stats
        self.readiness = readiness
    }

    /// True from `start` until shutdown begins: the readiness signal.
    public var isServing: Bool { readiness.isServing }

    /// The first step of a shutdown (SIGTERM): readiness turns false, so that endpoints drop this
    /// pod, while the listeners stay open for whatever still arrives; from now on every answer says
    /// `Connection: close` (the client closes each connection after reading its answer, the one
    /// close that races with nothing) and connections left idle are closed once no request can be
    /// on its way. Safe from any thread.
    public func beginDraining() { beginDraining(now: monotonicNanos()) }

    func beginDraining(now: UInt64) {
        guard !isDraining else { return }
        drainQuietSince.store(now, ordering: .relaxed)
        guard readiness.beginDraining() else { return }
        logger.info("draining: every answer now closes its connection")
        for loop in loops { loop.wake() }
    }

    /// From `beginDraining` on.
    public var isDraining: Bool { readiness.isDraining }
    /// The drain as the idle rule sees it; nil when not draining.
    var drain: ConnectionState.Drain? { isDraining ? .init(quietSince: drainQuietSince.load(ordering: .relaxed)) : nil }
    /// A request was answered while draining (only then: nothing is stored per request otherwise).
    func answeredWhileDraining(now: UInt64) { drainQuietSince.store(now, ordering: .relaxed) }
    /// From `shutdown` on: the listeners are closed, and the loops stop when their connections
    /// are gone or the grace period is over.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }
    var shutdownDeadline: UInt64 { deadline.load(ordering: .relaxed) }

    /// Binds the listeners and starts the loop threads; returns once they serve.
    public func start() throws {
        for address in configuration.listen {
            let socket = try Socket.listen(on: address)
            listeners.append(socket)
            boundAddresses.append(try socket.localAddress())
        }
        for _ in 0..<configuration.threads { loops.append(try EventLoop<TLSSocket, Epoll>(server: self)) }
        loopsListening.store(loops.count, ordering: .relaxed)
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
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deadline.store(monotonicNanos() &+ configuration.shutdownGraceNanos, ordering: .relaxed)
        logger.info("shutting down: listeners closed, finishing open connections", ["graceSeconds": "\(configuration.shutdownGraceNanos / 1_000_000_000)"])
        for loop in loops { loop.wake() }
    }

    /// Each loop calls this once it no longer polls the listeners; the last one closes them,
    /// so no loop can accept on a descriptor number that was closed and reused.
    func loopStoppedListening() {
        if loopsListening.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            for listener in listeners { listener.close() }
        }
    }

    /// Blocks until every loop has stopped (after `shutdown` and draining).
    public func waitUntilStopped() {
        for thread in threads { pthread_join(thread, nil) }
        threads = []
        // The last word on a drain: a stopped replica can no longer be scraped.
        // Every close reason, from the enum: a new reason is logged without a change here.
        logger.log(.info, "stopped", fields: CloseReason.allCases.map { ("closed.\($0.label)", "\(stats.closedConnections($0))") }
                   + [("requestsAfterClose", "\(stats.requestsAfterClose.load(ordering: .relaxed))")])
    }
}
