// `sparkhook serve`: the webhook server. Validates its flags, loads the policy (an invalid one
// fails fast), then serves until SIGTERM, reloading policy and certificates as they change.
import ArgumentParser
import Glibc
import HTTPServer
import Policy
import Posix
import Webhook

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the webhook server (HTTPS: /mutate, /validate/policy, /validate/disruptions, /preview, /healthz, /readyz, /metrics).")

    @Option(help: "Address to listen on, IPv4 or [IPv6] with port; repeat for several.")
    var listen: [String] = ["127.0.0.1:8443"]

    @Option(name: .customLong("admin-listen"), help: "Serve /preview and /metrics here (TLS, same certificate) instead of on --listen, which keeps /mutate, /validate/policy, /validate/disruptions, /healthz and /readyz; repeat for several.")
    var adminListen: [String] = []

    @Option(name: .customLong("tls-cert"), help: "Serving certificate (PEM, chain allowed). Reloaded when it changes.", completion: .file())
    var tlsCert: String

    @Option(name: .customLong("tls-key"), help: "Private key of the serving certificate (PEM).", completion: .file())
    var tlsKey: String

    @Option(help: "A policy file, or a folder of them (a mounted ConfigMap). Reloaded when it changes and on SIGHUP.", completion: .file())
    var policy: String

    @Option(name: .customLong("client-ca"), help: "Require client certificates signed by this CA (PEM).", completion: .file())
    var clientCA: String?

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(name: .customLong("log-level"), help: "The least severe messages to log.")
    var logLevel: LogLevel = .info

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted.")
    var maxBodyBytes: Int = HTTPLimits().maxBodyBytes

    @Option(name: .customLong("max-connections"), help: "Open connections at most; more are closed at accept.")
    var maxConnections: Int = HTTPLimits().maxConnections

    @Option(name: .customLong("header-timeout"), help: "Seconds a client may take to send request headers (and the TLS handshake).")
    var headerTimeout: Double = 10

    @Option(name: .customLong("body-timeout"), help: "Seconds a client may take to send a request body.")
    var bodyTimeout: Double = 30

    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open (above the apiserver's 90).")
    var idleTimeout: Double = 120

    @Option(name: .customLong("max-connection-age"), help: "Seconds after which a connection's next answer says Connection: close (each connection draws its own age, up to 20% less), so that replicas behind a Service share the load again after a rollout; 0: no limit.")
    var maxConnectionAge: Double = Double(HTTPLimits().maxConnectionAgeNanos) / 1e9

    @Option(name: .customLong("max-connection-requests"), help: "Answers after which a connection's last says Connection: close (renews busy connections under load, for the same reason); 0: no limit.")
    var maxConnectionRequests = HTTPLimits().maxRequestsPerConnection

    @Option(name: .customLong("shutdown-delay"), help: "Seconds after SIGTERM to keep accepting, unready, every answer saying Connection: close, before closing the listener (while the endpoint leaves the Service).")
    var shutdownDelay: Double = 0

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight requests may take to finish on shutdown.")
    var shutdownGrace: Double = 20

    @Option(name: .customLong("watch-interval-ms"), help: "How often policy and certificate files are re-checked besides inotify.")
    var watchIntervalMs: Int32 = 2000

    var level: Logger.Level { logLevel.level }

    @Option(name: .customLong("priority-classes"), help: "The priority classes the cluster has besides Kubernetes' own, comma-separated (the manifests' PriorityClass objects): the apply-time policy check warns about a rule naming another.")
    var priorityClasses: String?

    /// --priority-classes as a set (nil when not given).
    var knownPriorityClasses: Set<String>? { priorityClasses.map(PriorityClasses.parse) }

    func validate() throws {
        try validatePriorityClasses(priorityClasses)
        for address in listen + adminListen {
            do { _ = try SocketAddress(parsing: address) } catch { throw ValidationError("\(error)") }
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard maxBodyBytes >= 1024, maxConnections >= 1 else { throw ValidationError("--max-body-bytes must be at least 1024 and --max-connections at least 1") }
        for (name, value) in [("header-timeout", headerTimeout), ("body-timeout", bodyTimeout), ("idle-timeout", idleTimeout)] where value <= 0 {
            throw ValidationError("--\(name) must be positive")
        }
        guard maxConnectionAge >= 0 else { throw ValidationError("--max-connection-age must not be negative") }
        guard maxConnectionRequests >= 0 else { throw ValidationError("--max-connection-requests must not be negative") }
        guard shutdownDelay >= 0, shutdownGrace >= 0 else { throw ValidationError("--shutdown-delay and --shutdown-grace must not be negative") }
    }

    func run() throws {
        Lifecycle.blockSignals()
        let logger = Logger(minimum: level)
        let policies: PolicyStore
        do { policies = try PolicyStore(path: policy) } catch {
            logger.error("invalid policy; not starting", ["policy": policy, "errors": "\(error)"])
            printError("\(error)")
            throw ExitCode(1)
        }
        let certificates: CertificateStore
        do {
            certificates = try CertificateStore(files: TLSFiles(certificate: tlsCert, privateKey: tlsKey, clientCA: clientCA))
        } catch {
            logger.error("cannot load TLS certificate; not starting", ["error": "\(error)"])
            printError("\(error)")
            throw ExitCode(1)
        }
        var limits = HTTPLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxConnections = maxConnections
        limits.headerTimeoutNanos = UInt64(headerTimeout * 1e9)
        limits.bodyTimeoutNanos = UInt64(bodyTimeout * 1e9)
        limits.idleTimeoutNanos = UInt64(idleTimeout * 1e9)
        limits.maxConnectionAgeNanos = maxConnectionAge == 0 ? .max : UInt64(maxConnectionAge * 1e9)
        limits.maxRequestsPerConnection = maxConnectionRequests == 0 ? .max : maxConnectionRequests
        let configuration = ServerConfiguration(
            listen: try listen.map { try SocketAddress(parsing: $0) },
            threads: threads ?? ServerConfiguration.usableCores,
            limits: limits,
            shutdownGraceNanos: UInt64(shutdownGrace * 1e9))

        // Built in dependency order, nothing set on anything afterwards: what the endpoints report of
        // the webhook server (its readiness and counters) first, then the handlers, then the servers.
        let metrics = Metrics()
        let webhookServer = ServerView(certificates: certificates)
        let handler = WebhookHandler(policies: policies, metrics: metrics, logger: logger, server: webhookServer,
                                     knownPriorityClasses: knownPriorityClasses, endpoints: adminListen.isEmpty ? .all : .webhook)
        let server = Server(configuration: configuration, certificates: certificates, handler: handler, logger: logger,
                            stats: webhookServer.stats, readiness: webhookServer.readiness)
        // The admin port has a loop of its own: a flood of previews or scrapes there never
        // reaches the loops the apiserver's connections are on. Its readiness and connection
        // figures are the webhook port's.
        let admin: Server? = adminListen.isEmpty ? nil : Server(
            configuration: ServerConfiguration(listen: try adminListen.map { try SocketAddress(parsing: $0) }, threads: 1,
                                               limits: limits, shutdownGraceNanos: configuration.shutdownGraceNanos),
            certificates: certificates,
            handler: WebhookHandler(policies: policies, metrics: metrics, logger: logger, server: webhookServer, endpoints: .admin),
            logger: logger)
        let snapshot = policies.current
        metrics.policyLoaded(generation: snapshot.generation, rules: snapshot.policy.rules.count, hash: snapshot.hash, at: TimeSource.wallSeconds(), initial: true)
        logger.info("policy loaded", ["policy": policy, "rules": "\(snapshot.policy.rules.count)", "generation": "1", "hash": snapshot.hash])
        do {
            try server.start()
            try admin?.start()
        } catch {
            logger.error("cannot start server", ["error": "\(error)"])
            printError("\(error)")
            throw ExitCode(1)
        }

        let reload: @Sendable (Bool) -> Void = { force in
            switch policies.reload(force: force) {
            case .unchanged:
                // Asked for (SIGHUP), an answer: the files are the policy in force.
                if force { logger.info("policy unchanged", ["policy": policy, "generation": "\(policies.current.generation)", "hash": policies.current.hash]) }
            case .reloaded(let current):
                // The snapshot this reload made (policies.current may already be a later one).
                let rules = current.policy.rules.count
                metrics.policyLoaded(generation: current.generation, rules: rules, hash: current.hash, at: TimeSource.wallSeconds())
                logger.info("policy reloaded", ["policy": policy, "rules": "\(rules)", "generation": "\(current.generation)", "hash": current.hash])
            case .refused(let errors):
                metrics.policyRefused()
                logger.error("policy refused; keeping the last good one",
                             ["policy": policy, "generation": "\(policies.current.generation)", "errors": errors])
            }
        }
        let policyWatcher = FileWatcher(paths: [policy], intervalMilliseconds: watchIntervalMs) { reload(false) }
        try policyWatcher.start()
        let certificateWatcher = try Lifecycle.watchCertificates(certificates, logger: logger, intervalMilliseconds: watchIntervalMs)
        Lifecycle.run(server, shutdownDelaySeconds: shutdownDelay) { reload(true) }
        admin?.shutdown()
        admin?.waitUntilStopped()
        policyWatcher.stop()
        certificateWatcher.stop()
    }
}
