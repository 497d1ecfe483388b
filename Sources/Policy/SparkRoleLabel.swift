// A pod's Spark role as the policy sees it, from its `spark-role` label: read by the mutation
// and by the disruption counts, so both agree on what a driver is.
import JSON

extension SparkRole {
    /// nil when the pod has no `spark-role` label or an unknown one (not a Spark pod).
    public init?(labels: JSONObject?) {
        guard let role = labels?["spark-role"]?.stringValue.flatMap(SparkRole.init(rawValue:)) else { return nil }
        self = role
    }
}
