// The registry against the README's Metrics table: every family /metrics can show has a row that
// names it with its labels, and every name in the table is a family that exists.
import Foundation
@testable import HTTPServer
@testable import Policy
@testable import Webhook
import XCTest

final class MetricsRegistryTests: XCTestCase {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")

    /// The families the table names, as `name{label, label}`: the backquoted names in the first
    /// column of each row of the "## Metrics" section's table.
    static func documented(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "## Metrics") else { return [] }
        var names: [String] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("#") { break }
            guard line.hasPrefix("| `"), let column = line.dropFirst(2).split(separator: "|").first else { continue }
            let spans = column.split(separator: "`", omittingEmptySubsequences: false)
            names += stride(from: 1, to: spans.count, by: 2).map { String(spans[$0]) }
        }
        return names
    }

    /// Families declared without a row, and rows naming no declared family.
    static func mismatches(_ readme: String) -> (missing: [String], unknown: [String]) {
        let documented = Set(documented(readme))
        let declared = Set(Metrics.families.map { $0.labels.isEmpty ? $0.name : "\($0.name){\($0.labels.joined(separator: ", "))}" })
        return (declared.subtracting(documented).sorted(), documented.subtracting(declared).sorted())
    }

    func testTheReadmeTableNamesEveryFamilyWithItsLabelsAndNoOther() throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        XCTAssertGreaterThan(Self.documented(readme).count, 10, "the table was found")
        let (missing, unknown) = Self.mismatches(readme)
        XCTAssertEqual(missing, [], "families without a row in README.md's Metrics table")
        XCTAssertEqual(unknown, [], "rows in README.md's Metrics table for families that do not exist (or with other labels)")
        let names = Metrics.families.map(\.name)
        XCTAssertEqual(names.count, Set(names).count, "each family is declared once")
    }

    func testAMissingRowAndARowTooManyAreSeen() throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        let withoutRow = readme.replacingOccurrences(of: "`sparkhook_policy_rules`, ", with: "")
        XCTAssertEqual(Self.mismatches(withoutRow).missing, ["sparkhook_policy_rules"])
        let extra = readme.replacingOccurrences(of: "| `sparkhook_admission_warnings_total` |",
                                                with: "| `sparkhook_gone_total{a}` | gone |\n| `sparkhook_admission_warnings_total` |")
        XCTAssertEqual(Self.mismatches(extra).unknown, ["sparkhook_gone_total{a}"])
        let relabelled = readme.replacingOccurrences(of: "`sparkhook_pods_total{role, priority_class}`", with: "`sparkhook_pods_total{role}`")
        XCTAssertEqual(Self.mismatches(relabelled).missing, ["sparkhook_pods_total{role, priority_class}"])
    }

    /// A whole page, with a series in every family that has values: every family's reader runs
    /// (one giving the wrong number of label values traps, as it would on a scrape: this test is
    /// where that shows, not /metrics), each series line carries its family's labels, and every
    /// family but the certificates' (no TLS pair here) is shown.
    func testEverySeriesOfAFullPageCarriesItsFamilysLabels() throws {
        let metrics = Metrics()
        metrics.request(.mutate, .mutated)
        metrics.request(.validateDisruptions, .allowed)
        metrics.admission(seconds: 0.0002, applied: [AppliedRule(rule: "executor-mix", variant: "spot", fields: ["/spec/nodeSelector"])],
                          warnings: 1, placed: (role: "executor", priorityClass: "spark-executor"),
                          fallbacks: [SplitFallback(rule: "executor-mix", variant: "spot")])
        metrics.disruptions.count(role: .executor, reason: "PreemptionByScheduler", pod: "uid-1")
        metrics.policyLoaded(generation: 2, rules: 3, hash: "abc", at: 1, initial: false)
        metrics.policyRefused()
        let stats = ServerStats()
        stats.add(.acceptedConnections)
        let page = metrics.render(server: stats)
        let families = Dictionary(uniqueKeysWithValues: Metrics.families.map { ($0.name, $0) })
        var shown = Set<String>()
        for line in page.split(separator: "\n") where !line.hasPrefix("#") {
            let series = line.prefix { $0 != "{" && $0 != " " }
            var name = String(series)
            for suffix in ["_bucket", "_sum", "_count"] where families[name] == nil && name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
            let family = try XCTUnwrap(families[name], "a series of no declared family: \(line)")
            shown.insert(name)
            var labels: [String] = []
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                labels = line[line.index(after: open)..<close].split(separator: ",").map { String($0.prefix { $0 != "=" }) }
            }
            XCTAssertEqual(labels.filter { $0 != "le" }, family.labels, String(line))
        }
        XCTAssertEqual(Set(families.keys).subtracting(shown), ["sparkhook_tls_certificate_expiry_timestamp_seconds"])
    }

    func testAnEndpointsLabelIsItsCaseInSnakeCase() {
        XCTAssertEqual(Metrics.Endpoint.mutate.label, "mutate")
        XCTAssertEqual(Metrics.Endpoint.validatePolicy.label, "validate_policy")
    }
}
