// Mutation semantics on the real fixtures: rule order, override, managedFields, priority
// re-resolution, container choice, split fallback, idempotence.
import Admission
import JSON
@testable import Policy
import XCTest

enum Fixtures {
    static let directory: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProcessInfo.processInfo.environment["SPARKHOOK_FIXTURES"] ?? root.appendingPathComponent("Tests/Fixtures").path
    }()

    static func review(_ name: String) throws -> AdmissionRequest {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        return try AdmissionRequest(review: try JSONParser.parse([UInt8](data)))
    }

    static func pod(_ name: String) throws -> JSON { try XCTUnwrap(object(of: review(name))) }

    /// The review's object, taken out of the checked read: the tests read it further afterwards,
    /// which only a known-good fixture allows.
    static func object(of review: AdmissionRequest) throws -> JSON? {
        var object: JSON?
        try review.read { object = $0 }
        return object
    }
}

/// A split of executors, 2 on variant od, then one in two on spot: the tests of a split's fallback
/// read it.
let evenSplitRule = """
        - name: mix
          match: {roles: [executor]}
          split:
            base: {count: 2, variant: od}
            variants:
              - {name: spot, weight: 1, set: {nodeSelector: {capacity: spot}}}
              - {name: od, weight: 1, set: {nodeSelector: {capacity: on-demand}}}

    """

func policy(_ rules: String) throws -> PolicySet {
    try PolicyLoader.load(sources: [("test.yaml", "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: t}\nspec:\n  rules:\n" + rules)])
}

extension JSON {
    mutating func set(_ path: [String], _ value: JSON?) {
        guard var object = objectValue, let first = path.first else { return }
        if path.count == 1 {
            object[first] = value
        } else {
            var child = object[first] ?? .object(JSONObject())
            child.set(Array(path.dropFirst()), value)
            object[first] = child
        }
        self = .object(object)
    }
}

final class MutatorTests: XCTestCase {
    func mutate(_ pod: JSON, _ set: PolicySet, namespace: String? = "spark-jobs") -> Mutation {
        do { return try Mutator.mutate(pod: pod, namespace: namespace, policy: set) } catch {
            XCTFail("\(error)")
            return .untouched(pod, isSparkPod: false)
        }
    }

