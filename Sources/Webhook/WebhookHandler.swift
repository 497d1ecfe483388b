// The webhook's endpoints: /mutate, /preview, /healthz, /readyz, /metrics, on one TLS port, or
// /preview and /metrics on an admin port of their own (`--admin-listen`).
// The webhook must never be why a Spark pod fails to start: anything short of a malformed
// request is answered `allowed: true`, with a warning when something went wrong.
import Admission
import Glibc
import HTTPServer
import JSON
import Policy
import Synchronization

public final class WebhookHandler: HTTPHandler, @unchecked Sendable {
    public let policies: PolicyStore
    public let metrics: Metrics
    let logger: Logger
    private var router = Router()
    /// Set once before the server starts; read for /readyz and /metrics.
    public var server: Server?

    /// Which endpoints a listener serves besides /healthz and /readyz.
    public struct Endpoints: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// /mutate: what the apiserver calls.
        public static let webhook = Endpoints(rawValue: 1)
        /// /preview and /metrics: for people and Prometheus.
        public static let admin = Endpoints(rawValue: 2)
        public static let all: Endpoints = [.webhook, .admin]
    }

    public init(policies: PolicyStore, metrics: Metrics, logger: Logger, endpoints: Endpoints = .all) {
        self.policies = policies
        self.metrics = metrics
        self.logger = logger
        if endpoints.contains(.webhook) { router.add("POST", "/mutate") { [unowned self] in mutate($0) } }
        if endpoints.contains(.webhook) { router.add("POST", "/validate/policy") { [unowned self] in validatePolicy($0) } }
        if endpoints.contains(.webhook) { router.add("POST", "/validate/disruptions") { [unowned self] in disruption($0) } }
        if endpoints.contains(.admin) { addAdminRoutes() }
        router.add("GET", "/healthz") { _ in .text(200, "ok") }
        router.add("GET", "/readyz") { [unowned self] _ in
            server?.isServing == true ? .text(200, "ready") : .text(503, "not ready: draining or not yet serving")
        }
    }

    private func addAdminRoutes() {
        router.add("POST", "/preview") { [unowned self] in preview($0) }
        router.add("GET", "/metrics") { [unowned self] _ in
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return HTTPResponse(status: 200, headers: headers, body: Array(metrics.render(server: server?.stats, tls: server?.certificates.current).utf8))
        }
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse { router.handle(request) }

    /// A preview reads a person's YAML or JSON of up to `maxPreviewBytes`: milliseconds at worst,
    /// but milliseconds /mutate on the same loop would wait. It runs on the server's worker.
    public func runsOffLoop(_ request: HTTPRequest) -> Bool { request.path == "/preview" }

    static let jsonTypes: [StaticString] = ["application/json"]
    static let yamlTypes: [StaticString] = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]
    /// The largest body /preview reads: a Pod or a review is tens of kilobytes.
    public static let defaultMaxPreviewBytes = 256 * 1024
    public var maxPreviewBytes = WebhookHandler.defaultMaxPreviewBytes
    /// The priority classes the cluster has (`serve --priority-classes`): the apply-time check warns
    /// about a rule naming another. nil: not known, no such warning.
    public var knownPriorityClasses: Set<String>?

    static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    func mutate(_ request: HTTPRequest) -> HTTPResponse {
        guard request.hasMediaType(Self.jsonTypes) else {
            metrics.request(.mutate, .unsupportedMediaType)
            logger.warning("mutate: unsupported Content-Type", ["contentType": request.headers["Content-Type"] ?? ""])
            return .text(415, "Content-Type must be application/json")
        }
        let start = monotonicSeconds()
        let snapshot = policies.current
        let review: AdmissionRequest
        do {
            review = try AdmissionRequest(body: request.body)
        } catch {
            metrics.request(.mutate, .badRequest)
            logger.warning("mutate: not an AdmissionReview", ["error": "\(error)"])
            return .text(400, "not an AdmissionReview: \(error)")
        }
        do {
            let outcome: ReviewOutcome
            do { outcome = try Decision.decide(review, policy: snapshot.policy, readName: logger.minimum <= .debug) } catch let error as AdmissionError {
                metrics.request(.mutate, .badRequest)
                logger.warning("mutate: not an AdmissionReview", ["uid": review.uid, "error": "\(error)"])
                return .text(400, "not an AdmissionReview: \(error)")
            }
            let body = outcome.response.review(apiVersion: review.apiVersion)
            let elapsed = monotonicSeconds() - start
            let applied = outcome.mutation?.applied ?? []
            metrics.admission(seconds: elapsed, applied: applied, warnings: outcome.response.warnings.count,
                              placed: Self.placement(outcome.mutation, policy: snapshot.policy), fallbacks: outcome.mutation?.fallbacks ?? [])
            let result: Metrics.Outcome = outcome.mutation?.isSparkPod != true ? .skipped : outcome.response.patch.isEmpty ? .unchanged : .mutated
            metrics.request(.mutate, result)
            // One line per admission at debug only: the apiserver's audit log already records each
            // decision through auditAnnotations, and a line per pod costs a write on the hot path.
            // Warnings are always logged.
            let level: Logger.Level = outcome.response.warnings.isEmpty ? .debug : .warning
            if level >= logger.minimum { logger.log(level, "admission", [
                "uid": review.uid, "namespace": review.namespace ?? "", "name": outcome.name ?? "",
                "outcome": result.rawValue, "rules": outcome.mutation?.appliedSummary ?? "",
                "warnings": outcome.response.warnings.joined(separator: "; "), "dryRun": "\(review.dryRun)",
                "micros": "\(Int(elapsed * 1_000_000))", "generation": "\(snapshot.generation)",
            ]) }
            return Self.json(200, body)
        } catch {
            // Could not decide: let the pod through unchanged, and say so everywhere.
            var response = AdmissionResponse(uid: review.uid)
            response.warnings = ["\(Decision.warningPrefix)internal error, pod admitted unchanged: \(error)"]
            metrics.admission(seconds: monotonicSeconds() - start, applied: [], warnings: 1)
            metrics.request(.mutate, .internalError)
            logger.error("admission failed; pod admitted unchanged", ["uid": review.uid, "namespace": review.namespace ?? "", "error": "\(error)"])
            return Self.json(200, response.review(apiVersion: review.apiVersion))
        }
    }

    /// A Spark pod's role and priority class for the per-class counts; a class no rule sets is
    /// `other`, so the label set stays what the policy makes it.
    static func placement(_ mutation: Mutation?, policy: PolicySet) -> (role: String, priorityClass: String)? {
        guard let mutation, mutation.isSparkPod, let role = mutation.pod["metadata", "labels", "spark-role"]?.stringValue else { return nil }
        let cls = mutation.pod["spec", "priorityClassName"]?.stringValue
        return (role, cls.map { policy.priorityClasses.contains($0) ? $0 : "other" } ?? "none")
    }

    func preview(_ request: HTTPRequest) -> HTTPResponse {
        let format: InputFormat
        if request.hasMediaType(Self.jsonTypes) {
            format = .json
        } else if request.hasMediaType(Self.yamlTypes) {
            format = .yaml
        } else {
            metrics.request(.preview, .unsupportedMediaType)
            return .text(415, "Content-Type must be application/json or application/yaml")
        }
        // /preview shares the event loops with /mutate: what it reads is bounded so that no
        // preview holds a loop for more than a few milliseconds.
        guard request.body.count <= maxPreviewBytes else {
            metrics.request(.preview, .badRequest)
            return .text(413, "a preview takes at most \(maxPreviewBytes) bytes")
        }
        do {
            let input = try PreviewInput(request.body, format: format, source: "request body")
            let result = try Decision.preview(input, policy: policies.current.policy)
            metrics.request(.preview, .ok)
            return Self.json(200, result.serialized())
        } catch {
            metrics.request(.preview, .badRequest)
            logger.info("preview: bad input", ["error": bounded("\(error)", max: 400)])
            return .text(400, excerpt("\(error)", max: 400))
        }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
