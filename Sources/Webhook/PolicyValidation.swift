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
        answer(request, as: .validatePolicy) { review in
            var verdict = PolicyVerdict(), name = ""
            try review.read { configMap in
                verdict = PolicyVerdict(configMap: configMap, priorityClasses: knownPriorityClasses)
                name = configMap?["metadata", "name"]?.stringValue ?? ""
            }
            logger.info("policy validated", [
                "uid": review.uid, "namespace": review.namespace ?? "", "name": bounded(name, max: 253),
                "allowed": "\(verdict.allowed)", "dryRun": "\(review.dryRun)",
                "message": bounded(verdict.message, max: 200), "warnings": "\(verdict.warnings.count)",
            ])
            return (verdict.response(uid: review.uid), verdict.refusal, verdict.allowed ? .allowed : .denied)
        }
    }
}

/// What the policy check says about one ConfigMap: its policy sources as ConfigMapPolicy reads
/// them (`sparkhook check` of a manifest reads them the same way).
struct PolicyVerdict {
    var allowed = true
    var message = ""
    var warnings: [String] = []

    /// Allowed, before anything is checked.
    init() {}

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

    func response(uid: String) -> AdmissionResponse {
        var response = AdmissionResponse(uid: uid)
        response.warnings = warnings
        return response
    }

    /// A refusal is a 422 Invalid, as the apiserver's own validation answers an invalid object.
    var refusal: AdmissionResponse.Refusal? { allowed ? nil : .init(code: 422, reason: "Invalid", message: message) }
}
