// `sparkhook.io/applied` names the rules and variants that changed the pod; the ones that matched
// and changed nothing are in `sparkhook.io/matched-unchanged`; a second pass changes neither.
import Admission
import JSON
@testable import Policy
import XCTest

final class AppliedAnnotationTests: XCTestCase {
    func mutate(_ pod: JSON, _ set: PolicySet) throws -> Mutation { try Mutator.mutate(pod: pod, namespace: "spark-jobs", policy: set) }

    func annotations(_ m: Mutation) -> (applied: String?, unchanged: String?) {
        (m.pod["metadata", "annotations", Mutator.appliedAnnotation]?.stringValue,
         m.pod["metadata", "annotations", Mutator.unchangedAnnotation]?.stringValue)
    }

    /// A second pass over the mutated pod: nothing changes, the annotations included.
    func assertSecondPassChangesNothing(_ m: Mutation, _ set: PolicySet, file: StaticString = #filePath, line: UInt = #line) throws {
        let again = try mutate(m.pod, set)
        XCTAssertEqual(again.pod, m.pod, file: file, line: line)
        XCTAssertEqual(JSONPatch.diff(from: again.original, to: again.pod).count, 0, file: file, line: line)
        XCTAssertEqual(again.appliedSummary, m.appliedSummary, file: file, line: line)
        XCTAssertEqual(again.unchangedSummary, m.unchangedSummary, file: file, line: line)
    }

    func testARuleWhoseValuesTheCreatorKeptIsNotApplied() throws {
        var pod = try Fixtures.pod("executor-operator.json")
        pod.set(["spec", "priorityClassName"], "system-cluster-critical")
        pod.set(["metadata", "managedFields"], nil)  // every present value is the creator's
        let set = try policy("""
                - {name: executor-priority, match: {roles: [executor]}, set: {priorityClassName: spark-executor}}
                - {name: zone, match: {roles: [executor]}, set: {nodeSelector: {zone: a}}}
            """ + "\n")
        let m = try mutate(pod, set)
        XCTAssertEqual(m.pod["spec", "priorityClassName"], "system-cluster-critical")
        XCTAssertEqual(m.applied.map(\.rule), ["zone"])
        XCTAssertEqual(m.unchanged.map(\.rule), ["executor-priority"])
        XCTAssertEqual(annotations(m).applied, "zone")
        XCTAssertEqual(annotations(m).unchanged, "executor-priority")
        XCTAssertEqual(m.warnings, ["rule executor-priority: kept priorityClassName \"system-cluster-critical\" set by the pod's creator (override: false)"])
        try assertSecondPassChangesNothing(m, set)
    }

    func testExecutorsTheApplicationPinnedToAVariantAreNotAppliedThere() throws {
        var pod = try Fixtures.pod("executor-operator.json")
        pod.set(["spec", "nodeSelector"], ["karpenter.sh/capacity-type": "spot"])
        pod.set(["metadata", "managedFields"], nil)
        let set = try policy("""
                - name: executor-mix
                  match: {roles: [executor]}
                  split:
                    variants:
                      - {name: on-demand, weight: 1, set: {nodeSelector: {karpenter.sh/capacity-type: on-demand}}}
            """ + "\n")
        let m = try mutate(pod, set)
        XCTAssertEqual(m.pod["spec", "nodeSelector"], ["karpenter.sh/capacity-type": "spot"])
        XCTAssertEqual(m.applied.count, 0)
        XCTAssertEqual(m.unchangedSummary, "executor-mix/on-demand")
        XCTAssertNil(annotations(m).applied)
        XCTAssertEqual(annotations(m).unchanged, "executor-mix/on-demand")
        try assertSecondPassChangesNothing(m, set)
    }

    /// Issue 35: a Connect server whose container is not named as Spark names it gets no probes,
    /// a warning, and the rule is not listed as applied.
    func testProbesWithoutSparksContainerAreNotApplied() throws {
        var pod = try Fixtures.pod("driver-connect.json")
        var container = pod["spec", "containers"]!.arrayValue![0].objectValue!
        container["name"] = "connect"
        container["args"] = ["/opt/spark/sbin/start-connect-server.sh"]
        pod.set(["spec", "containers"], [.object(container)])
        let set = try policy("""
                - {name: connect-probes, match: {roles: [connect-server]}, set: {probes: {readiness: {grpc: {port: 15002}}}}}
                - {name: connect-class, match: {roles: [connect-server]}, set: {priorityClassName: spark-driver-critical}}
            """ + "\n")
        let m = try mutate(pod, set)
        XCTAssertNil(m.pod["spec", "containers"]!.arrayValue![0]["readinessProbe"])
        XCTAssertEqual(m.warnings, ["rule connect-probes: Spark's container not found in the pod; probes not set"])
        XCTAssertEqual(m.appliedSummary, "connect-class")
        XCTAssertEqual(annotations(m).applied, "connect-class")
        XCTAssertEqual(annotations(m).unchanged, "connect-probes")
        try assertSecondPassChangesNothing(m, set)
    }

    func testRulesAnEarlierPassAppliedStayApplied() throws {
        let set = try policy("""
                - {name: a, match: {roles: [executor]}, set: {priorityClassName: spark-executor}}
                - {name: b, match: {roles: [executor]}, set: {priorityClassName: spark-executor}}
            """ + "\n")
        let m = try mutate(try Fixtures.pod("executor-submit.json"), set)
        // b sets what a set already: it changed nothing.
        XCTAssertEqual(annotations(m).applied, "a")
        XCTAssertEqual(annotations(m).unchanged, "b")
        try assertSecondPassChangesNothing(m, set)
    }

    func testStaleRecordsAreRewrittenToWhatThisPassDid() throws {
        var pod = try Fixtures.pod("executor-submit.json")
        pod.set(["metadata", "annotations"], [Mutator.appliedAnnotation: "gone", Mutator.unchangedAnnotation: "a", "keep": "me"])
        let set = try policy("    - {name: a, match: {roles: [executor]}, set: {priorityClassName: spark-executor}}\n")
        let m = try mutate(pod, set)
        XCTAssertEqual(m.pod["metadata", "annotations"], [Mutator.appliedAnnotation: "a", "keep": "me"])
        try assertSecondPassChangesNothing(m, set)
    }
}
