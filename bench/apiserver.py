#!/usr/bin/env python3
"""`make bench-apiserver`: what sparkhook adds to Spark pod creation as a real kube-apiserver sees
it. Executor pods are created through the apiserver's REST API on kept-alive connections, at each
concurrency, in interleaved rounds of three setups:
  none       no mutation at all;
  sparkhook  sparkhook registered with examples/production.yaml;
  cel        a MutatingAdmissionPolicy doing the same executor mutation in CEL (priority class with
             priority and preemptionPolicy removed, the 2 + 40/60 split by spark-exec-id with the
             spot toleration, the nodeSelector, the zone spread constraint).
Prints creates/s, p50/p99 create latency, apiserver and sparkhook CPU per pod, and the differences
against no mutation, as medians over the rounds.

Then what the disruption webhook (manifests/base/disruptionwebhook.yaml) costs a running pod's
status updates (the kubelet's Ready flips, probes' results), in interleaved rounds of:
  unhooked    no validating webhook;
  filtered    the configuration as shipped: matchConditions keep every such update from sparkhook;
  unfiltered  the same without matchConditions: every update is sent to sparkhook.
Prints updates/s, p50/p99, apiserver and sparkhook CPU per update, and webhook calls per update.

Knobs (environment): KUBEBUILDER_ASSETS (required), PODS (1000 per setup and concurrency),
ROUNDS (3), CONCURRENCY ("1 32"), WARMUP (50), SPARKHOOK (a built binary; default: the release
build), POLICY (examples/production.yaml), PART ("create status": which parts run),
STATUS_UPDATES (2000 per setup and round, by 8 threads over 16 running executor pods)."""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from apiserver import ASSETS_VARIABLE, HOW_TO_GET_THEM, Apiserver  # noqa: E402
from scenario import disruption_webhook  # noqa: E402

PODS = int(os.environ.get("PODS", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
CONCURRENCY = [int(c) for c in os.environ.get("CONCURRENCY", "1 32").split()]
WARMUP = int(os.environ.get("WARMUP", "50"))
POLICY = pathlib.Path(os.environ.get("POLICY", ROOT / "examples" / "production.yaml"))
PARTS = os.environ.get("PART", "create status").split()
STATUS_UPDATES = int(os.environ.get("STATUS_UPDATES", "2000"))
STATUS_HOOK = "disruption-targets.sparkhook.io"
TICKS = os.sysconf("SC_CLK_TCK")
NAMESPACE = "bench"

# The production policy's executor rules, in CEL. A JSONPatch list of typed objects crashes
# kube-apiserver 1.36.2, so list values are added empty and appended to with /-.
CEL_PATCH = """
[
  JSONPatch{op: "add", path: "/spec/priorityClassName", value: "spark-executor"}
] + (has(object.spec.priority) ? [JSONPatch{op: "remove", path: "/spec/priority"}] : [])
  + (has(object.spec.preemptionPolicy) ? [JSONPatch{op: "remove", path: "/spec/preemptionPolicy"}] : [])
  + [
  JSONPatch{op: "add", path: "/spec/nodeSelector", value: {"karpenter.sh/capacity-type": variables.variant}}
] + (variables.variant == "spot" ? [JSONPatch{op: "add", path: "/spec/tolerations/-",
       value: Object.spec.tolerations{key: "karpenter.sh/capacity-type", operator: "Equal", value: "spot", effect: "NoSchedule"}}] : [])
  + (has(object.spec.topologySpreadConstraints) ? [] : [JSONPatch{op: "add", path: "/spec/topologySpreadConstraints", value: []}])
  + [JSONPatch{op: "add", path: "/spec/topologySpreadConstraints/-", value: Object.spec.topologySpreadConstraints{
       maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway",
       labelSelector: Object.spec.topologySpreadConstraints.labelSelector{matchLabels: {
         "spark-app-selector": string(object.metadata.labels["spark-app-selector"]), "spark-role": "executor"}}}}]
"""

CEL_POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicy", "metadata": {"name": "executor-cel"},
    "spec": {
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]},
        "matchConditions": [
            {"name": "executor", "expression": "has(object.metadata.labels) && object.metadata.labels[?'spark-role'].orValue('') == 'executor'"},
            {"name": "not-yet", "expression": "!has(object.spec.priorityClassName) || object.spec.priorityClassName != 'spark-executor'"},
        ],
        "variables": [
            {"name": "id", "expression": "int(object.metadata.labels[?'spark-exec-id'].orValue('1'))"},
            # Executor n above the base of 2 is spot when floor(0.4 n) steps up: every prefix within +-1.
            {"name": "variant", "expression": "variables.id <= 2 ? 'on-demand' : "
                                              "((variables.id - 2) * 2 / 5 > (variables.id - 3) * 2 / 5 ? 'spot' : 'on-demand')"},
        ],
        "failurePolicy": "Fail", "reinvocationPolicy": "Never",
        "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": CEL_PATCH}}],
    },
}
CEL_BINDING = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicyBinding",
               "metadata": {"name": "executor-cel"}, "spec": {"policyName": "executor-cel"}}
