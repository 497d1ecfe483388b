"""The fourth round's set fields through a real kube-apiserver: what it stores for security
contexts, env, volumes and mounts, the runtime class, pull secrets, DNS, host aliases and lifecycle
hooks; a creator's values (Spark's env, its decommission preStop, its local-dir volume) kept with the
warnings the client sees; and a second pass (reinvocation) changing nothing. Skipped, saying why,
without KUBEBUILDER_ASSETS (see apiserver.py)."""
import json
import subprocess

from conftest import BIN
from test_apiserver import cluster, creatable, hooked, main_container, review, unhook  # noqa: F401 (cluster is a fixture)

POLICY = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: workload}
spec:
  rules:
    - name: hardened
      match: {roles: [executor]}
      set:
        securityContext: {runAsNonRoot: true, runAsUser: 185, fsGroup: 185, seccompProfile: {type: RuntimeDefault}}
        containerSecurityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
        env: [{name: SPARK_USER, value: platform}, {name: AWS_REGION, value: eu-west-1}, {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
        volumes: [{name: scratch, emptyDir: {medium: Memory, sizeLimit: 1Gi}}, {name: spark-local-dir-1, emptyDir: {sizeLimit: 50Gi}}]
        volumeMounts: [{name: scratch, mountPath: /scratch}]
        runtimeClassName: gvisor
        imagePullSecrets: [{name: registry}]
        dnsConfig: {options: [{name: ndots, value: "2"}]}
        hostAliases: [{ip: 10.0.0.5, hostnames: [metastore.internal]}]
        lifecycle: {preStop: {sleep: {seconds: 20}}, postStart: {exec: {command: [/bin/true]}}}
"""


def mutate_again(policy, stored):
    """sparkhook's answer for the stored pod: what a reinvocation would change."""
    out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(policy), "-"],
                         input=json.dumps(review(stored, "spark-jobs")), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_fourth_rounds_fields_as_stored(cluster, certs, tmp_path):  # noqa: F811
    cluster.create("/apis/node.k8s.io/v1/runtimeclasses", {
        "apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "gvisor"}, "handler": "runsc"}, expect=(201, 409))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    server, registration = hooked(cluster, certs, policy)
    try:
        pod = creatable("executor-submit.json", name="workload-plain")
        spark_env = main_container(pod)["env"]
        status, stored, warnings = cluster.create_pod("spark-jobs", pod)
        assert status == 201, stored
        spec, c = stored["spec"], main_container(stored)
        assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 185, "fsGroup": 185, "seccompProfile": {"type": "RuntimeDefault"}}
        assert c["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}
        assert c["env"][:len(spark_env)] == spark_env, "Spark's entries stay, SPARK_USER the creator's"
        assert c["env"][len(spark_env):] == [{"name": "AWS_REGION", "value": "eu-west-1"},
                                            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["scratch"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Gi"}
        assert volumes["spark-local-dir-1"]["emptyDir"] == {}, "Spark's local dir is the creator's"
        assert {"name": "scratch", "mountPath": "/scratch"} in c["volumeMounts"]
        assert spec["runtimeClassName"] == "gvisor"
        assert spec["imagePullSecrets"] == [{"name": "registry"}]
        assert spec["dnsConfig"] == {"options": [{"name": "ndots", "value": "2"}]}
        assert spec["hostAliases"] == [{"ip": "10.0.0.5", "hostnames": ["metastore.internal"]}]
        assert c["lifecycle"] == {"preStop": {"sleep": {"seconds": 20}}, "postStart": {"exec": {"command": ["/bin/true"]}}}
        kept = sorted(w.split(": kept ")[1] for w in warnings if ": kept " in w)
        assert kept == ["env of spark-kubernetes-executor: SPARK_USER set by the pod's creator (override: false)",
                        "volume spark-local-dir-1 set by the pod's creator (override: false)"], warnings
        assert mutate_again(policy, stored)["patch"] == [], "a second pass changes nothing"

        # Spark's decommission preStop and the creator's runAsUser stay.
        own = creatable("executor-submit.json", name="workload-own")
        main_container(own)["lifecycle"] = {"preStop": {"exec": {"command": ["/opt/decom.sh"]}}}
        own["spec"]["securityContext"] = {"runAsUser": 1000}
        status, stored, warnings = cluster.create_pod("spark-jobs", own)
        assert status == 201, stored
        c = main_container(stored)
        assert c["lifecycle"] == {"preStop": {"exec": {"command": ["/opt/decom.sh"]}}, "postStart": {"exec": {"command": ["/bin/true"]}}}
        assert stored["spec"]["securityContext"]["runAsUser"] == 1000 and stored["spec"]["securityContext"]["fsGroup"] == 185
        assert any("kept lifecycle of spark-kubernetes-executor: preStop set by the pod's creator" in w for w in warnings), warnings
        assert any("kept securityContext runAsUser 1000" in w for w in warnings), warnings
        assert mutate_again(policy, stored)["patch"] == []
    finally:
        unhook(server, registration)
