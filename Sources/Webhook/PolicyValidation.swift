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
    /// A ConfigMap holds at most 1 MiB of data; more is not a ConfigMap the apiserver would store.
    static let maxPolicyDataBytes = 1024 * 1024

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

/// What the policy check says about one ConfigMap: its policy sources are the `data` keys a
/// mounted volume would show as files that `PolicyLoader.files(at:)` reads (no hidden names),
/// in name order.
struct PolicyVerdict {
    var allowed = true
    var message = ""
    var warnings: [String] = []

    init(configMap: JSON?, priorityClasses: Set<String>? = nil) {
        // A mounted volume shows binaryData keys as files too, which the server would read as policies.
        if let binary = configMap?["binaryData"]?.objectValue, let key = binary.keys.first(where: { !$0.hasPrefix(".") }) {
            refuse("binaryData.\(excerpt(key)): sparkhook would read it as a policy file; put policy documents in data"); return
        }
        guard let data = configMap?["data"] else { refuse("the ConfigMap has no data: sparkhook would find no policy"); return }
        guard let entries = data.objectValue else { refuse("data is not an object"); return }
        var sources: [(file: String, text: String)] = []
        var size = 0
        for entry in entries.entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) where !entry.key.hasPrefix(".") {
            guard let text = entry.value.stringValue else { refuse("data.\(excerpt(entry.key)) is not a string"); return }
            size += text.utf8.count
            guard size <= WebhookHandler.maxPolicyDataBytes else { refuse("data is larger than \(WebhookHandler.maxPolicyDataBytes) bytes"); return }
            sources.append((entry.key, text))
        }
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
