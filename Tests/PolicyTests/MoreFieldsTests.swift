// The second round of what rules set (schedulerName, labels, annotations, the grace period) and
// `exclude`: merge rules, ownership through managedFields, idempotence, and what a policy may not set.
import Admission
import JSON
@testable import Policy
import XCTest

final class MoreFieldsTests: XCTestCase {
    func mutate(_ pod: JSON, _ set: PolicySet, namespace: String? = "spark-jobs") throws -> Mutation {
        try Mutator.mutate(pod: pod, namespace: namespace, policy: set)
    }

    let queueRule = """
        - name: volcano
          match: {roles: [driver, executor]}
          set:
            schedulerName: volcano
            terminationGracePeriodSeconds: 120
            labels: {team: payments, sparkhook.io/protected: "true"}
            annotations: {scheduling.volcano.sh/queue-name: spark}

    """

    func testTheNewFieldsAreSetAndMergedByKey() throws {
        let pod = try Fixtures.pod("driver-operator.json")
        let m = try mutate(pod, try policy(queueRule))
        XCTAssertEqual(m.pod["spec", "schedulerName"], "volcano", "the apiserver's default-scheduler is not the creator's")
        XCTAssertEqual(m.pod["spec", "terminationGracePeriodSeconds"], 120)
        XCTAssertEqual(m.pod["metadata", "labels", "team"], "payments")
        XCTAssertEqual(m.pod["metadata", "labels", "spark-role"], "driver", "the pod's own labels stay")
        XCTAssertEqual(m.pod["metadata", "annotations", "scheduling.volcano.sh/queue-name"], "spark")
        XCTAssertEqual(m.applied.first?.fields, ["/spec/schedulerName", "/spec/terminationGracePeriodSeconds", "/metadata/labels/team",
                                                "/metadata/labels/sparkhook.io~1protected", "/metadata/annotations/scheduling.volcano.sh~1queue-name"])
        XCTAssertEqual(m.warnings, [])
        // Reinvocation: the mutated pod again gives nothing to do.
        XCTAssertEqual(JSONPatch.diff(from: m.pod, to: try mutate(m.pod, try policy(queueRule)).pod), [])
    }

    func testACreatorsValuesOfTheNewFieldsAreKeptUnlessOverride() throws {
        var pod = try Fixtures.pod("driver-operator.json")
        pod.set(["spec", "schedulerName"], "yunikorn")
        pod.set(["spec", "terminationGracePeriodSeconds"], 45)
        pod.set(["metadata", "labels", "team"], "search")
        let manager: JSON = ["manager": "kubectl", "operation": "Update", "fieldsV1": [
            "f:metadata": ["f:labels": ["f:team": [:], "f:spark-role": [:]]],
            "f:spec": ["f:schedulerName": [:], "f:terminationGracePeriodSeconds": [:], "f:containers": [:]]]]
        pod.set(["metadata", "managedFields"], [manager])
        let keep = try mutate(pod, try policy(queueRule))
        XCTAssertEqual(keep.pod["spec", "schedulerName"], "yunikorn")
        XCTAssertEqual(keep.pod["spec", "terminationGracePeriodSeconds"], 45)
        XCTAssertEqual(keep.pod["metadata", "labels", "team"], "search")
        XCTAssertEqual(keep.pod["metadata", "labels", "sparkhook.io/protected"], "true", "a key the creator did not set is added")
        XCTAssertEqual(keep.warnings, [
            "rule volcano: kept schedulerName \"yunikorn\" set by the pod's creator (override: false)",
            "rule volcano: kept terminationGracePeriodSeconds 45 set by the pod's creator (override: false)",
            "rule volcano: kept label team \"search\" set by the pod's creator (override: false)",
        ])
        let force = try mutate(pod, try policy(queueRule.replacingOccurrences(of: "      set:", with: "      override: true\n      set:")))
        XCTAssertEqual(force.pod["spec", "schedulerName"], "volcano")
        XCTAssertEqual(force.pod["metadata", "labels", "team"], "payments")
    }

    func testExcludeSkipsThePodsItMatches() throws {
        let rules = """
            - name: everyone
              match: {roles: [executor]}
              exclude: {podLabels: {sparkhook.io/opt-out: "true"}}
              set: {priorityClassName: spark-executor}
            - name: other
              match: {roles: [executor]}
              exclude: {namespaces: [elsewhere]}
              set: {labels: {seen: "yes"}}

        """
        let set = try policy(rules)
        var pod = try Fixtures.pod("executor-operator.json")
        XCTAssertEqual(try mutate(pod, set).applied.map(\.rule), ["everyone", "other"])
        XCTAssertEqual(try mutate(pod, set, namespace: "elsewhere").applied.map(\.rule), ["everyone"])
        pod.set(["metadata", "labels", "sparkhook.io/opt-out"], "true")
        XCTAssertEqual(try mutate(pod, set).applied.map(\.rule), ["other"])
        XCTAssertEqual(try mutate(pod, set, namespace: "elsewhere").applied.map(\.rule), [])
    }

    func testSparksBookkeepingAndOurRecordAreNotAPolicysToSet() {
        func problems(_ set: String) -> [String] {
            let text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      set: \(set)\n"
            do { _ = try PolicyLoader.load(sources: [("p.yaml", text)]); return [] } catch { return (error as? PolicyError)?.problems.map(\.description) ?? ["\(error)"] }
        }
        for label in ["spark-role", "spark-app-selector", "spark-app-name", "spark-exec-id", "spark-exec-resourceprofile-id", "spark-version", "sparkoperator.k8s.io/app-name"] {
            XCTAssertEqual(problems("{labels: {\(label): x}}").count, 1, label)
            XCTAssertTrue(problems("{labels: {\(label): x}}").first?.contains("is Spark's bookkeeping") == true, label)
        }
        XCTAssertTrue(problems("{annotations: {sparkhook.io/applied: x}}").first?.hasSuffix("is sparkhook's record of what it applied: a rule may not set it") == true)
        XCTAssertTrue(problems("{annotations: {sparkhook.io/matched-unchanged: x}}").first?.hasSuffix("is sparkhook's record of what it applied: a rule may not set it") == true)
        XCTAssertEqual(problems("{schedulerName: Volcano}"), ["p.yaml:7:28: schedulerName \"Volcano\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)"])
        XCTAssertEqual(problems("{terminationGracePeriodSeconds: -1}"), ["p.yaml:7:44: terminationGracePeriodSeconds must be at least 0, got -1"])
        XCTAssertEqual(problems("{terminationGracePeriodSeconds: \"30\"}"), ["p.yaml:7:44: terminationGracePeriodSeconds must be a decimal integer, not \"30\""])
        XCTAssertEqual(problems("{labels: {team: \"not ok\"}}").count, 1)
        XCTAssertEqual(problems("{annotations: {\"bad key!\": x}}").count, 1)
        XCTAssertEqual(problems("{annotations: {note: \"any text at all, even 0x10\"}}"), [])
    }
}
