// The fourth round's set fields (security contexts, env, volumes and mounts, runtime class, pull
// secrets, DNS, host aliases, lifecycle): merge rules, the creator's values under `override`,
// Spark's own wiring, idempotence, and the checks that refuse what the apiserver would.
import Admission
import JSON
@testable import Policy
import XCTest

final class WorkloadFieldsTests: XCTestCase, PolicyText {
    func mutate(_ pod: JSON, _ rules: String) throws -> Mutation {
        try Mutator.mutate(pod: pod, namespace: "spark-jobs", policy: try policy(rules))
    }

    func container(_ m: Mutation) -> JSON? { m.pod["spec", "containers"]?.arrayValue?.last }

    /// The mutated pod again changes nothing (reinvocation).
    func assertIdempotent(_ m: Mutation, _ rules: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let again = try mutate(m.pod, rules)
        XCTAssertEqual(JSONPatch.diff(from: m.pod, to: again.pod), [], file: file, line: line)
    }

    func testSecurityContextsAreMergedFieldByFieldAndACreatorsValueIsKept() throws {
        let rules = """
            - name: hardened
              set:
                securityContext: {runAsNonRoot: true, runAsUser: 185, fsGroup: 185, seccompProfile: {type: RuntimeDefault}}
                containerSecurityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}

        """
        var pod = try Fixtures.pod("executor-submit.json")
        let m = try mutate(pod, rules)
        XCTAssertEqual(m.pod["spec", "securityContext"], ["runAsNonRoot": true, "runAsUser": 185, "fsGroup": 185, "seccompProfile": ["type": "RuntimeDefault"]])
        XCTAssertEqual(container(m)?["securityContext"], ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "readOnlyRootFilesystem": true])
        XCTAssertEqual(m.warnings, [])
        try assertIdempotent(m, rules)

