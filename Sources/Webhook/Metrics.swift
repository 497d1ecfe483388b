// Prometheus metrics in the text exposition format. Counters are kept under one lock: an
// increment is a few nanoseconds next to an admission decision.
import HTTPServer
import Policy
import Synchronization

public final class Metrics: Sendable {
    /// Admission latency buckets, in seconds: fine below a millisecond, where the work is.
    static let buckets: [Double] = [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1]

    public enum Endpoint: Int, CaseIterable, Sendable {
        case mutate, preview, validatePolicy, validateDisruptions
        /// The `endpoint` label value.
        var label: String {
            switch self {
            case .mutate, .preview: "\(self)"
            case .validatePolicy: "validate_policy"
            case .validateDisruptions: "validate_disruptions"
            }
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
    private let requests: [Counter] = (0..<(Endpoint.allCases.count * Outcome.allCases.count)).map { _ in Counter() }
    private let bucketCounts: [Counter] = Metrics.buckets.map { _ in Counter() }
    private let latencyCount = Atomic<Int>(0)
    private let latencySumNanos = Atomic<Int>(0)
    private let warnings = Atomic<Int>(0)
    /// What the disruptions webhook counts (DisruptionCounts.swift).
    public let disruptions = DisruptionCounts()

    public init() {}

    private static func slot(_ endpoint: Endpoint, _ outcome: Outcome) -> Int {
        endpoint.rawValue * Outcome.allCases.count + Outcome.allCases.firstIndex(of: outcome)!
    }

    public func request(_ endpoint: Endpoint, _ outcome: Outcome) {
        requests[Self.slot(endpoint, outcome)].value.wrappingAdd(1, ordering: .relaxed)
    }

    /// One admission. `placed`: a Spark pod's role and the priority class it leaves with, the
    /// class already bounded by the caller (one the policy sets, `other` or `none`).
    public func admission(seconds: Double, applied: [AppliedRule], warnings count: Int, placed: (role: String, priorityClass: String)? = nil,
                          fallbacks: [SplitFallback] = []) {
        if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { bucketCounts[i].value.wrappingAdd(1, ordering: .relaxed) }
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

    public func render(server: ServerStats?, certificates: [(name: String, notAfter: Double)] = []) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func labels(_ pairs: [(String, String)]) -> String {
            "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        header("sparkhook_build_info", "gauge", "Always 1: the version label names the sparkhook build this replica runs.")
        out += "sparkhook_build_info\(labels([("version", Build.version)])) 1\n"
        header("sparkhook_requests_total", "counter", "HTTP requests by endpoint and outcome.")
        for endpoint in Endpoint.allCases {
            for outcome in Outcome.allCases {
                let count = requests[Self.slot(endpoint, outcome)].value.load(ordering: .relaxed)
                guard count > 0 else { continue }
                out += "sparkhook_requests_total\(labels([("endpoint", endpoint.label), ("outcome", outcome.rawValue)])) \(count)\n"
            }
        }
        header("sparkhook_admission_duration_seconds", "histogram", "Time to decide one admission review (parse, match, mutate, diff, encode).")
        var cumulative = 0
        for (i, bound) in Self.buckets.enumerated() {
            cumulative += bucketCounts[i].value.load(ordering: .relaxed)
            out += "sparkhook_admission_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        let total = latencyCount.load(ordering: .relaxed)
        out += "sparkhook_admission_duration_seconds_bucket{le=\"+Inf\"} \(total)\n"
        out += "sparkhook_admission_duration_seconds_sum \(Double(latencySumNanos.load(ordering: .relaxed)) / 1e9)\n"
        out += "sparkhook_admission_duration_seconds_count \(total)\n"
        header("sparkhook_patches_total", "counter", "Pods changed, by rule and split variant.")
        for (key, count) in s.patches.sorted(by: { ($0.key.rule, $0.key.variant) < ($1.key.rule, $1.key.variant) }) {
            out += "sparkhook_patches_total\(labels([("rule", key.rule), ("variant", key.variant)])) \(count)\n"
        }
        header("sparkhook_pods_total", "counter", "Spark pods admitted, by role and the priority class they leave with (one the policy sets; other; none).")
        for (key, count) in s.pods.sorted(by: { ($0.key.role, $0.key.priorityClass) < ($1.key.role, $1.key.priorityClass) }) {
            out += "sparkhook_pods_total\(labels([("role", key.role), ("priority_class", key.priorityClass)])) \(count)\n"
        }
        header("sparkhook_split_fallbacks_total", "counter", "Executors a split placed on its fallback variant because they carried no usable spark-exec-id (Spark's deployment and statefulset allocators label every executor EXECID until it starts), by rule and variant: the split's weights did not apply to them.")
        for (key, count) in s.fallbacks.sorted(by: { ($0.key.rule, $0.key.variant) < ($1.key.rule, $1.key.variant) }) {
            out += "sparkhook_split_fallbacks_total\(labels([("rule", key.rule), ("variant", key.variant)])) \(count)\n"
        }
        out += disruptions.render()
        header("sparkhook_admission_warnings_total", "counter", "Warnings returned to the apiserver (kept creator values, fallbacks, internal errors).")
        out += "sparkhook_admission_warnings_total \(warnings.load(ordering: .relaxed))\n"
        header("sparkhook_policy_reloads_total", "counter", "Policy reloads by result; a failure keeps the last good policy.")
        for (result, count) in s.reloads.sorted(by: { $0.key < $1.key }) {
            out += "sparkhook_policy_reloads_total{result=\"\(result)\"} \(count)\n"
        }
        header("sparkhook_policy_generation", "gauge", "Generation of the policy in force; starts at 1 and grows with each accepted reload.")
        out += "sparkhook_policy_generation \(s.policyGeneration)\n"
        header("sparkhook_policy_info", "gauge", "Always 1: the hash label names the policy in force (one series; it changes on reload).")
        out += "sparkhook_policy_info\(labels([("hash", s.policyHash)])) 1\n"
        header("sparkhook_policy_rules", "gauge", "Rules in the policy in force.")
        out += "sparkhook_policy_rules \(s.policyRules)\n"
        header("sparkhook_policy_last_reload_success_timestamp_seconds", "gauge", "When the policy in force was loaded.")
        out += "sparkhook_policy_last_reload_success_timestamp_seconds \(s.lastReloadSuccess)\n"
        if let server {
            func single(_ name: String, _ type: String, _ help: String, _ value: Int) {
                header(name, type, help)
                out += "\(name) \(value)\n"
            }
            single("sparkhook_open_connections", "gauge", "Open client connections.", server.openConnections.load(ordering: .relaxed))
            single("sparkhook_connections_accepted_total", "counter", "Connections accepted.", server.acceptedConnections.load(ordering: .relaxed))
            single("sparkhook_connections_rejected_total", "counter", "Connections closed at accept because the connection limit was reached.", server.rejectedConnections.load(ordering: .relaxed))
            header("sparkhook_tls_handshakes_total", "counter", "Completed TLS handshakes, full or resumed.")
            out += "sparkhook_tls_handshakes_total{type=\"full\"} \(server.fullHandshakes.load(ordering: .relaxed))\n"
            out += "sparkhook_tls_handshakes_total{type=\"resumed\"} \(server.resumedHandshakes.load(ordering: .relaxed))\n"
            single("sparkhook_tls_handshake_failures_total", "counter", "TLS handshakes that failed (bad protocol version, untrusted client certificate, ...).", server.handshakeFailures.load(ordering: .relaxed))
            single("sparkhook_http_protocol_errors_total", "counter", "Requests the server refused as malformed, too large or too slow.", server.protocolErrors.load(ordering: .relaxed))
            single("sparkhook_http_timeouts_total", "counter", "Connections cut off for slowness.", server.timeouts.load(ordering: .relaxed))
            header("sparkhook_connections_closed_total", "counter", "Closed connections by why they ended: "
                   + CloseReason.allCases.map { "\($0.label) (\($0.meaning))" }.joined(separator: ", ") + ".")
            for reason in CloseReason.allCases {
                out += "sparkhook_connections_closed_total{reason=\"\(reason.label)\"} \(server.closedConnections(reason))\n"
            }
            single("sparkhook_requests_after_close_total", "counter", "Connections on which request bytes arrived after the server had closed its side: requests the client saw fail. Should stay 0.", server.requestsAfterClose.load(ordering: .relaxed))
        }
        if !certificates.isEmpty {
            header("sparkhook_tls_certificate_expiry_timestamp_seconds", "gauge", "When the certificate in use stops being valid: the serving certificate, and the client CA when one is set.")
            for (name, notAfter) in certificates {
                out += "sparkhook_tls_certificate_expiry_timestamp_seconds{certificate=\"\(name)\"} \(Int(notAfter))\n"
            }
        }
        return out
    }

    private func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}

/// An atomic counter that can sit in an array.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
