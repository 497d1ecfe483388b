// POST /validate/disruptions: a validating webhook that sees a Spark pod gain a DisruptionTarget
// condition (preempted, evicted, terminated by the kubelet or the taint manager), counts it by
// role and reason and logs one line. It never denies: every review it can read is allowed, counted
// or not; a body that is not an AdmissionReview (or not JSON at any level it reads) is a 400, as
// for every admission endpoint (AdmissionEndpoint).
import Admission
import HTTPServer
import JSON
import Policy

extension WebhookHandler {
    static let disruptionTarget = "DisruptionTarget"

    /// What a review says about a Spark pod's new disruption, as read from it.
    struct Seen {
        var role: SparkRole
        var reason, uid, namespace, name, app, node, message: String
    }

    /// The disruption this request shows, if any: only where the condition is new (without
    /// matchConditions every status update of a disrupted pod would arrive here).
    static func seen(operation: String?, object: JSON?, oldObject: JSON?) -> Seen? {
        let found = operation == "DELETE"
            ? oldObject.flatMap { old in evicted(old).map { (old, $0) } }
            : object.flatMap { pod in addedDisruption(pod, old: oldObject).map { (pod, $0) } }
        guard let (pod, added) = found, let labels = pod["metadata", "labels"]?.objectValue, let role = SparkRole(labels: labels) else { return nil }
        return Seen(role: role, reason: added["reason"]?.stringValue ?? "", uid: pod["metadata", "uid"]?.stringValue ?? "",
                    namespace: pod["metadata", "namespace"]?.stringValue ?? "", name: pod["metadata", "name"]?.stringValue ?? "",
                    app: labels["spark-app-name"]?.stringValue ?? labels["sparkoperator.k8s.io/app-name"]?.stringValue ?? "",
                    node: pod["spec", "nodeName"]?.stringValue ?? "", message: added["message"]?.stringValue ?? "")
    }

    func disruption(_ request: HTTPRequest) -> HTTPResponse {
        answer(request, as: .validateDisruptions) { review in
            // Everything read from the pod is read inside the checked read: a level that is not
            // JSON (a key twice) could be read two ways, and is refused rather than counted.
            var seen: Seen?
            try review.read { object, oldObject in seen = Self.seen(operation: review.operation, object: object, oldObject: oldObject) }
            // Counted once per pod UID: one write can reach a webhook twice.
            if let seen, metrics.disruptions.count(role: seen.role, reason: seen.reason, pod: seen.uid) {
                logger.info("disruption", [
                    "namespace": bounded(seen.namespace, max: 64), "pod": bounded(seen.name, max: 128), "app": bounded(seen.app, max: 64),
                    "role": seen.role.rawValue, "node": bounded(seen.node, max: 128),
                    "reason": bounded(seen.reason, max: 64), "preemptor": Self.preemptor(seen.message), "message": bounded(seen.message, max: 160),
                ])
            }
            return (AdmissionResponse(uid: review.uid), nil, .allowed)
        }
    }

    /// The DisruptionTarget condition (status True) that `pod` has and `old` has not, if any.
    static func addedDisruption(_ pod: JSON, old: JSON?) -> JSON? {
        func target(_ object: JSON?) -> JSON? {
            object?["status", "conditions"]?.arrayValue?.first {
                $0["type"]?.stringValue == disruptionTarget && $0["status"]?.stringValue == "True"
            }
        }
        guard let now = target(pod) else { return nil }
        return target(old) == nil ? now : nil
    }

    /// An eviction adds its condition and deletes the pod inside the apiserver, where no webhook
    /// sees either (kube-apiserver 1.36); the kubelet's DELETE that finishes the pod (grace 0)
    /// carries both in oldObject, with the eviction's grace period. Deletes after that find 0.
    static func evicted(_ old: JSON) -> JSON? {
        guard (old["metadata", "deletionGracePeriodSeconds"]?.intValue ?? 1) > 0,
              let condition = addedDisruption(old, old: nil), condition["reason"]?.stringValue == "EvictionByEvictionAPI"
        else { return nil }
        return condition
    }

    /// The pod that preempted this one, when the scheduler's message names it
    /// ("preempted by pod UID on node NODE" in kube-scheduler 1.36, or a namespace/name).
    static func preemptor(_ message: String) -> String {
        let words = message.prefix(1024).split(separator: " ")
        guard let at = words.indices.first(where: { $0 + 2 < words.count && words[$0] == "preempted" && words[$0 + 1] == "by" })
        else { return "" }
        var rest = words[(at + 2)...]
        if rest.first == "pod", rest.count > 1 { rest = rest.dropFirst() }
        return bounded(String(rest.first!.prefix { $0 != "," }), max: 128)
    }
}
