// sparkhook_pod_disruptions_total{role, reason}: Spark pods that something took away, by the
// reason in their DisruptionTarget condition. Both labels come from closed lists, so the series
// never grow with pods or applications.
import HTTPServer
import Policy
import Synchronization

public final class DisruptionCounts: Sendable {
    /// The reasons Kubernetes sets (k8s.io/api/core/v1 PodReason*); anything else counts as `other`.
    public static let reasons = ["PreemptionByScheduler", "EvictionByEvictionAPI", "DeletionByTaintManager",
                                 "TerminationByKubelet", "DeletionByPodGC"]
    static let other = "other"

    /// A series' label values.
    private struct Key: Hashable {
        let role: String
        let reason: String
    }

    private struct State {
        var counts: [Key: Int] = [:]
        var recent: RecentKeys
    }

    private let state: Mutex<State>

    /// `remembered`: how many pod UIDs are kept to count each pod once. The apiserver may call a
    /// webhook more than once for one write (a retry after a conflict with a stale cached copy
    /// runs admission again), so a pod's disruption can arrive twice.
    public init(remembered: Int = 4096) {
        state = Mutex(State(recent: RecentKeys(capacity: remembered)))
    }

    /// The reason as counted: one of `reasons`, else `other`.
    public static func bounded(_ reason: String) -> String { reasons.contains(reason) ? reason : other }

    /// A Kubernetes UID is 36 bytes; what is remembered of one is at most this, so that hostile
    /// reviews with megabyte UIDs cannot make the memory grow.
    static let rememberedUIDBytes = 64

    /// Counts the disruption of pod `uid` unless that pod was counted already; false if it was.
    /// A pod without a UID (never from the apiserver) is counted every time.
    @discardableResult
    public func count(role: SparkRole, reason: String, pod uid: String) -> Bool {
        let key = Self.key(role: role, reason: reason)
        let remembered = String(decoding: uid.utf8.prefix(Self.rememberedUIDBytes), as: UTF8.self)
        return state.withLock { state in
            guard uid.isEmpty || state.recent.insert(remembered) else { return false }
            state.counts[key, default: 0] += 1
            return true
        }
    }

    public func value(role: SparkRole, reason: String) -> Int {
        state.withLock { $0.counts[Self.key(role: role, reason: reason), default: 0] }
    }

    private static func key(role: SparkRole, reason: String) -> Key { Key(role: role.rawValue, reason: bounded(reason)) }

    static let family = MetricFamily<DisruptionCounts>(
        "sparkhook_pod_disruptions_total", .counter,
        help: "Spark pods given a DisruptionTarget condition (preempted, evicted, terminated), by role and reason.",
        labels: ["role", "reason"]) { disruptions, out in
        for (key, count) in disruptions.state.withLock({ $0.counts }).sorted(by: { ($0.key.role, $0.key.reason) < ($1.key.role, $1.key.reason) }) {
            out.add([key.role, key.reason], count)
        }
    }
}