    func testMalformedSparkPodsAreRefusedNotRewritten() throws {
        let set = try policy("    - {name: a, set: {priorityClassName: x}}\n")
        var pod = try Fixtures.pod("executor-submit.json")
        pod.set(["spec", "containers"], "not a list")
        XCTAssertThrowsError(try Mutator.mutate(pod: pod, namespace: nil, policy: set)) {
            XCTAssertEqual("\($0)", "pod spec.containers is missing or not a list of objects")
        }
        pod.set(["spec"], [1, 2])
        XCTAssertThrowsError(try Mutator.mutate(pod: pod, namespace: nil, policy: set))
        // Containers of the wrong kind as they arrive from the wire: still undecoded (raw).
        let compact = try JSONParser.parseFully(try Fixtures.pod("executor-submit.json").serialized()).serialized()
        let text = String(decoding: compact, as: UTF8.self)
        let tolerations = try XCTUnwrap(text.range(of: #""tolerations":["#))
        let tolerationsEnd = try XCTUnwrap(text.range(of: "]", range: tolerations.upperBound..<text.endIndex))
        let original = String(text[tolerations.lowerBound..<tolerationsEnd.upperBound])
        let cases = [
            (#""containers":["#, #""containers":["sidecar","#, "pod spec.containers is missing or not a list of objects"),
            (#""spec":{"#, #""spec":{"nodeSelector":["a"],"#, "pod spec.nodeSelector has the wrong type"),
            (original, #""tolerations":{"key":"a"}"#, "pod spec.tolerations has the wrong type"),
            (#""metadata":{"#, #""metadata":{"annotations":["a"],"#, "pod metadata.annotations is not an object"),
        ]
        for (anchor, replacement, message) in cases {
            XCTAssertTrue(text.contains(anchor), anchor)
            let raw = try JSONParser.parse(text.replacingFirst(anchor, with: replacement))
            XCTAssertThrowsError(try Mutator.mutate(pod: raw, namespace: nil, policy: set), message) {
                XCTAssertEqual("\($0)", message)
            }
        }
        let nulls = text.replacingFirst(original, with: #""tolerations":null"#).replacingFirst(#""spec":{"#, with: #""spec":{"nodeSelector":null,"#)
        XCTAssertEqual(try Mutator.mutate(pod: try JSONParser.parse(nulls), namespace: nil, policy: set).applied.map(\.rule), ["a"])
    }

    func testNonSparkPodsPassUntouched() throws {
        let set = try policy("    - {name: all, set: {priorityClassName: x}}\n")
        let m = mutate(try Fixtures.pod("non-spark.json"), set)
        XCTAssertFalse(m.isSparkPod)
        XCTAssertEqual(m.pod, try Fixtures.pod("non-spark.json"))
    }

    func testLaterRuleWinsAndMapsMerge() throws {
        let set = try policy("""
            - {name: a, set: {priorityClassName: first, nodeSelector: {zone: a, pool: x}}}
            - {name: b, set: {priorityClassName: second, nodeSelector: {zone: b}}}
        """ + "\n")
        let m = mutate(try Fixtures.pod("driver-submit.json"), set)
        XCTAssertEqual(m.pod["spec", "priorityClassName"], "second")
        XCTAssertEqual(m.pod["spec", "nodeSelector"], ["zone": "b", "pool": "x"])
        XCTAssertEqual(m.applied.map(\.fields), [["/spec/priorityClassName", "/spec/nodeSelector/zone", "/spec/nodeSelector/pool"],
                                                 ["/spec/priorityClassName", "/spec/nodeSelector/zone"]])
        XCTAssertEqual(m.pod["metadata", "annotations", "sparkhook.io/applied"], "a,b")
    }

    func testClassChangeRemovesResolvedPriorityOnlyWhenTheClassChanges() throws {
        let set = try policy("    - {name: a, set: {priorityClassName: spark-driver-critical}}\n")
        let first = mutate(try Fixtures.pod("apiserver-captured-driver.json"), set)
        XCTAssertNil(first.pod["spec", "priority"])
        XCTAssertNil(first.pod["spec", "preemptionPolicy"])
        // Reinvocation: the apiserver resolved the new class's priority; nothing may change now.
        var again = first.pod
        again.set(["spec", "priority"], 1_000_000)
        again.set(["spec", "preemptionPolicy"], "PreemptLowerPriority")
        XCTAssertEqual(mutate(again, set).pod, again)
    }

    func testGlobalDefaultClassIsNotTheCreatorsAndIsReplaced() throws {
        let pod = try Fixtures.pod("apiserver-captured-globaldefault.json")
        XCTAssertEqual(pod["spec", "priorityClassName"], "spark-default")
        let m = mutate(pod, try policy("    - {name: a, set: {priorityClassName: spark-driver-critical}}\n"), namespace: "default")
        XCTAssertEqual(m.pod["spec", "priorityClassName"], "spark-driver-critical")
        XCTAssertNil(m.pod["spec", "priority"])
        XCTAssertTrue(m.warnings.isEmpty)
    }

    /// nodeSelector is atomic in the Pod schema: the apiserver records `f:nodeSelector: {}` for
    /// the creator, never a key of it, so every key of a creator's selector is the creator's.
    func testEveryKeyOfAnAtomicNodeSelectorIsTheCreators() throws {
        var pod = try Fixtures.pod("driver-operator.json")
        pod.set(["spec", "nodeSelector"], ["karpenter.sh/capacity-type": "spot"])
        let manager: JSON = ["manager": "kubectl", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                             "fieldsV1": ["f:spec": ["f:nodeSelector": [:], "f:containers": [:]]]]
        pod.set(["metadata", "managedFields"], [manager])
        let rule = "    - {name: a, set: {nodeSelector: {karpenter.sh/capacity-type: on-demand, pool: spark}}}\n"
        let keep = mutate(pod, try policy(rule))
        XCTAssertEqual(keep.pod["spec", "nodeSelector"], ["karpenter.sh/capacity-type": "spot", "pool": "spark"])
        XCTAssertEqual(keep.warnings, ["rule a: kept nodeSelector karpenter.sh/capacity-type \"spot\" set by the pod's creator (override: false)"])
        // Set by someone other than the creator (no f:nodeSelector in managedFields): replaced.
        pod.set(["metadata", "managedFields"], [["manager": "kubectl", "operation": "Update", "fieldsV1": ["f:spec": ["f:containers": [:]]]]])
        XCTAssertEqual(mutate(pod, try policy(rule)).pod["spec", "nodeSelector", "karpenter.sh/capacity-type"], "on-demand")
    }

    func testCreatorsValuesAreKeptUnlessOverride() throws {
        var pod = try Fixtures.pod("executor-operator.json")
        pod.set(["spec", "priorityClassName"], "team-class")
        pod.set(["spec", "nodeSelector"], ["pool": "gpu"])
        // No managedFields: every present value is the creator's.
        pod.set(["metadata", "managedFields"], nil)
        let keep = mutate(pod, try policy("    - {name: a, set: {priorityClassName: spark-executor, nodeSelector: {pool: cpu, zone: z}}}\n"))
        XCTAssertEqual(keep.pod["spec", "priorityClassName"], "team-class")
        XCTAssertEqual(keep.pod["spec", "nodeSelector"], ["pool": "gpu", "zone": "z"])
        XCTAssertEqual(keep.warnings, [
            "rule a: kept priorityClassName \"team-class\" set by the pod's creator (override: false)",
            "rule a: kept nodeSelector pool \"gpu\" set by the pod's creator (override: false)",
        ])
        let force = mutate(pod, try policy("    - {name: a, override: true, set: {priorityClassName: spark-executor, nodeSelector: {pool: cpu}}}\n"))
        XCTAssertEqual(force.pod["spec", "priorityClassName"], "spark-executor")
        XCTAssertEqual(force.pod["spec", "nodeSelector"], ["pool": "cpu"])
    }

    func testTolerationsAreAddedOnceAndSpreadGetsTheOwnAppSelector() throws {
        let set = try policy("""
            - name: a
              match: {roles: [executor]}
              set:
                tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}, {key: spot, operator: Exists}]
                topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}]
        """ + "\n")
        let pod = try Fixtures.pod("executor-submit.json")
        let m = mutate(pod, set)
        let before = pod["spec", "tolerations"]!.arrayValue!.count
        XCTAssertEqual(m.pod["spec", "tolerations"]!.arrayValue!.count, before + 1)  // the default one was already there
        XCTAssertEqual(m.pod["spec", "topologySpreadConstraints"]?.arrayValue?.first?["labelSelector", "matchLabels"],
                       ["spark-app-selector": pod["metadata", "labels", "spark-app-selector"]!, "spark-role": "executor"])
        XCTAssertEqual(mutate(m.pod, set).pod, m.pod)
    }

    func testProbesGoOnSparksContainerNeverASidecar() throws {
        var pod = try Fixtures.pod("driver-operator.json")
        var containers = pod["spec", "containers"]!.arrayValue!
        var spark = containers[0].objectValue!
        spark["name"] = "renamed-by-template"
        containers = [["name": "log-shipper", "image": "fluent-bit"], .object(spark)]
        pod.set(["spec", "containers"], .array(containers))
        let set = try policy("    - {name: p, set: {probes: {liveness: {tcpSocket: {port: 7078}}, readiness: {httpGet: {path: /, port: spark-ui}}}}}\n")
        let m = mutate(pod, set)
        XCTAssertNil(m.pod["spec", "containers"]!.arrayValue![0]["livenessProbe"])
        XCTAssertEqual(m.pod["spec", "containers"]!.arrayValue![1]["livenessProbe"], ["tcpSocket": ["port": 7078]])
        XCTAssertEqual(m.pod["spec", "containers"]!.arrayValue![1]["readinessProbe"], ["httpGet": ["path": "/", "port": "spark-ui"]])
        // A probe on a port name the container lacks would fail at run time: skipped with a warning.
        let bad = mutate(pod, try policy("    - {name: p, set: {probes: {liveness: {httpGet: {path: /, port: no-such}}}}}\n"))
        XCTAssertEqual(bad.warnings, ["rule p: container renamed-by-template has no port named \"no-such\"; livenessProbe not set"])
        // Only sidecars: nothing to probe.
        pod.set(["spec", "containers"], [["name": "log-shipper", "image": "fluent-bit"]])
        XCTAssertEqual(mutate(pod, set).warnings, ["rule p: Spark's container not found in the pod; probes not set"])
    }

    func testAppliedProbesSurviveApiserverDefaults() throws {
        let set = try policy("    - {name: p, set: {probes: {readiness: {grpc: {port: 15002}}}}}\n")
        let m = mutate(try Fixtures.pod("driver-connect.json"), set)
        var defaulted = m.pod
        var containers = defaulted["spec", "containers"]!.arrayValue!
        var c = containers[0].objectValue!
        c["readinessProbe"] = ["grpc": ["port": 15002, "service": ""], "timeoutSeconds": 1, "periodSeconds": 10,
                               "successThreshold": 1, "failureThreshold": 3]
        containers[0] = .object(c)
        defaulted.set(["spec", "containers"], .array(containers))
        let again = mutate(defaulted, set)
        XCTAssertEqual(again.pod, defaulted)
        XCTAssertTrue(again.warnings.isEmpty)
    }

    func testSplitUsesTheExecIDAndFallsBackWithAWarning() throws {
        let set = try policy(evenSplitRule)
        var pod = try Fixtures.pod("executor-submit.json")  // spark-exec-id 3: first above the base
        XCTAssertEqual(mutate(pod, set).applied.first?.variant, "spot")
        pod.set(["metadata", "labels", "spark-exec-id"], "not-a-number")
        let m = mutate(pod, set)
        XCTAssertEqual(m.applied.first?.variant, "od")
        XCTAssertEqual(m.warnings, ["rule mix: spark-exec-id is \"not-a-number\"; placed on variant od as a fallback"])
    }

    func testSparkPodsNoRuleMatchesPassUntouched() throws {
        let set = try policy("    - {name: elsewhere, match: {namespaces: [team-*]}, set: {priorityClassName: x, nodeSelector: {a: b}}}\n")
        for name in ["driver-operator.json", "executor-submit.json", "apiserver-captured-globaldefault.json"] {
            let pod = try Fixtures.pod(name)
            let m = mutate(pod, set)
            XCTAssertTrue(m.isSparkPod, name)
            XCTAssertEqual(m.applied, [], name)
            XCTAssertEqual(m.appliedSummary, "", name)
            XCTAssertEqual(m.warnings, [], name)
            XCTAssertEqual(m.pod, pod, name)
            XCTAssertEqual(m.pod.text, pod.text, name)
            XCTAssertEqual(JSONPatch.diff(from: m.original, to: m.pod), [], name)
        }
    }

    func testMatchingOnNamespacesLabelsAppNamesAndServiceAccounts() throws {
        let pod = try Fixtures.pod("driver-submit.json")
        func matched(_ match: String) throws -> Bool {
            !mutate(pod, try policy("    - {name: m, match: \(match), set: {priorityClassName: x}}\n")).applied.isEmpty
        }
        XCTAssertTrue(try matched("{namespaces: [\"spark-*\"]}"))
        XCTAssertFalse(try matched("{namespaces: [\"team-*\"]}"))
        XCTAssertTrue(try matched("{roles: [driver, executor]}"))
        XCTAssertFalse(try matched("{roles: [executor]}"))
        XCTAssertTrue(try matched("{podLabels: {spark-role: driver}}"))
        XCTAssertTrue(try matched("{podLabels: {matchExpressions: [{key: spark-role, operator: In, values: [driver]}, {key: missing, operator: DoesNotExist}]}}"))
        XCTAssertFalse(try matched("{podLabels: {matchExpressions: [{key: spark-role, operator: NotIn, values: [driver]}]}}"))
        XCTAssertTrue(try matched("{serviceAccounts: [spark]}"))
        XCTAssertFalse(try matched("{serviceAccounts: [other]}"))
        let app = pod["metadata", "labels", "spark-app-name"]!.stringValue!
        XCTAssertTrue(try matched("{appNames: [\"\(app.prefix(3))*\"]}"))
        XCTAssertFalse(try matched("{appNames: [\"zzz*\"]}"))
    }

    func testManyRulesAreMatchedEachOnItsOwnTerms() throws {
        var pod = try Fixtures.pod("driver-submit.json")  // spark-jobs, daily-etl, service account spark
        pod.set(["metadata", "annotations"], ["team": "data", "cost-center": "42"])
        let rules = [
            ("exact-ns", "{namespaces: [other, spark-jobs]}", true),
            ("star", "{namespaces: [\"*\"]}", true),
            ("general-glob", "{namespaces: [\"sp?rk-[a-j]obs\"]}", true),
            ("general-miss", "{namespaces: [\"sp?rk-[!j]obs\"]}", false),
            ("longer-prefix", "{namespaces: [\"spark-jobs-*\"]}", false),
            ("label-in", "{podLabels: {matchExpressions: [{key: spark-version, operator: In, values: [\"3.5.1\", \"4.0.1\"]}]}}", true),
            ("label-notin-absent", "{podLabels: {matchExpressions: [{key: tier, operator: NotIn, values: [gold]}]}}", true),
            ("label-exists", "{podLabels: {matchExpressions: [{key: spark-app-selector, operator: Exists}]}}", true),
            ("label-exists-absent", "{podLabels: {matchExpressions: [{key: tier, operator: Exists}]}}", false),
            ("label-and", "{podLabels: {spark-role: driver, spark-app-name: daily-etl}}", true),
            ("label-and-miss", "{podLabels: {spark-role: driver, spark-app-name: daily-et}}", false),
            ("annotation", "{annotations: {team: data}}", true),
            ("annotation-other-value", "{annotations: {cost-center: \"43\"}}", false),
            ("annotation-absent", "{annotations: {matchExpressions: [{key: owner, operator: DoesNotExist}]}}", true),
            ("all-of-them", "{roles: [driver], namespaces: [\"spark-*\"], appNames: [daily-etl], serviceAccounts: [spark], podLabels: {spark-role: driver}, annotations: {team: data}}", true),
            ("all-but-one", "{roles: [driver], namespaces: [\"spark-*\"], appNames: [daily-etl], serviceAccounts: [spark], podLabels: {spark-role: driver}, annotations: {team: ops}}", false),
        ]
        let set = try policy(rules.map { "    - {name: \($0.0), match: \($0.1), set: {priorityClassName: x}}\n" }.joined())
        // Every matching rule sets the same class: the first changes the pod, the rest match unchanged.
        let m = mutate(pod, set)
        XCTAssertEqual(m.applied.map(\.rule) + m.unchanged.map(\.rule), rules.filter(\.2).map(\.0))
        XCTAssertEqual(m.applied.map(\.rule), ["exact-ns"])
    }
}

/// What the webhook no longer checks per admission (it checks only that the patch applies):
/// the diff's patch turns the original pod into exactly the mutated one. Every fixture under
/// every example policy, and each fixture mutated twice (the second patch must be empty).
final class PatchPropertyTests: XCTestCase {
    func testEveryPatchReproducesTheMutatedPodAndPassesTheCheck() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.path + "/examples").filter { $0.hasSuffix(".yaml") }.sorted()
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Fixtures.directory).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(examples.count, 5)
        XCTAssertGreaterThanOrEqual(fixtures.count, 8)
        var nonEmpty = 0
        for example in examples {
            let set = try PolicyLoader.load(path: root.path + "/examples/" + example)
            for fixture in fixtures {
                let review = try Fixtures.review(fixture)
                guard review.isPod, let pod = try Fixtures.object(of: review) else { continue }
                let m = try Mutator.mutate(pod: pod, namespace: review.namespace, policy: set)
                let patch = JSONPatch.diff(from: pod, to: m.pod)
                XCTAssertNoThrow(try JSONPatch.check(patch, against: pod), "\(example) \(fixture)")
                XCTAssertEqual(try JSONPatch.apply(patch, to: pod), m.pod, "\(example) \(fixture)")
                // The webhook diffs against the original with the decoded levels shared: same patch.
                XCTAssertEqual(JSONPatch.diff(from: m.original, to: m.pod), patch, "\(example) \(fixture)")
                let again = try Mutator.mutate(pod: m.pod, namespace: review.namespace, policy: set)
                XCTAssertEqual(JSONPatch.diff(from: m.pod, to: again.pod), [], "\(example) \(fixture) mutated twice")
                if !patch.isEmpty { nonEmpty += 1 }
            }
        }
        XCTAssertGreaterThan(nonEmpty, 20)
    }

    /// Fields rules change are decoded once and shared by the original and the mutated pod
    /// (Mutator.decodeOnce): with two rules on each (containers beside a sidecar, nodeSelector,
    /// tolerations, spread constraints), the original still equals the pod as read, and diffing
    /// against it gives the same patch as against the raw pod, one that touches only what changed.
    func testFieldsDecodedOnceLeaveTheOriginalAndThePatchAsTheyWere() throws {
        let review = try Fixtures.review("driver-operator.json")
        var pod = try XCTUnwrap(Fixtures.object(of: review))
        var containers = pod["spec", "containers"]!.arrayValue!
        containers.insert(["name": "log-shipper", "image": "fluent-bit", "ports": [["name": "metrics", "containerPort": 2020]]], at: 0)
        pod.set(["spec", "containers"], .array(containers))
        pod.set(["spec", "nodeSelector"], ["kubernetes.io/os": "linux"])
        pod = try JSONParser.parse(pod.serialized())  // raw again, as a review arrives
        let set = try policy("""
            - name: a
              set:
                nodeSelector: {pool: spark}
                tolerations: [{key: spot, operator: Exists}]
                topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]
                probes: {liveness: {tcpSocket: {port: 7078}}}
            - name: b
              set:
                nodeSelector: {tier: batch}
                tolerations: [{key: batch, operator: Exists}]
                topologySpreadConstraints: [{maxSkew: 2, topologyKey: host, whenUnsatisfiable: ScheduleAnyway}]
                probes: {startup: {tcpSocket: {port: 7078}}}
        """ + "\n")
        let m = try Mutator.mutate(pod: pod, namespace: review.namespace, policy: set)
        XCTAssertEqual(m.original, pod)
        let patch = JSONPatch.diff(from: pod, to: m.pod)
        XCTAssertEqual(JSONPatch.diff(from: m.original, to: m.pod), patch)
        XCTAssertNoThrow(try JSONPatch.check(patch, against: pod))
        XCTAssertEqual(try JSONPatch.apply(patch, to: pod), m.pod)
        let paths = patch.map { JSONPatch.encode([$0]).text }
        XCTAssertFalse(paths.contains { $0.contains("/spec/containers/0") }, "\(paths)")
        XCTAssertEqual(m.pod["spec", "containers"]?.arrayValue?[1]["livenessProbe"], ["tcpSocket": ["port": 7078]])
        XCTAssertEqual(m.pod["spec", "containers"]?.arrayValue?[1]["startupProbe"], ["tcpSocket": ["port": 7078]])
        XCTAssertEqual(m.pod["spec", "nodeSelector"], ["kubernetes.io/os": "linux", "pool": "spark", "tier": "batch"])
        XCTAssertEqual(m.pod["spec", "topologySpreadConstraints"]?.arrayValue?.count, 2)
        XCTAssertEqual(m.pod["spec", "tolerations"]?.arrayValue?.suffix(2).map { $0["key"] }, ["spot", "batch"])
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }
}