ADMISSION = "/apis/admissionregistration.k8s.io/v1"


def executor(name, exec_id):
    review = json.loads((ROOT / "Tests" / "Fixtures" / "executor-operator.json").read_text())
    pod = review["request"]["object"]
    for key in ("managedFields", "uid", "creationTimestamp", "namespace"):
        pod["metadata"].pop(key, None)
    pod.pop("status", None)
    for key in ("priority", "preemptionPolicy"):
        pod["spec"].pop(key, None)
    pod["metadata"]["name"] = name
    pod["metadata"]["labels"]["spark-exec-id"] = str(exec_id)
    return pod


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def create_all(api, pods, concurrency):
    """Creates `pods` with `concurrency` threads, one kept-alive connection each; the latencies."""
    latencies, failures, lock, next_index = [], [], threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(pods):
                return
            start = time.perf_counter()
            status, out, _ = api.create_pod(NAMESPACE, pods[i])
            elapsed = time.perf_counter() - start
            with lock:
                (latencies if status == 201 else failures).append(elapsed if status == 201 else (status, str(out)[:300]))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} creates failed, first: {failures[0]}")
    return latencies


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


class Sparkhook:
    def __init__(self, binary, certs, policy):
        self.proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(certs / "tls.crt"),
                                      "--tls-key", str(certs / "tls.key"), "--policy", str(policy)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            entry = json.loads(line)
            if entry.get("msg") == "listening":
                self.port = int(entry["addresses"].rsplit(":", 1)[1])
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def wait_until(api, check, what):
    deadline = time.monotonic() + 30
    probe = executor("probe", 3)
    while True:
        status, out, _ = api.create_pod(NAMESPACE, probe, dry_run=True)
        if status == 201 and check(out):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} never took effect: {status} {str(out)[:300]}")
        time.sleep(0.2)


