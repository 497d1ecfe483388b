// The metric registry: every family /metrics shows, in the order it shows them, each declared once
// (name, type, HELP, label names) beside how a scrape reads it. The server's and the
// certificates' families are declared in HTTPServer; the README's Metrics table is checked
// against this list by MetricsRegistryTests.
import HTTPServer
import Synchronization

extension Metrics {
    /// What one scrape reads: the counters, one copy of the locked state, the server's counters
    /// and the TLS pair in use (the last two absent without a server).
    struct Page {
        let metrics: Metrics
        let state: State
        let server: ServerStats?
        let tls: TLSContext?
    }

    static let families: [MetricFamily<Page>] = webhookFamilies
        + [DisruptionCounts.family.reading { $0.metrics.disruptions }]
        + policyFamilies
        + ServerStats.families.map { $0.reading { $0.server } }
        + [TLSContext.expiryFamily.reading { $0.tls }]

    private static let webhookFamilies: [MetricFamily<Page>] = [
        MetricFamily("sparkhook_build_info", .gauge, help: "Always 1: the version label names the sparkhook build this replica runs.",
                     labels: ["version"]) { _, out in out.add([Build.version], 1) },
        MetricFamily("sparkhook_requests_total", .counter, help: "HTTP requests by endpoint and outcome.", labels: ["endpoint", "outcome"]) { page, out in
            for endpoint in Endpoint.allCases {
                for outcome in Outcome.allCases {
                    let count = page.metrics.requests[slot(endpoint, outcome)]
                    if count > 0 { out.add([endpoint.label, outcome.rawValue], count) }
                }
            }
        },
        MetricFamily("sparkhook_admission_duration_seconds", .histogram,
                     help: "Time to decide one admission review (parse, match, mutate, diff, encode).") { page, out in
            var cumulative = 0
            var buckets = buckets.enumerated().map { i, bound in
                cumulative += page.metrics.bucketCounts[i]
                return (le: "\(bound)", cumulative: cumulative)
            }
            let count = page.metrics.latencyCount.load(ordering: .relaxed)
            buckets.append((le: "+Inf", cumulative: count))
            out.histogram(buckets: buckets, sum: Double(page.metrics.latencySumNanos.load(ordering: .relaxed)) / 1e9, count: count)
        },
        MetricFamily("sparkhook_patches_total", .counter, help: "Pods changed, by rule and split variant.", labels: ["rule", "variant"]) { page, out in
            add(page.state.patches, to: &out)
        },
        MetricFamily("sparkhook_pods_total", .counter,
                     help: "Spark pods admitted, by role and the priority class they leave with (one the policy sets; other; none).",
                     labels: ["role", "priority_class"]) { page, out in
            for (key, count) in page.state.pods.sorted(by: { ($0.key.role, $0.key.priorityClass) < ($1.key.role, $1.key.priorityClass) }) {
                out.add([key.role, key.priorityClass], count)
            }
        },
        MetricFamily("sparkhook_split_fallbacks_total", .counter,
                     help: "Executors a split placed on its fallback variant because they carried no usable spark-exec-id (Spark's deployment and statefulset allocators label every executor EXECID until it starts), by rule and variant: the split's weights did not apply to them.",
                     labels: ["rule", "variant"]) { page, out in
            add(page.state.fallbacks, to: &out)
        },
    ]

    private static let policyFamilies: [MetricFamily<Page>] = [
        MetricFamily("sparkhook_admission_warnings_total", .counter,
                     help: "Warnings returned to the apiserver (kept creator values, fallbacks, internal errors).") { $0.metrics.warnings.load(ordering: .relaxed) },
        MetricFamily("sparkhook_policy_reloads_total", .counter, help: "Policy reloads by result; a failure keeps the last good policy.",
                     labels: ["result"]) { page, out in
            for (result, count) in page.state.reloads.sorted(by: { $0.key < $1.key }) { out.add([result], count) }
        },
        MetricFamily("sparkhook_policy_generation", .gauge,
                     help: "Generation of the policy in force; starts at 1 and grows with each accepted reload.") { $0.state.policyGeneration },
        MetricFamily("sparkhook_policy_info", .gauge, help: "Always 1: the hash label names the policy in force (one series; it changes on reload).",
                     labels: ["hash"]) { page, out in out.add([page.state.policyHash], 1) },
        MetricFamily("sparkhook_policy_rules", .gauge, help: "Rules in the policy in force.") { $0.state.policyRules },
        MetricFamily("sparkhook_policy_last_reload_success_timestamp_seconds", .gauge,
                     help: "When the policy in force was loaded.") { $0.state.lastReloadSuccess },
    ]

    /// Series by rule and variant, in that order.
    private static func add(_ counts: [PatchKey: Int], to out: inout MetricSeries) {
        for (key, count) in counts.sorted(by: { ($0.key.rule, $0.key.variant) < ($1.key.rule, $1.key.variant) }) {
            out.add([key.rule, key.variant], count)
        }
    }
}
