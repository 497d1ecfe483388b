"""Why every Spark pod is sent to /mutate twice with `reinvocationPolicy: IfNeeded`, counted through
a real kube-apiserver: a patch that changes the priority class removes `spec.priority`, built-in
admission (re-run after a webhook changed the pod) resolves it again, and that change reinvokes
the webhook. A patch that leaves the class alone is sent once; with `Never`, once either way. The
second call must change nothing: a creator with two required node terms and a rule with two is
stored with four, not eight. Skipped, saying why, without KUBEBUILDER_ASSETS (see apiserver.py)."""
import pytest

from test_apiserver import cluster, creatable, mutate_calls  # noqa: F401 (cluster is a fixture)
from test_webhook import serve

POLICY = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: reinvocation}
spec:
  rules:
    - name: placement
      match: {roles: [driver]}
      set:
SET
"""
CLASS = "        priorityClassName: spark-driver-critical\n"
AFFINITY = """        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - {matchExpressions: [{key: node-pool, operator: In, values: [spark]}]}
                - {matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]}
"""


def zone_terms(*zones):
    return [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [z]}]} for z in zones]


def calls_for_one_pod(cluster, certs, tmp_path, name, settings, reinvocation, pod):
    policy = tmp_path / f"{name}.yaml"
    policy.write_text(POLICY.replace("SET\n", settings))
    server = serve(certs, policy)
    try:
        with cluster.webhook(server.port, certs / "ca.crt", reinvocation=reinvocation):
            cluster.wait_for_webhook("spark-jobs", creatable("driver-submit.json", name="probe"), lambda: mutate_calls(server, certs) > 0)
            before = mutate_calls(server, certs)
            status, stored, _ = cluster.create_pod("spark-jobs", pod)
            assert status == 201, stored
            return mutate_calls(server, certs) - before, stored
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("reinvocation, settings, expected", [
    ("IfNeeded", CLASS, 2),       # the class changed: priority removed, resolved again, reinvoked
    ("Never", CLASS, 1),
    ("IfNeeded", "        nodeSelector: {node-pool: spark}\n", 1),  # nothing for built-in admission to redo
], ids=["class-IfNeeded", "class-Never", "nodeSelector-IfNeeded"])
def test_mutate_calls_per_pod(cluster, certs, tmp_path, reinvocation, settings, expected):
    name = f"calls-{reinvocation.lower()}-{expected}-{len(settings)}"
    calls, stored = calls_for_one_pod(cluster, certs, tmp_path, name, settings, reinvocation, creatable("driver-operator.json", name=name))
    assert calls == expected
    if settings == CLASS:
        assert stored["spec"]["priorityClassName"] == "spark-driver-critical" and stored["spec"]["priority"] == 1_000_000


def test_reinvoked_narrowing_stores_no_redundant_terms(cluster, certs, tmp_path):
    pod = creatable("driver-operator.json", name="narrowed-twice")
    pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": zone_terms("a", "b")}}}
    calls, stored = calls_for_one_pod(cluster, certs, tmp_path, "narrowed", CLASS + AFFINITY, "IfNeeded", pod)
    assert calls == 2, "the second call is what used to double the terms"
    terms = stored["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    rule = [{"key": "node-pool", "operator": "In", "values": ["spark"]}, {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}]
    # Rule terms on different keys: ANDed again, each term with the other rule term could match,
    # so the second call used to replace 4 terms with 8.
    assert terms == [{"matchExpressions": [zone["matchExpressions"][0], r]} for zone in zone_terms("a", "b") for r in rule]


def test_reinvoked_pod_keeps_what_the_first_call_recorded(cluster, certs, tmp_path):
    """`sparkhook.io/applied` names only what changed the pod; the rules that matched and changed
    nothing (the creator's nodeSelector kept, probes with no such container) are in
    `sparkhook.io/matched-unchanged`; the reinvoked second call changes neither."""
    pod = creatable("driver-operator.json", name="recorded-twice")
    pod["spec"]["nodeSelector"] = {"node-pool": "gpu"}
    more = ("    - {name: kept-selector, match: {roles: [driver]}, set: {nodeSelector: {node-pool: spark}}}\n"
            "    - {name: probes-nowhere, match: {roles: [driver]}, set: {probes: {container: no-such, readiness: {tcpSocket: {port: 7078}}}}}\n")
    calls, stored = calls_for_one_pod(cluster, certs, tmp_path, "recorded", CLASS + more, "IfNeeded", pod)
    assert calls == 2, "the class change reinvokes"
    annotations = stored["metadata"]["annotations"]
    assert annotations["sparkhook.io/applied"] == "placement"
    assert annotations["sparkhook.io/matched-unchanged"] == "kept-selector,probes-nowhere"
    assert stored["spec"]["nodeSelector"] == {"node-pool": "gpu"}
