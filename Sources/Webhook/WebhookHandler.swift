// The webhook's endpoints: /mutate, /validate/policy, /validate/disruptions, /preview, /healthz,
// /readyz, /metrics, on one TLS port, or /preview and /metrics on an admin port of their own
// (`--admin-listen`).
// The webhook must never be why a Spark pod fails to start: anything short of a malformed
// request is answered `allowed: true`, with a warning when something went wrong.
import HTTPServer
import Posix

public struct WebhookHandler: HTTPHandler {
    public let policies: PolicyStore
    public let metrics: Metrics
    let logger: Logger
    /// The server this handler answers for, as /readyz and /metrics report it; nil: none yet.
    let server: ServerView?
    /// The priority classes the cluster has (`serve --priority-classes`): the apply-time check warns
    /// about a rule naming another. nil: not known, no such warning.
    let knownPriorityClasses: Set<String>?
    /// The largest body /preview reads.
    let maxPreviewBytes: Int
    /// What an admission's duration is measured by.
    let clock: TimeSource
    private let router: Router

    /// Which endpoints a listener serves besides /healthz and /readyz.
    public struct Endpoints: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// /mutate, /validate/policy, /validate/disruptions: what the apiserver calls.
        public static let webhook = Endpoints(rawValue: 1)
        /// /preview and /metrics: for people and Prometheus.
        public static let admin = Endpoints(rawValue: 2)
        public static let all: Endpoints = [.webhook, .admin]
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse { router.handle(request) }

    /// A preview reads a person's YAML or JSON of up to `maxPreviewBytes`: milliseconds at worst,
    /// but milliseconds /mutate on the same loop would wait. It runs on the server's worker.
    public func runsOffLoop(_ request: HTTPRequest) -> Bool { request.path == "/preview" }

    static let jsonTypes: [StaticString] = ["application/json"]
    static let yamlTypes: [StaticString] = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]
    /// A Pod or a review is tens of kilobytes.
    public static let defaultMaxPreviewBytes = 256 * 1024
}

extension WebhookHandler {
    public init(policies: PolicyStore, metrics: Metrics, logger: Logger, server: ServerView? = nil,
                knownPriorityClasses: Set<String>? = nil, maxPreviewBytes: Int = Self.defaultMaxPreviewBytes, endpoints: Endpoints = .all,
                clock: TimeSource = .system) {
        // The routes run the endpoints on a copy made without routes: the endpoints never route,
        // and everything else they read is in it.
        let unrouted = WebhookHandler(policies: policies, metrics: metrics, logger: logger, server: server,
                                      knownPriorityClasses: knownPriorityClasses, maxPreviewBytes: maxPreviewBytes, clock: clock, router: Router())
        self.init(policies: policies, metrics: metrics, logger: logger, server: server,
                  knownPriorityClasses: knownPriorityClasses, maxPreviewBytes: maxPreviewBytes, clock: clock, router: unrouted.routes(endpoints))
    }

    private func routes(_ endpoints: Endpoints) -> Router {
        var router = Router()
        if endpoints.contains(.webhook) {
            router.add("POST", "/mutate") { mutate($0) }
            router.add("POST", "/validate/policy") { validatePolicy($0) }
            router.add("POST", "/validate/disruptions") { disruption($0) }
        }
        if endpoints.contains(.admin) {
            router.add("POST", "/preview") { preview($0) }
            router.add("GET", "/metrics") { _ in metricsPage() }
        }
        router.add("GET", "/healthz") { _ in .text(200, "ok") }
        router.add("GET", "/readyz") { _ in
            server?.readiness.isServing == true ? .text(200, "ready") : .text(503, "not ready: draining or not yet serving")
        }
        return router
    }

    private func metricsPage() -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        return HTTPResponse(status: 200, headers: headers, body: Array(metrics.render(server: server?.stats, tls: server?.certificates.current).utf8))
    }
}