def main():
    assets = os.environ.get(ASSETS_VARIABLE)
    if not assets:
        sys.exit(f"bench-apiserver: {HOW_TO_GET_THEM}")
    binary = os.environ.get("SPARKHOOK") or str(ROOT / ".build" / "release" / "sparkhook")
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-apiserver-"))
    subprocess.run([str(ROOT / "certs" / "generate.sh"), str(work)], check=True, capture_output=True)
    api = Apiserver(assets)
    hook = None
    try:
        apiserver_pid = dict(api.procs)["kube-apiserver"].pid
        for name, value in [("spark-driver-critical", 1_000_000), ("spark-executor", 1_000)]:
            api.create("/apis/scheduling.k8s.io/v1/priorityclasses", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                                     "metadata": {"name": name}, "value": value}, expect=(201, 409))
        api.namespace(NAMESPACE)
        hook = Sparkhook(binary, work, POLICY)

        def setup(mode):
            if mode == "sparkhook":
                ctx = api.webhook(hook.port, work / "ca.crt", name="sparkhook-bench")
                ctx.__enter__()
                wait_until(api, lambda p: p["spec"].get("priorityClassName") == "spark-executor", "the webhook")
                return ctx.__exit__
            if mode == "cel":
                api.create(f"{ADMISSION}/mutatingadmissionpolicies", CEL_POLICY)
                api.create(f"{ADMISSION}/mutatingadmissionpolicybindings", CEL_BINDING)
                wait_until(api, lambda p: p["spec"].get("priorityClassName") == "spark-executor", "the MutatingAdmissionPolicy")

                def teardown(*_):
                    api.delete(f"{ADMISSION}/mutatingadmissionpolicybindings/executor-cel")
                    api.delete(f"{ADMISSION}/mutatingadmissionpolicies/executor-cel")
                    wait_until(api, lambda p: "priorityClassName" not in p["spec"], "removing the policy")
                return teardown
            return lambda *_: None

        if "create" in PARTS:
            bench_creates(api, hook, apiserver_pid, setup)
        if "status" in PARTS:
            bench_status_updates(api, hook, apiserver_pid, work / "ca.crt")
    finally:
        if hook:
            hook.stop()
        api.stop()


