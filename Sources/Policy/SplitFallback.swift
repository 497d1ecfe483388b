// Executors a split cannot place by their id, and what to tell about them. Spark's direct
// allocator labels each executor pod with its own `spark-exec-id` (1, 2, ...). Its statefulset and
// deployment allocators (Spark 3.3's StatefulSetPodsAllocator; 4.2's DeploymentPodsAllocator,
// SPARK-54173, apache/spark PR 52867) write one pod template for all executors, built with the
// executor id "EXECID": every pod carries `spark-exec-id: EXECID` and gets its id from the driver
// only when it starts (KubernetesExecutorBackend asks for GenerateExecID). At admission such a pod
// has no id of its own and, created by a ReplicaSet with generateName, not even a name: nothing
// tells executors apart, so a split cannot weigh them. They go to the fallback variant, every one
// of them, with a warning and a count; never a failed pod.
import JSON

/// An executor a split placed on its fallback variant: for the metric of such placements.
public struct SplitFallback: Sendable, Equatable {
    public var rule: String
    public var variant: String
    public init(rule: String, variant: String) { self.rule = rule; self.variant = variant }
}

extension SplitFallback {
    /// The id every pod of Spark's template-based allocators carries until the driver gives one.
    static let placeholder = "EXECID"

    /// The warning for an executor with no usable `spark-exec-id`, saying why when Spark's
    /// allocators explain it.
    static func warning(rule: String, variant: String, labels: JSONObject?, metadata: JSONObject) -> String {
        let label = labels?["spark-exec-id"]?.stringValue
        let owner = metadata["ownerReferences"]?.arrayValue?.first { $0["controller"]?.boolValue == true }?["kind"]?.stringValue
        if label == placeholder || owner == "ReplicaSet" || owner == "StatefulSet" {
            let by = owner == "StatefulSet" ? "statefulset" : "deployment"
            return "rule \(rule): spark-exec-id is \(label.map { "\"\($0)\"" } ?? "missing")\(owner.map { ", owned by a \($0)" } ?? ""): "
                + "Spark's \(by) allocator gives an executor its id only when it starts, so the split cannot tell executors apart; "
                + "placed on variant \(variant) as a fallback, like every such executor (the weights do not apply)"
        }
        return "rule \(rule): spark-exec-id is \(label.map { "\"\($0)\"" } ?? "missing"); placed on variant \(variant) as a fallback"
    }
}
