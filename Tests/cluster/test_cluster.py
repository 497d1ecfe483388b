"""sparkhook on a real node, deployed by the README's commands: the kubelet's probes, kube-proxy's
Service, the Deployment controller's rollouts, the kubelet's ConfigMap and Secret refresh, the
apiserver's fail-open metrics, and removal. The tests run in this order and share one deployment
(conftest.py); each says what it measured. See README, "Deploying"."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
import time
import urllib.parse

import pytest
import yaml

from conftest import BIN, NAMESPACE, ROOT, spark_pod, to_yaml
from kube import at, contains, series, wait

SPARK = f"spark-it-{os.getpid()}"  # a namespace of its own per run: deleting one with thousands of pods takes a while
ONE_MINUTE_SYNC = 90  # the kubelet's default sync (1 m) plus its ConfigMap cache, with room


def policy_of(deployment):
    folder = deployment.work / "policy-files"
    folder.mkdir(exist_ok=True)
    data = yaml.safe_load((deployment.work / "manifests/base/policy.yaml").read_text())["data"]
    for name, text in data.items():
        (folder / name).write_text(text)
    return folder


def mutate_calls(deployment):
    """{pod: /mutate requests answered} of the current replicas, through the pod proxy."""
    out = {}
    for pod in deployment.ready_pods():
        text = deployment.kube.metrics(pod["metadata"]["name"])
        out[pod["metadata"]["name"]] = sum(v for k, v in series(text, "sparkhook_requests_total").items() if 'endpoint="mutate"' in k)
    return out


def set_failure_policy(kube, policy):
    kube.kubectl("patch", "mutatingwebhookconfiguration", "sparkhook", "--type=json",
                 "-p", json.dumps([{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": policy}]))


@pytest.fixture(scope="module")
def spark_namespace(deployed):
    kube = deployed.kube
    kube.kubectl("create", "namespace", SPARK)
    # A platform team's node: the production policy sends drivers and the first executors to
    # on-demand capacity. Every node here is labelled so (kind's and CI's have no capacity type).
    # Only nodes without a capacity type are labelled, and only those are unlabelled afterwards: a
    # real cluster's spot nodes keep theirs (and then some executors may wait for spot capacity).
    nodes = [n["metadata"]["name"] for n in kube.get("/api/v1/nodes")["items"]
             if "karpenter.sh/capacity-type" not in n["metadata"].get("labels", {})]
    for node in nodes:
        kube.kubectl("label", "node", node, "karpenter.sh/capacity-type=on-demand")
    yield SPARK
    kube.kubectl("delete", "namespace", SPARK, "--wait=false", check=False)
    for node in nodes:
        kube.kubectl("label", "node", node, "karpenter.sh/capacity-type-", check=False)


class Creator(threading.Thread):
    """Creates Spark-shaped executor pods without pause until stopped: each held back by a
    scheduling gate, so that thousands cost the scheduler and the kubelet nothing. Counts what the
    apiserver answered."""

    def __init__(self, kube, namespace, prefix):
        super().__init__(daemon=True)
        self.kube, self.namespace, self.prefix = kube, namespace, prefix
        self.stopping = threading.Event()
        self.created, self.failures, self.unmutated = 0, [], []

    def run(self):
        n = 0
        while not self.stopping.is_set():
            n += 1
            pod = spark_pod(f"{self.prefix}-{n}", "executor", app=self.prefix, exec_id=n,
                            extra={"schedulingGates": [{"name": "sparkhook.io/test-hold"}]})
            try:
                status, out = self.kube.request("POST", f"/api/v1/namespaces/{self.namespace}/pods", pod)
            except OSError as error:
                self.failures.append(f"client: {error}")
                continue
            if status != 201:
                self.failures.append(f"{status}: {str(out.get('message') if isinstance(out, dict) else out)[:300]}")
            elif "sparkhook.io/applied" not in out["metadata"].get("annotations", {}):
                self.unmutated.append(out["metadata"]["name"])
            else:
                self.created += 1

    def stop(self):
        self.stopping.set()
        self.join(60)


def test_1_deployed_replicas_are_ready_hardened_and_mutate_spark_pods_as_preview_says(deployed, spark_namespace):
    kube = deployed.kube
    pods = deployed.ready_pods()
    assert len(pods) == 2
    for pod in pods:
        # Ready is the kubelet's HTTPS readiness probe on /readyz passing.
        [status] = pod["status"]["containerStatuses"]
        assert status["ready"] and status["restartCount"] == 0, status
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] == 65532
        [container] = spec["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] and container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert re.fullmatch(r"(docker\.io/library/)?sparkhook:\d+\.\d+\.\d+", container["image"]), container["image"]
    # What the kubelet really started, where the node is this machine (CI's): the process's user,
    # capabilities and root mount.
    if os.environ.get("CONTAINERD_ADDRESS") and shutil.which("ctr"):
        for pod in pods:
            cid = pod["status"]["containerStatuses"][0]["containerID"].split("//", 1)[1]
            tasks = subprocess.run(["ctr", "-a", os.environ["CONTAINERD_ADDRESS"], "-n", "k8s.io", "tasks", "ls"],
                                   capture_output=True, text=True, check=True).stdout
            pid = next(line.split()[1] for line in tasks.splitlines() if line.startswith(cid))
            proc = dict(line.split(":\t", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
            assert proc["Uid"].split()[0] == "65532" and int(proc["CapEff"], 16) == 0 and int(proc["CapBnd"], 16) == 0
            root = next(line for line in open(f"/proc/{pid}/mountinfo") if line.split()[4] == "/")
            assert "ro" in root.split()[5].split(","), root
    pdb = kube.get(f"/apis/policy/v1/namespaces/{NAMESPACE}/poddisruptionbudgets/sparkhook")
    assert wait(lambda: kube.get(f"/apis/policy/v1/namespaces/{NAMESPACE}/poddisruptionbudgets/sparkhook")["status"].get("disruptionsAllowed") == 1,
                60, "the PodDisruptionBudget to allow one disruption"), pdb

    # Spark-shaped pods, created with kubectl: stored as `sparkhook preview` says, and started.
    shapes = [spark_pod("app-driver", "driver"), spark_pod("app-exec-1", "executor", exec_id=1),
              spark_pod("app-exec-2", "executor", exec_id=2), spark_pod("app-exec-3", "executor", exec_id=3),
              spark_pod("connect-server", "connect-server", app="connect")]
    for pod in shapes:
        pod["metadata"]["namespace"] = spark_namespace
    kube.kubectl("create", "-f", "-", input=to_yaml(shapes))
    policy = policy_of(deployed)
    for pod in shapes:
        name = pod["metadata"]["name"]
        (deployed.work / f"{name}.yaml").write_text(yaml.safe_dump(pod))
        preview = json.loads(subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(policy), str(deployed.work / f"{name}.yaml")],
                                            capture_output=True, text=True, check=True).stdout)
        stored = kube.get(f"/api/v1/namespaces/{spark_namespace}/pods/{name}")
        assert preview["patch"], name
        for op in preview["patch"]:
            assert op["op"] in ("add", "replace"), op
            assert contains(at(stored, op["path"]), op["value"]), (name, op, at(stored, op["path"]))
        assert stored["metadata"]["annotations"]["sparkhook.io/applied"]
    for pod in shapes:
        name = pod["metadata"]["name"]
        # Running, not `started`: that waits for the startup probe, which the pause image never passes.
        wait(lambda: "running" in kube.get(f"/api/v1/namespaces/{spark_namespace}/pods/{name}")["status"].get("containerStatuses", [{}])[0].get("state", {}),
             120, f"{name} to start")


def test_2_rollouts_on_a_real_node_fail_no_create(deployed, spark_namespace):
    """`kubectl rollout restart` five times in a row while clients create Spark pods without pause,
    under failurePolicy Fail: no create fails, every stored pod is mutated."""
    kube = deployed.kube
    restarts = int(os.environ.get("CLUSTER_ROLLOUTS", "5"))
    set_failure_policy(kube, "Fail")
    creators = [Creator(kube, spark_namespace, f"load{i}") for i in range(2)]
    started = time.monotonic()
    try:
        for c in creators:
            c.start()
        for i in range(restarts):
            t0 = time.monotonic()
            kube.kubectl("-n", NAMESPACE, "rollout", "restart", "deployment/sparkhook")
            kube.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/sparkhook", "--timeout=180s", timeout=200)
            deployed.wait_ready()
            print(f"rollout {i + 1}: {time.monotonic() - t0:.1f} s")
        # The load spreads again: each replica's share over a window after the last rollout.
        time.sleep(5)
        before = mutate_calls(deployed)
        time.sleep(15)
        after = mutate_calls(deployed)
    finally:
        for c in creators:
            c.stop()
        set_failure_policy(kube, "Ignore")
    took = time.monotonic() - started
    created = sum(c.created for c in creators)
    failures = [f for c in creators for f in c.failures]
    unmutated = [u for c in creators for u in c.unmutated]
    window = {pod: after[pod] - before.get(pod, 0) for pod in after}
    shares = {pod: round(100 * n / max(1, sum(window.values()))) for pod, n in window.items()}
    print(f"{restarts} rollouts in {took:.0f} s: {created} creates ({created / took:.1f}/s), {len(failures)} failed, "
          f"{len(unmutated)} unmutated; shares after: {shares}")
    assert not failures, failures[:5]
    assert not unmutated, unmutated[:5]
    assert created > 100 * restarts / 5
    assert len(window) == 2 and min(window.values()) > 0, window
    # Stored, as the apiserver kept them: every one mutated.
    selector = urllib.parse.quote("spark-role=executor,spark-app-selector in (load0,load1)")
    listed = kube.get(f"/api/v1/namespaces/{spark_namespace}/pods?labelSelector={selector}")["items"]
    assert len(listed) == created
    assert all("sparkhook.io/applied" in p["metadata"].get("annotations", {}) for p in listed)


def test_3_4_a_policy_edit_and_a_renewed_certificate_reach_every_replica_without_a_restart(deployed, spark_namespace):
    """The user's path: edit manifests/base/policy.yaml (or replace manifests/tls/) and `kubectl
    apply -k manifests` again. An invalid policy is refused at apply; a valid one and a new serving
    certificate of the same CA are served by every replica after the kubelet's refresh, with no
    restart and no failed admission meanwhile (failurePolicy Fail)."""
    kube = deployed.kube
    policy_file = deployed.work / "manifests/base/policy.yaml"
    good = policy_file.read_text()
    before = {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["restartCount"] for p in deployed.ready_pods()}
    hashes = {pod: series(kube.metrics(pod), "sparkhook_policy_info") for pod in before}
    expiry = {pod: series(kube.metrics(pod), "sparkhook_tls_certificate_expiry_timestamp_seconds") for pod in before}

    # Refused at apply, saying where: the old policy stays in the ConfigMap.
    policy_file.write_text(good.replace("terminationGracePeriodSeconds: 120", "terminationGracePeriodSeconds: soon"))
    out = deployed.sh("kubectl apply --server-side -k manifests", check=False)
    assert out.returncode != 0 and re.search(r"policy\.yaml:\d+:\d+", out.stderr), out.stderr[-2000:]
    stored = kube.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/sparkhook-policy")["data"]["policy.yaml"]
    assert "terminationGracePeriodSeconds: soon" not in stored

    # A valid edit and a renewed certificate (same CA, another expiry), applied together.
    policy_file.write_text(good.replace('sparkhook.io/protected: "true"', 'sparkhook.io/protected: "edited"'))
    deployed.sh("RENEW=1 DAYS=20 certs/generate.sh certs >/dev/null && cp certs/tls.crt certs/tls.key manifests/tls/")
    creator = Creator(kube, spark_namespace, "renew")
    try:
        applied = time.monotonic()
        deployed.sh("kubectl apply --server-side -k manifests")
        # Fail from here on (the apply would conflict with a patched failurePolicy): the kubelet
        # refreshes the volumes tens of seconds later, all under Fail.
        set_failure_policy(kube, "Fail")
        creator.start()
        seen = {}
        deadline = applied + int(os.environ.get("CLUSTER_RELOAD_TIMEOUT", "150"))
        while len(seen) < 2 * len(before) and time.monotonic() < deadline:
            for pod in before:
                text = kube.metrics(pod)
                if ("policy", pod) not in seen and series(text, "sparkhook_policy_info") != hashes[pod]:
                    seen[("policy", pod)] = time.monotonic() - applied
                if ("certificate", pod) not in seen and series(text, "sparkhook_tls_certificate_expiry_timestamp_seconds") != expiry[pod]:
                    seen[("certificate", pod)] = time.monotonic() - applied
            time.sleep(1)
    finally:
        creator.stop()
        set_failure_policy(kube, "Ignore")
    print("after kubectl apply, served in (s): " + ", ".join(f"{what} {pod}: {t:.0f}" for (what, pod), t in sorted(seen.items())))
    assert len(seen) == 2 * len(before), f"not every replica reloaded: {seen}"
    assert not creator.failures and not creator.unmutated, (creator.failures[:3], creator.unmutated[:3])
    after = {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["restartCount"] for p in deployed.ready_pods()}
    assert after == before, "a replica restarted or was replaced"
    policies = {tuple(series(kube.metrics(pod), "sparkhook_policy_info")) for pod in after}
    assert len(policies) == 1, policies
    driver = spark_pod("after-edit", "driver")
    status, stored = kube.request("POST", f"/api/v1/namespaces/{spark_namespace}/pods", driver)
    assert status == 201 and stored["metadata"]["labels"]["sparkhook.io/protected"] == "edited", stored


def test_3b_updating_the_pods_after_an_apply_serves_the_policy_at_once(deployed, spark_namespace):
    """The README's way to skip the kubelet's sync period: annotate the pods after the apply."""
    kube = deployed.kube
    policy_file = deployed.work / "manifests/base/policy.yaml"
    text = policy_file.read_text()
    pods = [p["metadata"]["name"] for p in deployed.ready_pods()]
    hashes = {pod: series(kube.metrics(pod), "sparkhook_policy_info") for pod in pods}
    policy_file.write_text(text.replace("terminationGracePeriodSeconds: 120", "terminationGracePeriodSeconds: 110"))
    applied = time.monotonic()
    deployed.sh("kubectl apply --server-side -k manifests && " + readme_command("sparkhook.io/reload"))
    wait(lambda: all(series(kube.metrics(pod), "sparkhook_policy_info") != hashes[pod] for pod in pods), 30,
         "every replica to serve the edited policy after the pods were annotated", interval=0.5)
    print(f"annotated after the apply: served by every replica in {time.monotonic() - applied:.1f} s")


def readme_command(needle):
    """The README's command (inside backquotes, possibly over several lines) that contains `needle`."""
    text = re.sub(r"```.*?```", "", (ROOT / "README.md").read_text(), flags=re.S)  # fences pair no spans
    for command in re.findall(r"`([^`]+)`", text, re.S):
        if needle in command and command.startswith("kubectl"):
            return " ".join(command.split())
    raise AssertionError(f"no kubectl command with {needle} in the README")


def promtool_fires(rules, series_lines, alert, tmp_path):
    """Runs `promtool test rules` with the given series (as scraped: name{labels}) growing by 5 a
    minute, and expects `alert` to fire with its labels and annotations; returns promtool's output."""
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump({"groups": rules}))
    [rule] = [r for g in rules for r in g["rules"] if r.get("alert") == alert]
    test = {"rule_files": [str(rule_file)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": [{"series": s, "values": "0+5x20"} for s in series_lines],
                       "alert_rule_test": [{"eval_time": "15m", "alertname": alert,
                                            "exp_alerts": [{"exp_labels": rule.get("labels", {}),
                                                            "exp_annotations": rule.get("annotations", {})}]}]}]}
    path = tmp_path / f"{alert}.test.yaml"
    path.write_text(yaml.safe_dump(test))
    return subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True)


