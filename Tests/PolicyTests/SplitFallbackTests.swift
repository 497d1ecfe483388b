// Executors a split cannot place by id: Spark 4.2's deployment allocator (every pod EXECID, owned
// by a ReplicaSet) and its statefulset allocator go to the fallback variant, with a warning that
// says why and a record for the metric; never an error.
import JSON
@testable import Policy
import XCTest

final class SplitFallbackTests: XCTestCase {
    let split = evenSplitRule

    func testADeploymentAllocatedExecutorGoesToTheFallbackVariantSayingWhy() throws {
        let pod = try Fixtures.pod("allocators/executor-deployment.json")
        let m = try Mutator.mutate(pod: pod, namespace: "spark-jobs", policy: try policy(split))
        XCTAssertEqual(m.applied.map(\.variant), ["od"])
        XCTAssertEqual(m.pod["spec", "nodeSelector", "capacity"], "on-demand")
        XCTAssertEqual(m.fallbacks, [SplitFallback(rule: "mix", variant: "od")])
        XCTAssertEqual(m.warnings, ["rule mix: spark-exec-id is \"EXECID\", owned by a ReplicaSet: Spark's deployment allocator gives an executor its id only when it starts, so the split cannot tell executors apart; placed on variant od as a fallback, like every such executor (the weights do not apply)"])
        // The same placement on a second pass (reinvocation): nothing to change.
        let again = try Mutator.mutate(pod: m.pod, namespace: "spark-jobs", policy: try policy(split))
        XCTAssertEqual(again.pod, m.pod)
        // Without a base: the heaviest variant.
        let heavy = try policy("""
            - name: mix
              match: {roles: [executor]}
              split: {variants: [{name: spot, weight: 3, set: {nodeSelector: {capacity: spot}}}, {name: od, weight: 1, set: {nodeSelector: {capacity: on-demand}}}]}

        """)
        XCTAssertEqual(try Mutator.mutate(pod: pod, namespace: nil, policy: heavy).fallbacks, [SplitFallback(rule: "mix", variant: "spot")])
    }

    func testTheWarningNamesTheAllocatorFromTheOwner() throws {
        var pod = try Fixtures.pod("allocators/executor-deployment.json")
        pod.set(["metadata", "ownerReferences"], [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "s", "uid": "u", "controller": true]])
        let m = try Mutator.mutate(pod: pod, namespace: nil, policy: try policy(split))
        XCTAssertTrue(m.warnings[0].hasPrefix("rule mix: spark-exec-id is \"EXECID\", owned by a StatefulSet: Spark's statefulset allocator"), m.warnings[0])
        // An executor with an id of its own is placed by it, and is no fallback.
        let own = try Mutator.mutate(pod: try Fixtures.pod("executor-submit.json"), namespace: nil, policy: try policy(split))
        XCTAssertEqual(own.fallbacks, [])
        XCTAssertEqual(own.warnings, [])
    }
}
