// sparkhook_pod_disruptions_total{role, reason}: Spark pods that something took away, by the
// reason in their DisruptionTarget condition. Both labels come from closed lists, so the series
// never grow with pods or applications.
import Policy
import Synchronization

public final class DisruptionCounts: Sendable {
    /// The reasons Kubernetes sets (k8s.io/api/core/v1 PodReason*); anything else counts as `other`.
    public static let reasons = ["PreemptionByScheduler", "EvictionByEvictionAPI", "DeletionByTaintManager",
                                 "TerminationByKubelet", "DeletionByPodGC"]
    static let other = "other"

    private let counts = Mutex([String: Int]())

    public init() {}

    /// The reason as counted: one of `reasons`, else `other`.
    public static func bounded(_ reason: String) -> String { reasons.contains(reason) ? reason : other }

    public func count(role: SparkRole, reason: String) {
        let key = "role=\"\(role.rawValue)\",reason=\"\(Self.bounded(reason))\""
        counts.withLock { $0[key, default: 0] += 1 }
    }

    public func value(role: SparkRole, reason: String) -> Int {
        counts.withLock { $0["role=\"\(role.rawValue)\",reason=\"\(Self.bounded(reason))\"", default: 0] }
    }

    func render() -> String {
        var out = "# HELP sparkhook_pod_disruptions_total Spark pods given a DisruptionTarget condition (preempted, evicted, terminated), by role and reason.\n"
        out += "# TYPE sparkhook_pod_disruptions_total counter\n"
        for (key, count) in counts.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            out += "sparkhook_pod_disruptions_total{\(key)} \(count)\n"
        }
        return out
    }
}
