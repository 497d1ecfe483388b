// Each validation error, with its exact file:line:column text.
import Foundation
@testable import Policy
import XCTest

final class ValidationTests: XCTestCase, PolicyText {
    func testAValidPolicyLoads() throws {
        let set = try PolicyLoader.load(sources: [("p.yaml", rules("""
            - name: a
              match: {roles: [driver], namespaces: ["team-*"], podLabels: {matchExpressions: [{key: tier, operator: In, values: [gold]}]}}
              set: {priorityClassName: high}
        """))])
        XCTAssertEqual(set.rules.map(\.name), ["a"])
    }

    func testUnknownField() {
        XCTAssertEqual(problems(rules("    - name: a\n      sett: {priorityClassName: x}\n")), [
            "p.yaml:8:7: unknown field \"sett\" in rule; expected one of: name, match, exclude, set, split, override",
            "p.yaml:7:7: rule \"a\" has neither set nor split: it would do nothing",
        ])
    }

    func testWrongType() {
        XCTAssertEqual(problems(rules("    - name: a\n      match: {roles: driver}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:22: match.roles must be a list, not a string"])
        XCTAssertEqual(problems(rules("    - name: a\n      override: maybe\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:17: override must be true or false, not a string"])
    }

    func testBadGlob() {
        XCTAssertEqual(problems(rules("    - name: a\n      match: {namespaces: [\"team-[ab\"]}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:28: bad glob \"team-[ab\" in match.namespaces: unclosed '['"])
    }

    func testDuplicateRuleNameAcrossFiles() {
        let one = rules("    - name: a\n      set: {priorityClassName: x}\n")
        do {
            _ = try PolicyLoader.load(sources: [("a.yaml", one), ("b.yaml", one)])
            XCTFail("loaded")
        } catch let error as PolicyError {
            XCTAssertEqual(error.description, "b.yaml:7:13: duplicate rule name \"a\"; first defined at a.yaml:7:13")
        } catch { XCTFail("\(error)") }
    }

    func testSplitProblems() {
        XCTAssertEqual(problems(rules("""
            - name: s
              match: {roles: [executor]}
              split:
                variants:
                  - {name: spot, weight: 0}
                  - {name: od, weight: -3}
        """)), [
            "p.yaml:11:34: weight must be positive, got 0",
            "p.yaml:12:32: weight must be positive, got -3",
        ])
        XCTAssertEqual(problems(rules("    - name: s\n      match: {roles: [executor]}\n      split: {variants: []}\n")),
                       ["p.yaml:9:25: a split needs at least one variant"])
        XCTAssertEqual(problems(rules("    - name: s\n      match: {roles: [executor]}\n      split: {base: {count: 1, variant: x}, variants: [{name: a, weight: 1}]}\n")),
                       ["p.yaml:9:41: base.variant \"x\" is not one of the variants (a)"])
        XCTAssertEqual(problems(rules("    - name: s\n      split: {variants: [{name: a, weight: 1}]}\n")),
                       ["p.yaml:8:7: a split places executors: the rule needs match.roles: [executor]"])
        XCTAssertEqual(problems(rules("    - name: s\n      match: {roles: [executor, executor]}\n      split: {variants: [{name: a, weight: 1}]}\n")), [])
        XCTAssertEqual(problems(rules("    - name: s\n      match: {roles: [executor, driver]}\n      split: {variants: [{name: a, weight: 1}]}\n")),
                       ["p.yaml:9:7: a split places executors: the rule needs match.roles: [executor]"])
    }

    func testProbeHandlers() {
        XCTAssertEqual(problems(rules("    - name: a\n      set: {probes: {liveness: {periodSeconds: 5}}}\n")),
                       ["p.yaml:8:32: liveness probe must have exactly one handler (exec, grpc, httpGet or tcpSocket), found none"])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {probes: {readiness: {grpc: {port: 15002}, tcpSocket: {port: 1}}}}\n")),
                       ["p.yaml:8:33: readiness probe must have exactly one handler (exec, grpc, httpGet or tcpSocket), found grpc, tcpSocket"])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {probes: {liveness: {grpc: {port: grpc-port}}}}\n")),
                       ["p.yaml:8:46: probes.liveness.grpc.port must be a decimal integer, not \"grpc-port\""])
    }

    func testTolerationsKubernetesWouldReject() {
        XCTAssertEqual(problems(rules("    - name: a\n      set: {tolerations: [{key: k, operator: Exists, value: v}, {key: k, operator: Like}, {effect: NoRun, operator: Exists}, {operator: Equal, value: x}]}\n")), [
            "p.yaml:8:61: a toleration with operator Exists must not have a value",
            "p.yaml:8:84: toleration operator must be Exists or Equal, got \"Like\"",
            "p.yaml:8:100: toleration effect must be NoSchedule, PreferNoSchedule or NoExecute, got \"NoRun\"",
            "p.yaml:8:126: a toleration without a key must have operator Exists",
        ])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}]}\n")),
                       ["p.yaml:8:93: tolerationSeconds is only valid with effect NoExecute"])
    }

    func testSpreadConstraintsKubernetesWouldReject() {
        XCTAssertEqual(problems(rules("    - name: a\n      set: {topologySpreadConstraints: [{maxSkew: 0, topologyKey: \"bad key\", whenUnsatisfiable: Maybe}]}\n")), [
            "p.yaml:8:51: maxSkew must be at least 1, got 0",
            "p.yaml:8:67: topologyKey \"bad key\" must be 63 characters or less, of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit",
            "p.yaml:8:97: whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway, got \"Maybe\"",
        ])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {topologySpreadConstraints: [{maxSkew: 1}]}\n")), [
            "p.yaml:8:41: topology spread constraint needs topologyKey",
            "p.yaml:8:41: topology spread constraint needs whenUnsatisfiable",
        ])
    }

    func testNamesByKubernetesRules() {
        XCTAssertEqual(problems(rules("    - name: a\n      set: {priorityClassName: Spark_High}\n")),
                       ["p.yaml:8:32: priorityClassName \"Spark_High\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)"])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {nodeSelector: {\"-bad\": x, ok/fine: \"bad value!\"}}\n")), [
            "p.yaml:8:28: label key \"-bad\" must be 63 characters or less, of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit",
            "p.yaml:8:39: invalid label value \"bad value!\" for ok/fine: must be 63 characters or less, of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit",
        ])
        XCTAssertEqual(problems(rules("    - name: a\n      match: {podLabels: {matchExpressions: [{key: tier, operator: Near, values: [x]}]}}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:68: operator must be In, NotIn, Exists or DoesNotExist, got \"Near\""])
    }

    func testDocumentLevelProblems() {
        XCTAssertEqual(problems("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {rules: []}\n"), [
            "p.yaml:1:13: apiVersion must be sparkhook.io/v1alpha1, got \"v1\"",
            "p.yaml:2:7: kind must be SparkPodPolicy, got \"ConfigMap\"",
        ])
        XCTAssertEqual(problems("key: [unclosed\n"), ["p.yaml:1:6: this '[' is not closed: expected ',' or ']' but found the end of the file at 2:1"])
        XCTAssertEqual(problems("# nothing\n"), ["policy:1:1: no SparkPodPolicy documents found"])
    }

    /// A file that cannot be read has no line to point at: `path: ...`, not a made-up `path:0:0`.
    func testAMissingFileIsNamedWithoutAPosition() {
        let path = NSTemporaryDirectory() + "no-such-policy-\(UUID().uuidString).yaml"
        XCTAssertThrowsError(try PolicyLoader.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): cannot read policy: No such file or directory")
        }
    }

    func testSeveralDocumentsInOneFile() throws {
        let doc = { (name: String) in "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: \(name)}\nspec:\n  rules:\n    - {name: \(name)-rule, set: {priorityClassName: x}}\n" }
        let set = try PolicyLoader.load(sources: [("p.yaml", doc("one") + "---\n" + doc("two"))])
        XCTAssertEqual(set.rules.map(\.name), ["one-rule", "two-rule"])
        XCTAssertEqual(set.rules.map(\.policy), ["one", "two"])
    }

    func testAFolderSkipsConfigMapInternals() throws {
        let dir = NSTemporaryDirectory() + "sparkhook-policy-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/..2026_11_21", withIntermediateDirectories: true)
        let body = rules("    - name: from-folder\n      set: {priorityClassName: x}\n")
        try body.write(toFile: dir + "/..2026_11_21/policy.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/..data", withDestinationPath: "..2026_11_21")
        try FileManager.default.createSymbolicLink(atPath: dir + "/policy.yaml", withDestinationPath: "..data/policy.yaml")
        let set = try PolicyLoader.load(path: dir)
        XCTAssertEqual(set.rules.map(\.name), ["from-folder"])
        XCTAssertEqual(set.files, [dir + "/policy.yaml"])
    }
}

