"""The apply-time policy check through a real kube-apiserver: the ValidatingWebhookConfiguration as
`kubectl kustomize manifests` renders it, only its clientConfig pointed at a sparkhook on loopback.
An invalid policy ConfigMap is refused with KEY:LINE:COLUMN (also under dry run) and nothing is
stored; a suspicious one is stored with the warning the client is sent; other ConfigMaps are never
sent to sparkhook."""
import base64
import shutil
import subprocess
import time

import pytest
import yaml

from conftest import BIN, ROOT, counter_sum, metrics_text, render_manifests
from rollout import deployment_flags
from test_webhook import serve

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) is not installed")

VALID = (ROOT / "examples" / "production.yaml").read_text()
# One policy per kind of mistake, and where the loader points.
INVALID = {
    "yaml syntax": ("spec:\n  rules: [\n", "policy.yaml:2:10: the file ends where a value was expected"),
    "unknown field": (VALID.replace("priorityClassName: spark-driver-critical", "prioritClassName: spark-driver-critical", 1),
                      'unknown field "prioritClassName"'),
    "bad value": (VALID.replace("roles: [driver]", "roles: [drivers]", 1), '"drivers"'),
}
SUSPICIOUS = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: suspicious}
spec:
  rules:
    - name: mostly-on-demand
      match: {roles: [executor]}
      split:
        variants:
          - {name: spot, weight: 1, set: {nodeSelector: {karpenter.sh/capacity-type: spot}}}
          - {name: on-demand, weight: 99, set: {nodeSelector: {karpenter.sh/capacity-type: on-demand}}}
