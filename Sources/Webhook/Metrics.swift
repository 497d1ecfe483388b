// What the webhook counts for /metrics: requests and admission latency in atomics (every request
// from every loop), the rest under one lock. The families that show them are in MetricsRegistry.swift.
import HTTPServer
import Policy
import Synchronization

public final class Metrics: Sendable {
    /// Admission latency buckets, in seconds: fine below a millisecond, where the work is.
    static let buckets: [Double] = [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1]

    public enum Endpoint: Int, CaseIterable, Sendable {
        case mutate, preview, validatePolicy, validateDisruptions
        /// The `endpoint` label value: the case's name in snake case, so that a new endpoint is one
        /// new case.
        var label: String {
            "\(self)".reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
        }
    }
    public enum Outcome: String, CaseIterable, Sendable {
        case mutated, unchanged, skipped, ok, allowed, denied
        case badRequest = "bad_request"
        case unsupportedMediaType = "unsupported_media_type"
        case internalError = "internal_error"
    }

    /// Spark pods admitted, by role and the priority class they leave with.
    struct PodKey: Hashable {
        var role: String
        var priorityClass: String
    }

    struct PatchKey: Hashable {
        let rule: String
        let variant: String
    }

    struct State {
        var patches: [PatchKey: Int] = [:]
        /// Executors a split placed on its fallback variant (no usable spark-exec-id), by rule and variant.
        var fallbacks: [PatchKey: Int] = [:]
        var pods: [PodKey: Int] = [:]
        var reloads: [String: Int] = ["success": 0, "failure": 0]
        var policyGeneration = 0
        var policyRules = 0
        var lastReloadSuccess = 0.0
        var policyHash = ""
    }

    private let state = Mutex(State())
    // Counted on every request from every loop: atomics, no lock and no keys to build.
    let requests = Counters(count: Endpoint.allCases.count * Outcome.allCases.count)
    let bucketCounts = Counters(count: Metrics.buckets.count)
    let latencyCount = Atomic<Int>(0)
    let latencySumNanos = Atomic<Int>(0)
    let warnings = Atomic<Int>(0)
    /// What the disruptions webhook counts (DisruptionCounts.swift).
    public let disruptions = DisruptionCounts()

    public init() {}

    static func slot(_ endpoint: Endpoint, _ outcome: Outcome) -> Int {
        endpoint.rawValue * Outcome.allCases.count + Outcome.allCases.firstIndex(of: outcome)!
    }

    public func request(_ endpoint: Endpoint, _ outcome: Outcome) {
        requests.add(Self.slot(endpoint, outcome))
    }

    /// One admission. `placed`: a Spark pod's role and the priority class it leaves with, the
    /// class already bounded by the caller (one the policy sets, `other` or `none`).
    public func admission(seconds: Double, applied: [AppliedRule], warnings count: Int, placed: (role: String, priorityClass: String)? = nil,
                          fallbacks: [SplitFallback] = []) {
        if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { bucketCounts.add(i) }
        latencyCount.wrappingAdd(1, ordering: .relaxed)
        latencySumNanos.wrappingAdd(Int(seconds * 1e9), ordering: .relaxed)
        if count > 0 { warnings.wrappingAdd(count, ordering: .relaxed) }
        guard placed != nil || applied.contains(where: { !$0.fields.isEmpty }) else { return }
        state.withLock { s in
            for rule in applied where !rule.fields.isEmpty {
                s.patches[PatchKey(rule: rule.rule, variant: rule.variant ?? ""), default: 0] += 1
            }
            if let placed { s.pods[PodKey(role: placed.role, priorityClass: placed.priorityClass), default: 0] += 1 }
            // As patches count: when the variant's values went in, not again on reinvocation.
            for f in fallbacks where applied.contains(where: { $0.rule == f.rule && !$0.fields.isEmpty }) {
                s.fallbacks[PatchKey(rule: f.rule, variant: f.variant), default: 0] += 1
            }
        }
    }

    /// A policy came into force: at start (`initial`, not counted as a reload) or by a reload.
    public func policyLoaded(generation: Int, rules: Int, hash: String, at time: Double, initial: Bool = false) {
        state.withLock { s in
            s.policyHash = hash
            if !initial { s.reloads["success", default: 0] += 1 }
            s.policyGeneration = generation
            s.policyRules = rules
            s.lastReloadSuccess = time
        }
    }

    public func policyRefused() {
        state.withLock { $0.reloads["failure", default: 0] += 1 }
    }

    /// The /metrics page: every family of `families`, in order. `server` and `tls` are left out when nil.
    public func render(server: ServerStats?, tls: TLSContext? = nil) -> String {
        Self.families.render(Page(metrics: self, state: state.withLock { $0 }, server: server, tls: tls))
    }
}