import Foundation

/// Found by fuzzing the loader: past the 50 problems a file reports, later ones were dropped
/// uncounted, so a split whose every variant was refused (here: no name) looked valid, and its
/// schedule of no variants indexed an empty array.
final class ManyProblemsTests: XCTestCase {
    func testProblemsPastTheReportedOnesStillStopTheirRule() {
        var text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: p}\nspec:\n  rules:\n"
        for i in 0..<60 { text += "    - {name: r\(i), set: {priorityClassName: UPPER}}\n" }
        text += "    - name: split\n      match: {roles: [executor]}\n      split:\n        variants:\n          - {weight: 1}\n          - {weight: 2}\n"
        XCTAssertThrowsError(try PolicyLoader.load(sources: [("p.yaml", text)])) { error in
            let problems = (error as? PolicyError)?.problems.map(\.description) ?? []
            XCTAssertEqual(problems.count, 51)
            XCTAssertEqual(problems.last, "p.yaml:55:44: and 12 more problems")
        }
    }
}

/// The loader's known fields are the schema's: a field added to PodSchema is accepted by the
/// loader with no second list to keep in step.
extension ValidationTests {
    func testKnownFieldsAreTheSchemas() {
        let cases: [(String, SchemaObject)] = [
            ("{tolerations: [{operator: Exists, nope: 1}]}", PodSchema.toleration),
            ("{topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nope: 1}]}", PodSchema.topologySpreadConstraint),
            ("{probes: {liveness: {exec: {command: [x]}, nope: 1}}}", PodSchema.probe),
            ("{probes: {liveness: {httpGet: {port: 1, nope: 1}}}}", PodSchema.httpGetAction),
            ("{probes: {liveness: {tcpSocket: {port: 1, nope: 1}}}}", PodSchema.tcpSocketAction),
            ("{probes: {liveness: {grpc: {port: 1, nope: 1}}}}", PodSchema.grpcAction),
            ("{probes: {liveness: {exec: {command: [x], nope: 1}}}}", PodSchema.execAction),
            ("{probes: {liveness: {httpGet: {port: 1, httpHeaders: [{name: a, value: b, nope: 1}]}}}}", PodSchema.httpHeader),
        ]
        for (set, schema) in cases {
            let found = problems(rules("    - name: a\n      set: \(set)\n"))
            XCTAssertEqual(found.count, 1, "\(set): \(found)")
            XCTAssertTrue(found.first?.hasSuffix("; expected one of: \(schema.fieldNames.joined(separator: ", "))") == true, "\(set): \(found)")
        }
        XCTAssertEqual(PodSchema.probeHandlers, ["exec", "grpc", "httpGet", "tcpSocket"])
    }

    /// One label-value check for selectors, node selectors and labels; one operator check for
    /// label and node selector requirements.
    func testOneLabelValueMessageAndOneOperatorCheck() {
        let rule = Naming.qualifiedNameRule
        XCTAssertEqual(problems(rules("    - name: a\n      set: {labels: {team: \"a b\"}}\n")), ["p.yaml:8:22: invalid label value \"a b\" for team: \(rule)"])
        XCTAssertEqual(problems(rules("    - name: a\n      match: {podLabels: {matchExpressions: [{key: k, operator: In, values: [\"a b\"]}]}}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:78: invalid label value \"a b\": \(rule)"])
        for (op, values, message) in [("In", "[]", "operator In needs a non-empty values list"), ("Exists", "[x]", "operator Exists takes no values")] {
            let label = problems(rules("    - name: a\n      match: {podLabels: {matchExpressions: [{key: k, operator: \(op), values: \(values)}]}}\n      set: {priorityClassName: x}\n"))
            let node = problems(rules("    - name: a\n      set: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: \(op), values: \(values)}]}]}}}}\n"))
            XCTAssertEqual(label.map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }, [message], "\(label)")
            XCTAssertEqual(node.map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }, [message], "\(node)")
        }
    }
}
