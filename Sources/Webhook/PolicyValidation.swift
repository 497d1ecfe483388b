// POST /validate/policy: the apply-time check of the policy ConfigMap. The apiserver sends only
// that ConfigMap (manifests/base/validatingwebhook.yaml selects it); its policy documents are
// loaded with the loader `sparkhook check` and the server use, and an invalid one is refused with
// `KEY:LINE:COLUMN: message` lines, so that it is never stored.
import Admission
import HTTPServer
import JSON
import Policy

extension WebhookHandler {
    /// The most problems one answer lists, as `check` prints at most this many per file.
    static let maxPolicyProblems = 50
    func validatePolicy(_ request: HTTPRequest) -> HTTPResponse {
        guard request.hasMediaType(Self.jsonTypes) else {
            metrics.request(.validatePolicy, .unsupportedMediaType)
            return .text(415, "Content-Type must be application/json")
        }
        let review: AdmissionRequest
        do { review = try AdmissionRequest(body: request.body) } catch {
            metrics.request(.validatePolicy, .badRequest)
            logger.warning("validate policy: not an AdmissionReview", ["error": bounded("\(error)", max: 200)])
            return .text(400, "not an AdmissionReview: \(error)")
        }
        let verdict: PolicyVerdict, name: String
        do { (verdict, name) = try review.read { (PolicyVerdict(configMap: $0, priorityClasses: knownPriorityClasses), $0?["metadata", "name"]?.stringValue ?? "") } } catch {
            metrics.request(.validatePolicy, .badRequest)
            logger.warning("validate policy: not an AdmissionReview", ["uid": review.uid, "error": bounded("\(error)", max: 200)])
            return .text(400, "not an AdmissionReview: \(error)")
        }
        metrics.request(.validatePolicy, verdict.allowed ? .allowed : .denied)
        logger.info("policy validated", [
            "uid": review.uid, "namespace": review.namespace ?? "", "name": bounded(name, max: 253),
            "allowed": "\(verdict.allowed)", "dryRun": "\(review.dryRun)",
            "message": bounded(verdict.message, max: 200), "warnings": "\(verdict.warnings.count)",
        ])
        return Self.json(200, verdict.review(uid: review.uid, apiVersion: review.apiVersion))
    }
}

/// What the policy check says about one ConfigMap: its policy sources as ConfigMapPolicy reads
/// them (`sparkhook check` of a manifest reads them the same way).
struct PolicyVerdict {
    var allowed = true
    var message = ""
    var warnings: [String] = []

    init(configMap: JSON?, priorityClasses: Set<String>? = nil) {
        let sources: [(file: String, text: String)]
        do { sources = try ConfigMapPolicy.sources(configMap) } catch { refuse(error.description); return }
        do {
            let set = try PolicyLoader.load(sources: sources, emptyIs: "data")
            warnings = PolicyWarnings.of(set, priorityClasses: priorityClasses)
        } catch let error as PolicyError {
            let shown = error.problems.prefix(WebhookHandler.maxPolicyProblems).map(\.description)
            var lines = ["invalid sparkhook policy (\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")):"] + shown
            if error.problems.count > shown.count { lines.append("... and \(error.problems.count - shown.count) more") }
            refuse(lines.joined(separator: "\n"))
        } catch {
            refuse("cannot check the policy: \(error)")
        }
    }

    private mutating func refuse(_ reason: String) {
        allowed = false
        message = reason
    }

    func review(uid: String, apiVersion: String) -> [UInt8] {
        var response: JSONObject = ["uid": .string(uid), "allowed": .bool(allowed)]
        if !allowed { response["status"] = .object(["code": .number("422"), "reason": .string("Invalid"), "message": .string(message)]) }
        if !warnings.isEmpty { response["warnings"] = .array(warnings.map { .string($0) }) }
        let review: JSONObject = ["apiVersion": .string(apiVersion), "kind": .string("AdmissionReview"), "response": .object(response)]
        return JSON.object(review).serialized()
    }
}