def bench_creates(api, hook, apiserver_pid, setup):
    modes = ["none", "sparkhook", "cel"]
    results = {(m, c): [] for m in modes for c in CONCURRENCY}
    per_round = max(1, PODS // ROUNDS)
    serial = 0
    for r in range(ROUNDS):
        for mode in modes:
            teardown = setup(mode)
            try:
                for c in CONCURRENCY:
                    warm = [executor(f"w{serial + i}", 3 + i) for i in range(WARMUP)]
                    serial += WARMUP
                    create_all(api, warm, c)
                    pods = [executor(f"p{serial + i}", 1 + i % 100) for i in range(per_round)]
                    serial += per_round
                    cpu0, hook0, t0 = cpu_seconds(apiserver_pid), cpu_seconds(hook.proc.pid), time.perf_counter()
                    latencies = create_all(api, pods, c)
                    wall = time.perf_counter() - t0
                    cpu1, hook1 = cpu_seconds(apiserver_pid), cpu_seconds(hook.proc.pid)
                    if mode != "none":
                        status, stored = api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{pods[-1]['metadata']['name']}")
                        assert stored["spec"]["priorityClassName"] == "spark-executor" and stored["spec"]["priority"] == 1000, (mode, stored["spec"])
                    results[(mode, c)].append({
                        "rate": len(pods) / wall, "p50": percentile(latencies, 0.5) * 1e3, "p99": percentile(latencies, 0.99) * 1e3,
                        "api_cpu": (cpu1 - cpu0) / len(pods) * 1e6, "hook_cpu": (hook1 - hook0) / len(pods) * 1e6})
            finally:
                teardown(None, None, None)
            api.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods")
        print(f"round {r + 1}/{ROUNDS} done", file=sys.stderr)

    print(f"\nPod creates through kube-apiserver v1.36 (envtest), {per_round} executor pods per cell and round, "
          f"{ROUNDS} rounds interleaved, medians; policy {POLICY.name}")
    print(f"{'setup':<10} {'conc':>4} {'creates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'apiserver us/pod':>17} {'sparkhook us/pod':>17}"
          f" {'+p50 ms':>8} {'+p99 ms':>8} {'+apiserver us':>14}")
    for c in CONCURRENCY:
        base = {k: statistics.median(x[k] for x in results[("none", c)]) for k in ("rate", "p50", "p99", "api_cpu", "hook_cpu")}
        for mode in modes:
            m = {k: statistics.median(x[k] for x in results[(mode, c)]) for k in base}
            print(f"{mode:<10} {c:>4} {m['rate']:>10.0f} {m['p50']:>8.2f} {m['p99']:>8.2f} {m['api_cpu']:>17.0f} "
                  f"{(m['hook_cpu'] if mode == 'sparkhook' else 0):>17.0f} {m['p50'] - base['p50']:>+8.2f} "
                  f"{m['p99'] - base['p99']:>+8.2f} {m['api_cpu'] - base['api_cpu']:>+14.0f}")


def bench_status_updates(api, hook, apiserver_pid, ca_file, pods=16, threads=8):
    """Status updates of running executor pods, with no disruption webhook, with it as shipped and
    with it unfiltered: what each costs the apiserver, and how many calls reach sparkhook."""
    names = [f"running-{i}" for i in range(pods)]
    for i, name in enumerate(names):
        pod = executor(name, 3 + i)
        pod["spec"]["nodeName"] = "node-1"  # bound already: no scheduler needed
        api.create(f"/api/v1/namespaces/{NAMESPACE}/pods", pod)
    counter, lock = [0], threading.Lock()

    def updates(n):
        latencies = []

        def worker():
            while True:
                with lock:
                    i = counter[0]
                    counter[0] += 1
                    if i >= n + start:
                        return
                path = f"/api/v1/namespaces/{NAMESPACE}/pods/{names[i % pods]}/status"
                body = {"status": {"conditions": [{"type": "Ready", "status": "True" if (i // pods) % 2 else "False"}]}}
                t = time.perf_counter()
                status, out = api.request("PATCH", path, body, content_type="application/strategic-merge-patch+json")
                if status != 200:
                    raise RuntimeError(f"status update: {status} {str(out)[:300]}")
                with lock:
                    latencies.append(time.perf_counter() - t)

        start = counter[0]
        workers = [threading.Thread(target=worker) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return latencies

    modes = ["unhooked", "filtered", "unfiltered"]
    results = {m: [] for m in modes}
    for r in range(ROUNDS):
        for mode in modes:
            hooked = disruption_webhook(api, hook.port, ca_file, match_conditions=(mode == "filtered")) if mode != "unhooked" else None
            if hooked:
                hooked.__enter__()
            try:
                updates(WARMUP)
                calls0, cpu0, hook0, t0 = api.webhook_calls(STATUS_HOOK), cpu_seconds(apiserver_pid), cpu_seconds(hook.proc.pid), time.perf_counter()
                latencies = updates(STATUS_UPDATES)
                wall = time.perf_counter() - t0
                cpu1, hook1, calls1 = cpu_seconds(apiserver_pid), cpu_seconds(hook.proc.pid), api.webhook_calls(STATUS_HOOK)
            finally:
                if hooked:
                    hooked.__exit__(None, None, None)
            results[mode].append({"rate": len(latencies) / wall, "p50": percentile(latencies, 0.5) * 1e3,
                                  "p99": percentile(latencies, 0.99) * 1e3, "api_cpu": (cpu1 - cpu0) / len(latencies) * 1e6,
                                  "hook_cpu": (hook1 - hook0) / len(latencies) * 1e6, "calls": (calls1 - calls0) / len(latencies)})
        print(f"status round {r + 1}/{ROUNDS} done", file=sys.stderr)
    api.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods")
    print(f"\nStatus updates of running executor pods through kube-apiserver v1.36 (envtest), {STATUS_UPDATES} per cell "
          f"and round, {threads} threads, {ROUNDS} rounds interleaved, medians; the disruption webhook as in manifests/base")
    print(f"{'setup':<11} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'apiserver us/update':>20} {'sparkhook us/update':>20}"
          f" {'calls/update':>13} {'+apiserver us':>14}")
    base = statistics.median(x["api_cpu"] for x in results["unhooked"])
    for mode in modes:
        m = {k: statistics.median(x[k] for x in results[mode]) for k in results[mode][0]}
        print(f"{mode:<11} {m['rate']:>10.0f} {m['p50']:>8.2f} {m['p99']:>8.2f} {m['api_cpu']:>20.0f} {m['hook_cpu']:>20.1f}"
              f" {m['calls']:>13.2f} {m['api_cpu'] - base:>+14.0f}")


if __name__ == "__main__":
    main()
