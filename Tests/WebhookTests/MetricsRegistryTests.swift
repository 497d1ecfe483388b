// The registry against the README's Metrics table: every family /metrics can show has a row that
// names it with its labels, and every name in the table is a family that exists.
import Foundation
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

    func testAnEndpointsLabelIsItsCaseInSnakeCase() {
        XCTAssertEqual(Metrics.Endpoint.mutate.label, "mutate")
        XCTAssertEqual(Metrics.Endpoint.validatePolicy.label, "validate_policy")
    }
}