"""


def check_lines(text, folder):
    """What `sparkhook check` says about `text` as the file policy.yaml: the lines the refusal lists."""
    folder.mkdir()
    (folder / "policy.yaml").write_text(text)
    run = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(folder)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 1, run
    return [line.replace(str(folder) + "/", "") for line in run.stderr.splitlines() if line.startswith(str(folder) + "/policy.yaml:")]


def rendered(certs, work):
    out = render_manifests(certs, work)
    docs = [d for d in yaml.safe_load_all(out) if d]
    [config] = [d for d in docs if d["kind"] == "ValidatingWebhookConfiguration" and d["metadata"]["name"] == "sparkhook-policy"]
    [policy] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "sparkhook-policy"]
    return config, policy


def requests_counted(server, certs):
    return counter_sum(metrics_text(server, certs), 'sparkhook_requests_total{endpoint="validate_policy"')


@pytest.fixture(scope="module")
def hooked(apiserver, certs, tmp_path_factory):
    config, policy = rendered(certs, tmp_path_factory.mktemp("manifests"))
    namespace = policy["metadata"]["namespace"]
    apiserver.namespace(namespace)
    apiserver.namespace("elsewhere")
    # The deployment's flags that the check reads: the priority classes the manifests create.
    flags = [f"{k}={v}" for k, v in deployment_flags().items() if k == "--priority-classes"]
    assert flags, "the deployment names its priority classes"
    server = serve(certs, ROOT / "examples" / "production.yaml", *flags)
    service = config["webhooks"][0]["clientConfig"]["service"]
    for hook in config["webhooks"]:
        hook["clientConfig"] = {"url": f"https://127.0.0.1:{server.port}{service['path']}",
                                "caBundle": base64.b64encode((certs / "ca.crt").read_bytes()).decode()}
    path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
    apiserver.delete(f"{path}/{config['metadata']['name']}")
    apiserver.create(path, config)
    # Configurations take effect within a few seconds: dry-run an invalid policy until refused.
    deadline = time.monotonic() + 20
    while True:
        status, _ = apiserver.request("POST", f"/api/v1/namespaces/{namespace}/configmaps?dryRun=All",
                                      configmap(policy, INVALID["yaml syntax"][0]))
        if status == 422 or status == 400:
            break
        assert time.monotonic() < deadline, "the validating webhook never took effect"
        time.sleep(0.3)
    yield apiserver, server, policy
    apiserver.delete(f"{path}/{config['metadata']['name']}")
    server.stop()


def configmap(rendered_policy, text, name=None, namespace=None):
    metadata = {"name": name or rendered_policy["metadata"]["name"],
                "namespace": namespace or rendered_policy["metadata"]["namespace"]}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"policy.yaml": text}}


def test_policy_configmap_is_checked_at_apply(hooked, certs, tmp_path):
    apiserver, server, policy = hooked
    ns, name = policy["metadata"]["namespace"], policy["metadata"]["name"]
    path = f"/api/v1/namespaces/{ns}/configmaps"
    apiserver.delete(f"{path}/{name}")
    status, stored, warnings = apiserver.request_with_warnings("POST", path, configmap(policy, VALID))
    assert status == 201 and stored["data"]["policy.yaml"] == VALID and warnings == [], (status, stored, warnings)

    kubeconfig = apiserver.kubeconfig()
    for kind, (text, where) in INVALID.items():
        for dry in ("?dryRun=All", ""):
            status, out = apiserver.request("PUT", f"{path}/{name}{dry}", dict(configmap(policy, text), metadata={
                **configmap(policy, text)["metadata"], "resourceVersion": stored["metadata"]["resourceVersion"]}))
            assert status in (400, 422), (kind, status, out)
            message = out["message"]
            expected = check_lines(text, tmp_path / f"{kind.replace(' ', '-')}{dry.replace('?', '-').replace('=', '-')}")
            assert expected and all(line in message for line in expected), (kind, message, expected)
            assert any(line.startswith("policy.yaml:") and where in line for line in message.splitlines()), (kind, message)
        # kubectl apply --dry-run=server prints the same refusal.
        manifest = tmp_path / f"{kind.replace(' ', '-')}.yaml"
        manifest.write_text(yaml.safe_dump(configmap(policy, text)))
        run = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "apply", "--dry-run=server", "-f", str(manifest)],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode != 0 and "denied the request" in run.stderr and where in run.stderr, (kind, run.stderr)
        status, now = apiserver.request("GET", f"{path}/{name}")
        assert now["data"]["policy.yaml"] == VALID and now["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]

    status, out, warnings = apiserver.request_with_warnings("PUT", f"{path}/{name}", dict(configmap(policy, SUSPICIOUS), metadata={
        **configmap(policy, SUSPICIOUS)["metadata"], "resourceVersion": stored["metadata"]["resourceVersion"]}))
    assert status == 200 and out["data"]["policy.yaml"] == SUSPICIOUS, (status, out)
    assert any('split variant "spot" gets no executor in applications of fewer than' in w for w in warnings), warnings

    # A class the manifests do not create: stored (it may exist in the cluster), with a warning.
    unknown = VALID.replace("priorityClassName: spark-executor", "priorityClassName: spark-batch-low")
    status, out, warnings = apiserver.request_with_warnings("PUT", f"{path}/{name}", dict(configmap(policy, unknown), metadata={
        **configmap(policy, unknown)["metadata"], "resourceVersion": out["metadata"]["resourceVersion"]}))
    assert status == 200 and out["data"]["policy.yaml"] == unknown, (status, out)
    assert [w for w in warnings if "priority class" in w] == [
        'priority class "spark-batch-low" (set by rule "executor-priority") is not created by the manifests: '
        'the apiserver refuses every pod given it until the class exists'], warnings


def test_a_probe_spark_never_passes_is_stored_with_the_warning_check_prints(hooked, tmp_path):
    """The schema checks' warnings reach the apply-time check with their KEY:LINE:COLUMN, as check prints them."""
    apiserver, server, policy = hooked
    ns, name = policy["metadata"]["namespace"], policy["metadata"]["name"]
    path = f"/api/v1/namespaces/{ns}/configmaps"
    grpc = VALID.replace("readiness: {tcpSocket: {port: 15002}", "readiness: {grpc: {port: 15002}", 1)
    grpc = grpc.replace("liveness: {tcpSocket: {port: 7078}", "liveness: {httpGet: {path: /, port: 4040}", 1)
    assert grpc.count("grpc:") == 1 and grpc.count("4040") == 1
    status, now = apiserver.request("GET", f"{path}/{name}")
    if status == 404:
        status, now = apiserver.request("POST", path, configmap(policy, VALID))
    status, out, warnings = apiserver.request_with_warnings("PUT", f"{path}/{name}", dict(configmap(policy, grpc), metadata={
        **configmap(policy, grpc)["metadata"], "resourceVersion": now["metadata"]["resourceVersion"]}))
    assert status == 200 and out["data"]["policy.yaml"] == grpc, (status, out)

    (tmp_path / "policy.yaml").write_text(grpc)
    run = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run
    printed = [line.replace(f"{tmp_path}/", "").replace(": warning: ", ": ", 1) for line in run.stderr.splitlines()]
    assert len(printed) == 2 and sorted(printed) == sorted(warnings), (printed, warnings)
    line = next(i for i, text in enumerate(grpc.splitlines(), 1) if "grpc:" in text)
    assert any(w.startswith(f'policy.yaml:{line}:11: rule "connect-probes": readiness probe: Spark Connect') and
               w.endswith("use tcpSocket: {port: 15002}") for w in warnings), warnings
    assert any(' rule "driver-probes": liveness probe on the driver\'s UI port (4040): ' in w for w in warnings), warnings
    apiserver.request("PUT", f"{path}/{name}", dict(configmap(policy, VALID), metadata={
        **configmap(policy, VALID)["metadata"], "resourceVersion": out["metadata"]["resourceVersion"]}))