        // The creator's runAsUser (recorded in managedFields) is kept; the rule's other fields are added.
        pod.set(["spec", "securityContext"], ["runAsUser": 1000])
        var managed = pod["metadata", "managedFields"]!.arrayValue!
        managed.append(["manager": "kubectl", "operation": "Update", "fieldsV1": ["f:spec": ["f:securityContext": ["f:runAsUser": [:]]]]])
        pod.set(["metadata", "managedFields"], .array(managed))
        let kept = try mutate(pod, rules)
        XCTAssertEqual(kept.pod["spec", "securityContext", "runAsUser"], 1000)
        XCTAssertEqual(kept.pod["spec", "securityContext", "fsGroup"], 185)
        XCTAssertEqual(kept.warnings, ["rule hardened: kept securityContext runAsUser 1000 set by the pod's creator (override: false)"])
        let forced = try mutate(pod, rules.replacingOccurrences(of: "      set:", with: "      override: true\n      set:"))
        XCTAssertEqual(forced.pod["spec", "securityContext", "runAsUser"], 185)
    }

    func testEnvIsMergedByNameAndTheCreatorsEntriesAreKept() throws {
        let rules = """
            - name: env
              set:
                env:
                  - {name: SPARK_USER, value: platform}
                  - {name: AWS_REGION, value: eu-west-1}
                  - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}

        """
        let pod = try Fixtures.pod("executor-submit.json")
        let before = pod["spec", "containers"]!.arrayValue!.last!["env"]!.arrayValue!
        let m = try mutate(pod, rules)
        let env = container(m)!["env"]!.arrayValue!
        XCTAssertEqual(env.count, before.count + 2)
        XCTAssertEqual(Array(env.prefix(before.count)), before, "Spark's entries stay, in place")
        XCTAssertEqual(env.last, ["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]])
        XCTAssertEqual(m.warnings, ["rule env: kept env of spark-kubernetes-executor: SPARK_USER set by the pod's creator (override: false)"])
        try assertIdempotent(m, rules)
        let forced = try mutate(pod, rules.replacingOccurrences(of: "      set:", with: "      override: true\n      set:"))
        XCTAssertEqual(container(forced)?["env"]?.arrayValue?.first { $0["name"] == "SPARK_USER" }?["value"], "platform")
        XCTAssertEqual(container(forced)?["env"]?.arrayValue?.count, before.count + 2)
    }

    func testSparksWiringIsNotAPolicysToSet() {
        for name in ["SPARK_DRIVER_BIND_ADDRESS", "SPARK_EXECUTOR_ID", "SPARK_LOCAL_DIRS", "SPARK_JAVA_OPT_3", "SPARK_CONF_DIR"] {
            let found = problems(rules("    - name: a\n      set: {env: [{name: \(name), value: x}]}\n"))
            XCTAssertEqual(found, ["p.yaml:8:26: env \(name) is Spark's own wiring (\(SparkOwned.envSummary)): a rule may not set it"], name)
        }
        XCTAssertEqual(problems(rules("    - name: a\n      set: {volumes: [{name: spark-conf-volume-exec, emptyDir: {}}]}\n")),
                       ["p.yaml:8:30: volume spark-conf-volume-exec holds Spark's configuration: a rule may not set it"])
        XCTAssertEqual(problems(rules("    - name: a\n      set: {volumeMounts: [{name: x, mountPath: /opt/spark/conf}]}\n")),
                       ["p.yaml:8:49: mountPath /opt/spark/conf is Spark's configuration directory: a rule may not mount there"])
    }

    func testVolumesByNameAndMountsByPathOnlyOfVolumesThePodHas() throws {
        let rules = """
            - name: scratch
              set:
                volumes: [{name: scratch, emptyDir: {medium: Memory, sizeLimit: 1Gi}}, {name: spark-local-dir-1, emptyDir: {sizeLimit: 50Gi}}]
                volumeMounts: [{name: scratch, mountPath: /scratch}, {name: missing, mountPath: /missing}]

        """
        let pod = try Fixtures.pod("executor-submit.json")
        let m = try mutate(pod, rules)
        let volumes = m.pod["spec", "volumes"]!.arrayValue!
        XCTAssertEqual(volumes.last, ["name": "scratch", "emptyDir": ["medium": "Memory", "sizeLimit": "1Gi"]])
        XCTAssertEqual(volumes.first { $0["name"] == "spark-local-dir-1" }, pod["spec", "volumes"]!.arrayValue!.first { $0["name"] == "spark-local-dir-1" },
                       "Spark's local dir is the creator's")
        let mounts = container(m)!["volumeMounts"]!.arrayValue!
        XCTAssertEqual(mounts.last, ["name": "scratch", "mountPath": "/scratch"])
        XCTAssertFalse(mounts.contains { $0["mountPath"] == "/missing" })
        XCTAssertEqual(m.warnings, [
            "rule scratch: kept volume spark-local-dir-1 set by the pod's creator (override: false)",
            "rule scratch: the pod has no volume missing; volumeMount /missing not set",
        ])
        try assertIdempotent(m, rules.replacingOccurrences(of: ", {name: missing, mountPath: /missing}", with: ""))
        let forced = try mutate(pod, rules.replacingOccurrences(of: "      set:", with: "      override: true\n      set:"))
        XCTAssertEqual(forced.pod["spec", "volumes"]?.arrayValue?.first { $0["name"] == "spark-local-dir-1" }?["emptyDir"], ["sizeLimit": "50Gi"])
    }

    func testRuntimeClassPullSecretsDNSAndHostAliases() throws {
        let rules = """
            - name: platform
              set:
                runtimeClassName: gvisor
                imagePullSecrets: [{name: registry}]
                dnsConfig: {options: [{name: ndots, value: "2"}], searches: [svc.cluster.local]}
                hostAliases: [{ip: 10.0.0.5, hostnames: [metastore.internal]}]

        """
        var pod = try Fixtures.pod("executor-submit.json")
        pod.set(["spec", "imagePullSecrets"], [["name": "team-registry"]])
        let m = try mutate(pod, rules)
        XCTAssertEqual(m.pod["spec", "runtimeClassName"], "gvisor")
        XCTAssertEqual(m.pod["spec", "imagePullSecrets"], [["name": "team-registry"], ["name": "registry"]])
        XCTAssertEqual(m.pod["spec", "dnsConfig"], ["options": [["name": "ndots", "value": "2"]], "searches": ["svc.cluster.local"]])
        XCTAssertEqual(m.pod["spec", "hostAliases"], [["ip": "10.0.0.5", "hostnames": ["metastore.internal"]]])
        XCTAssertEqual(m.applied.first?.fields, ["/spec/runtimeClassName", "/spec/imagePullSecrets/1", "/spec/hostAliases/0",
                                                "/spec/dnsConfig/options", "/spec/dnsConfig/searches"])
        XCTAssertEqual(m.warnings, [])
        try assertIdempotent(m, rules)
    }

    /// Spark's decommission preStop stays whatever the rule says; a hook goes only where there is none.
    func testALifecycleHookThePodHasIsNeverReplaced() throws {
        let rules = """
            - name: hooks
              override: true
              set:
                lifecycle:
                  preStop: {sleep: {seconds: 20}}
                  postStart: {exec: {command: [/opt/register.sh]}}

        """
        var pod = try Fixtures.pod("executor-submit.json")
        var containers = pod["spec", "containers"]!.arrayValue!
        var spark = containers[containers.count - 1].objectValue!
        let decommission: JSON = ["exec": ["command": ["/opt/decom.sh"]]]
        spark["lifecycle"] = ["preStop": decommission]
        containers[containers.count - 1] = .object(spark)
        pod.set(["spec", "containers"], .array(containers))
        pod.set(["metadata", "managedFields"], .null)
        let m = try mutate(pod, rules)
        XCTAssertEqual(container(m)?["lifecycle"], ["preStop": decommission, "postStart": ["exec": ["command": ["/opt/register.sh"]]]])
        XCTAssertEqual(m.warnings, ["rule hooks: kept lifecycle of spark-kubernetes-executor: preStop set by the pod's creator (a rule never replaces a lifecycle hook)"])
        try assertIdempotent(m, rules)
        // Without Spark's hook, the rule's goes in.
        let plain = try mutate(try Fixtures.pod("executor-submit.json"), rules)
        XCTAssertEqual(container(plain)?["lifecycle", "preStop"], ["sleep": ["seconds": 20]])
    }

    func testBadValuesAreRefusedAtTheirPosition() {
        let cases: [(String, String)] = [
            ("volumes: [{name: a, emptyDir: {sizeLimit: 1GB}}]", "p.yaml:8:55: volumes[0].emptyDir.sizeLimit \"1GB\" is not a quantity (a number with an optional suffix: 500m, 2, 1.5Gi, 1e3)"),
            ("volumes: [{name: a, emptyDir: {}, hostPath: {path: /x}}]", "p.yaml:8:23: a volume takes exactly one source, got emptyDir, hostPath"),
            ("volumes: [{name: A_b, emptyDir: {}}]", "p.yaml:8:30: volume name \"A_b\" must be a lowercase DNS label (at most 63 letters, digits and '-')"),
            ("volumeMounts: [{name: a, mountPath: data}]", "p.yaml:8:49: mountPath \"data\" must be an absolute path"),
            ("env: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: x}}}]", "p.yaml:8:39: an env entry takes value or valueFrom, not both"),
            ("env: [{name: A, valueFrom: {}}]", "p.yaml:8:40: valueFrom takes exactly one of configMapKeyRef, fieldRef, fileKeyRef, resourceFieldRef, secretKeyRef, got none"),
            ("securityContext: {runAsUser: -1}", "p.yaml:8:42: runAsUser must be at least 0, got -1"),
            ("securityContext: {seccompProfile: {type: Localhost}}", "p.yaml:8:47: securityContext.seccompProfile of type Localhost needs localhostProfile"),
            ("containerSecurityContext: {privileged: true, allowPrivilegeEscalation: false}", "p.yaml:8:84: allowPrivilegeEscalation: false cannot go with privileged: true"),
            ("containerSecurityContext: {runAsUser: \"1000\"}", "p.yaml:8:51: containerSecurityContext.runAsUser must be a decimal integer, not \"1000\""),
            ("hostAliases: [{ip: 10.0.0.300, hostnames: [a]}]", "p.yaml:8:32: hostAliases ip \"10.0.0.300\" is not an IP address"),
            ("dnsConfig: {nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]}", "p.yaml:8:38: dnsConfig takes at most 3 nameservers, got 4"),
            ("lifecycle: {preStop: {sleep: {seconds: 1}, exec: {command: [x]}}}", "p.yaml:8:34: lifecycle.preStop takes exactly one of exec, httpGet, sleep, tcpSocket, got sleep, exec"),
            ("imagePullSecrets: [{}]", "p.yaml:8:32: imagePullSecrets[0] needs name"),
            ("runtimeClassName: gVisor", "p.yaml:8:31: runtimeClassName \"gVisor\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)"),
        ]
        for (set, problem) in cases {
            XCTAssertEqual(problems(rules("    - name: a\n      set: {\(set)}\n")), [problem], set)
        }
        XCTAssertEqual(problems(rules("    - name: a\n      set: {volumes: [{name: a, emptyDir: {sizeLimit: 1.5Gi}}], env: [{name: B, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}]}\n")), [])
    }
}