def test_5_failing_open_is_counted_by_the_apiserver_and_alerted_on(deployed, spark_namespace, tmp_path):
    """sparkhook scaled to 0: under Ignore a Spark pod is admitted unmutated, under Fail refused;
    the apiserver counts both in its own metrics, and the shipped alerts fire on those series as
    this apiserver exports them (promtool test rules)."""
    kube = deployed.kube
    rules = yaml.safe_load((ROOT / "manifests/monitoring/prometheusrule.yaml").read_text())["spec"]["groups"]
    kube.kubectl("-n", NAMESPACE, "scale", "deployment/sparkhook", "--replicas=0")
    try:
        # Gone, not terminating: a terminating replica still answers through its shutdown delay.
        wait(lambda: not kube.get(f"/api/v1/namespaces/{NAMESPACE}/pods")["items"], 120, "the replicas to go")
        status, pod = kube.request("POST", f"/api/v1/namespaces/{spark_namespace}/pods", spark_pod("unhooked-ignore", "driver"))
        assert status == 201 and "sparkhook.io/applied" not in pod["metadata"].get("annotations", {}), pod
        set_failure_policy(kube, "Fail")
        status, refused = kube.request("POST", f"/api/v1/namespaces/{spark_namespace}/pods", spark_pod("unhooked-fail", "driver"))
        assert status >= 400 and "spark-pods.sparkhook.io" in refused["message"], refused
        _, metrics = kube.request("GET", "/metrics")
    finally:
        set_failure_policy(kube, "Ignore")
        kube.kubectl("-n", NAMESPACE, "scale", "deployment/sparkhook", "--replicas=2")
    fail_open = [k for k in series(metrics, "apiserver_admission_webhook_fail_open_count") if 'name="spark-pods.sparkhook.io"' in k]
    rejected = [k for k in series(metrics, "apiserver_admission_webhook_rejection_count") if 'name="spark-pods.sparkhook.io"' in k]
    print("the apiserver's series:", fail_open, rejected)
    assert fail_open and rejected, (fail_open, rejected)
    if shutil.which("promtool"):
        for alert, names in (("SparkhookWebhookFailOpen", fail_open), ("SparkhookWebhookRejections", rejected)):
            metric = "apiserver_admission_webhook_fail_open_count" if "FailOpen" in alert else "apiserver_admission_webhook_rejection_count"
            out = promtool_fires(rules, [metric + labels for labels in names], alert, tmp_path)
            assert out.returncode == 0, out.stdout + out.stderr
    else:
        pytest.fail("promtool is not installed (Debian package prometheus)")
    deployed.wait_ready()


def test_6_removing_the_manifests_leaves_no_webhook_that_would_block_pods(deployed, spark_namespace):
    kube = deployed.kube
    deployed.sh(readme_command("kubectl delete -k") + " --timeout=180s", timeout=240)
    configs = kube.get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations")["items"] + \
        kube.get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations")["items"]
    left = [c["metadata"]["name"] for c in configs if "sparkhook" in c["metadata"]["name"]]
    assert not left, left
    status, pod = kube.request("POST", f"/api/v1/namespaces/{spark_namespace}/pods", spark_pod("after-removal", "driver"))
    assert status == 201 and "sparkhook.io/applied" not in pod["metadata"].get("annotations", {}), pod
    assert kube.request("GET", "/apis/scheduling.k8s.io/v1/priorityclasses/spark-executor")[0] == 404