def test_other_configmaps_are_never_sent(hooked, certs):
    apiserver, server, policy = hooked
    ns = policy["metadata"]["namespace"]
    bad = INVALID["unknown field"][0]
    before = requests_counted(server, certs)
    assert before > 0
    status, out = apiserver.request("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap(policy, bad, name="not-the-policy"))
    assert status == 201, out
    status, out = apiserver.request("POST", "/api/v1/namespaces/elsewhere/configmaps", configmap(policy, bad, namespace="elsewhere"))
    assert status == 201, out
    assert requests_counted(server, certs) == before


def test_check_prints_the_same_warnings(tmp_path):
    (tmp_path / "policy.yaml").write_text(SUSPICIOUS)
    run = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(tmp_path / "policy.yaml")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run
    # At the rule's name: line 6, after "    - name: ".
    assert f'{tmp_path}/policy.yaml:6:13: warning: rule "mostly-on-demand": split variant "spot" gets no executor in applications of fewer than 99 executors' in run.stderr, run.stderr


def test_check_knows_the_priority_classes_the_manifests_create(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(VALID.replace("priorityClassName: spark-executor", "priorityClassName: spark-batch-low", 1))

    def check(*flags):
        return subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(policy), *flags], capture_output=True, text=True, timeout=30)

    warned = check("--manifests", str(ROOT / "manifests" / "base"))
    assert warned.returncode == 0, warned
    assert 'warning: priority class "spark-batch-low"' in warned.stderr and "spark-driver-critical" not in warned.stderr, warned.stderr
    assert check("--manifests", str(ROOT / "manifests" / "base"), "--priority-classes", "spark-batch-low").stderr == ""
    assert "warning" not in check().stderr  # nothing said about classes when nothing is known
    missing = check("--manifests", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "cannot read manifests: No such file or directory" in missing.stderr, missing
    bad = check("--priority-classes", "spark,Not_A_Name")
    assert bad.returncode == 64 and '"Not_A_Name" is not a lowercase DNS subdomain' in bad.stderr, bad
