// The one reader: values typed by the schema first, then each object's checks on what typed, and
// the set fields described once (SetField) for the loader, the merge and the docs.
import Foundation
@testable import Policy
import XCTest

final class SchemaReaderTests: XCTestCase, PolicyText {

    /// A value that does not type stops only itself: the checks of the objects around it still
    /// run and report, so one `check` shows every problem.
    func testAProblemInOneFieldLeavesTheOthersChecked() {
        let found = problems(rules("    - name: a\n      set: {tolerations: [{key: k, effect: 3x}], labels: {spark-role: x}, priorityClassName: BAD}\n      split: {variants: [{name: a, weight: 1}]}\n"))
        XCTAssertEqual(found.count, 4, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("invalid toleration") || $0.contains("toleration effect must be") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("label spark-role is Spark's bookkeeping") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("priorityClassName \"BAD\" must be a lowercase DNS subdomain") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("a split places executors") }, "\(found)")
    }

    /// A check never reports on a value that did not type (it would say the same thing twice, or
    /// something wrong): an empty node selector term whose only requirement did not type is not
    /// called empty, nor the policy (the typing said what is wrong).
    func testACheckDoesNotReportWhatTheTypingDid() {
        let found = problems(rules("    - name: a\n      set: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [zone]}]}}}}\n"))
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.hasSuffix("must be a mapping, not a string") == true, "\(found)")
        // Lists one of whose elements did not type are not counted; a number too small is one problem.
        let once: [(String, String)] = [
            ("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [5]}}}", "nodeSelectorTerms[0] must be a mapping, not an integer"),
            ("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: In, values: [{a: b}]}]}]}}}", "values[0] must be a string, not a mapping"),
            ("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: Gt, values: [[2]]}]}]}}}", "values[0] must be a string, not a list"),
            ("probes: {liveness: {exec: {command: [{}]}}}", "exec.command[0] must be a string, not a mapping"),
            ("probes: {liveness: {successThreshold: 0, tcpSocket: {port: 1}}}", "successThreshold must be at least 1, got 0"),
        ]
        for (set, problem) in once {
            let found = problems(rules("    - name: a\n      set: {\(set)}\n"))
            XCTAssertEqual(found.count, 1, "\(found)")
            XCTAssertTrue(found.first?.hasSuffix(problem) == true, "\(found)")
        }
    }

    /// Every set field is known to the loader through its one entry, lands in the rule's Settings,
    /// and is merged by its rule when a variant sets it again.
    func testEverySetFieldIsOneEntry() throws {
        XCTAssertEqual(PolicySchema.set.fieldNames, SetField.all.map(\.name))
        let values: [String: (String, String)] = [
            "priorityClassName": ("a", "b"), "schedulerName": ("a", "b"), "terminationGracePeriodSeconds": ("1", "2"),
            "labels": ("{x: a}", "{y: b}"), "annotations": ("{x: a}", "{y: b}"), "nodeSelector": ("{x: a}", "{y: b}"),
            "tolerations": ("[{operator: Exists}]", "[{key: k, operator: Exists}]"),
            "topologySpreadConstraints": ("[{maxSkew: 1, topologyKey: a, whenUnsatisfiable: DoNotSchedule}]", "[{maxSkew: 1, topologyKey: b, whenUnsatisfiable: DoNotSchedule}]"),
            "affinity": ("{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: a}]}}", "{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: b}]}}"),
            "probes": ("{liveness: {tcpSocket: {port: 1}}}", "{readiness: {tcpSocket: {port: 2}}}"),
            "securityContext": ("{runAsUser: 1}", "{fsGroup: 2}"), "containerSecurityContext": ("{runAsUser: 1}", "{privileged: false}"),
            "env": ("[{name: A, value: a}]", "[{name: B, value: b}]"), "volumes": ("[{name: a, emptyDir: {}}]", "[{name: b, emptyDir: {}}]"),
            "volumeMounts": ("[{name: a, mountPath: /a}]", "[{name: a, mountPath: /b}]"), "runtimeClassName": ("a", "b"),
            "imagePullSecrets": ("[{name: a}]", "[{name: b}]"), "dnsConfig": ("{searches: [a]}", "{nameservers: [1.1.1.1]}"),
            "hostAliases": ("[{ip: 10.0.0.1, hostnames: [a]}]", "[{ip: 10.0.0.2, hostnames: [b]}]"),
            "lifecycle": ("{preStop: {sleep: {seconds: 5}}}", "{postStart: {sleep: {seconds: 1}}}"),
        ]
        XCTAssertEqual(Set(values.keys), Set(SetField.all.map(\.name)), "a new set field needs a case here")
        for field in SetField.all {
            let (first, second) = values[field.name]!
            let set = try PolicyLoader.load(sources: [("p.yaml", rules("""
                - name: r
                  match: {roles: [executor]}
                  set: {\(field.name): \(first)}
                  split: {variants: [{name: a, weight: 1, set: {\(field.name): \(second)}}]}
            """))])
            let rule = set.rules[0]
            XCTAssertFalse(describe(rule.set).isEmpty, field.name)
            XCTAssertNotEqual(describe(rule.set), describe(rule.variantSettings[0]), "\(field.name): the variant's value is merged in")
        }
    }

    private func describe(_ s: Settings) -> String { String(describing: s) }

    /// docs/policy.md lists every set field.
    func testTheDocsNameEverySetField() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/policy.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for field in SetField.all { XCTAssertTrue(text.contains("| `\(field.name)` |"), "docs/policy.md has no row for \(field.name)") }
    }
}
