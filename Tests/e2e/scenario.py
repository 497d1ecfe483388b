"""Scheduling scenarios: a policy, a cluster shape, Spark pods and what must come of them, run
through a real kube-apiserver, sparkhook and a real kube-scheduler, and checked against what the
apiserver stores. The format is in the README ("Scheduling scenarios"); the files are under
Tests/e2e/scenarios/.

    KUBEBUILDER_ASSETS=DIR python3 Tests/e2e/scenario.py FILE...

DIR holds etcd, kube-apiserver and kube-scheduler. Prints one line per expectation (`ok` or
`FAIL` with what was found), and where each application's pods landed; exits 1 on a failure."""
import base64
import contextlib
import os
import pathlib
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import yaml  # noqa: E402

from apiserver import ASSETS_VARIABLE, Apiserver  # noqa: E402
from conftest import ROOT, make_certs  # noqa: E402
from scheduler import Kubelet, Scheduler, node  # noqa: E402
from test_apiserver import creatable, mutate_calls  # noqa: E402
from test_webhook import serve  # noqa: E402

ZONE = "topology.kubernetes.io/zone"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
SHAPES = {"driver": "driver-submit.json", "executor": "executor-submit.json", "connect-server": "driver-connect.json"}
MAIN = ("spark-kubernetes-driver", "spark-kubernetes-executor")


class ScenarioError(Exception):
    """A scenario file that does not say what the runner needs, with the file and the reason."""


@contextlib.contextmanager
def cluster(assets):
    """An apiserver that lets a scheduler work without a kubelet, the scheduler, the stand-in, and
    the example priority classes."""
    server = Apiserver(assets, disable_admission_plugins=("TaintNodesByCondition",))
    scheduler = kubelet = None
    try:
        scheduler = Scheduler(server)
        kubelet = Kubelet(server)
        for doc in yaml.safe_load_all((ROOT / "manifests" / "base" / "priorityclasses.yaml").read_text()):
            server.create("/apis/scheduling.k8s.io/v1/priorityclasses", doc, expect=(201, 409))
        server.scheduler, server.kubelet = scheduler, kubelet
        yield server
    finally:
        for part in (kubelet, scheduler):
            if part:
                part.stop()
        server.stop()


def load(path):
    path = pathlib.Path(path)
    doc = yaml.safe_load(path.read_text())
    if not isinstance(doc, dict) or doc.get("kind") != "SchedulingScenario":
        raise ScenarioError(f"{path}: not a SchedulingScenario")
    for key in ("policy", "cluster", "steps", "expect"):
        if key not in doc:
            raise ScenarioError(f"{path}: `{key}` is missing")
    doc["policy"] = (path.parent / doc["policy"]).resolve()
    doc.setdefault("namespace", "spark")
    return doc


def nodes_of(scenario):
    """(group name, Node) for every node: `count` per zone of each group."""
    spec = scenario["cluster"]
    for group in spec["nodeGroups"]:
        for zone in group.get("zones", spec["zones"]):
            for i in range(group.get("count", 1)):
                labels = {ZONE: zone, **group.get("labels", {})}
                yield group["name"], node(f"{group['name']}-{zone}-{i}", labels, group["cpu"], group["memory"],
                                          group.get("taints", []), group.get("cordoned", False))


def pods_of(step, namespace):
    """The pods of one application as Spark creates them, resized to the step's requests."""
    app = step["app"]
    out = []
    for role in ("driver", "connect-server"):
        if role in step:
            out.append(shaped(role, f"{app}-{role}", app, step[role], None))
    executors = step.get("executors", {})
    first = executors.get("firstId", 1)
    for i in range(first, first + executors.get("count", 0)):
        out.append(shaped("executor", f"{app}-exec-{i}", app, executors, i))
    # Another team's pods: not Spark's, no priority class (priority 0); what executors must not evict.
    other = step.get("other", {})
    for i in range(other.get("count", 0)):
        pod = creatable("non-spark.json", name=f"{app}-{i}")
        pod["metadata"].pop("annotations", None)
        pod["metadata"]["labels"] = {"app": app}
        pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": str(other.get("cpu", 1)), "memory": str(other.get("memory", "1Gi"))}}
        out.append(pod)
    for pod in out:
        pod["metadata"]["namespace"] = step.get("namespace", namespace)
    return out


def shaped(role, name, app, size, exec_id):
    pod = creatable(SHAPES[role], name=name, exec_id=exec_id)
    pod["metadata"].pop("ownerReferences", None)
    pod["metadata"]["labels"].update({"spark-app-name": app, "spark-app-selector": f"spark-{app}"})
    pod["metadata"]["labels"].update(size.get("labels", {}))
    pod["spec"].pop("hostname", None)
    main = next(c for c in pod["spec"]["containers"] if c["name"] in MAIN)
    main["resources"] = {"requests": {"cpu": str(size.get("cpu", 1)), "memory": str(size.get("memory", "1Gi"))},
                         "limits": {"memory": str(size.get("memory", "1Gi"))}}
    return pod


class Run:
    """One scenario against a running cluster; `results` holds (ok, text) per expectation."""

    def __init__(self, server, certs, scenario, log=print, inspect=None, disruptions=False):
        """inspect(run, sparkhook): called with the scenario's sparkhook still serving, after the
        checks; disruptions: register its disruption webhook too (manifests/base/disruptionwebhook.yaml)."""
        self.inspect, self.disruptions = inspect, disruptions
        self.server, self.certs, self.s, self.log = server, certs, scenario, log
        self.namespaces = {scenario["namespace"]}
        self.results = []
        self.finished_before = len(server.kubelet.finished)

    def execute(self):
        hook = serve(self.certs, self.s["policy"])
        try:
            counting = disruption_webhook(self.server, hook.port, self.certs / "ca.crt") if self.disruptions else contextlib.nullcontext()
            with self.server.webhook(hook.port, self.certs / "ca.crt", name="sparkhook-scenario"), counting:
                self.namespaces |= {step["create"].get("namespace", self.s["namespace"]) for step in self.s["steps"] if "create" in step}
                for ns in self.namespaces:
                    self.server.namespace(ns)
                probe = shaped("driver", "probe", "probe", {}, None)
                self.server.wait_for_webhook(self.s["namespace"], probe, lambda: mutate_calls(hook, self.certs) > 0)
                self.created_nodes = []
                for _, n in nodes_of(self.s):
                    self.server.create("/api/v1/nodes", n)
                    self.created_nodes.append(n["metadata"]["name"])
                for step in self.s["steps"]:
                    self.step(step)
                self.settle()
                self.check()
                if self.inspect:
                    self.inspect(self, hook)
        finally:
            hook.stop()
            self.clean()

    def step(self, step):
        if "create" in step:
            for pod in pods_of(step["create"], self.s["namespace"]):
                ns = pod["metadata"]["namespace"]
                self.server.create(f"/api/v1/namespaces/{ns}/pods", pod)
        elif "cordon" in step:
            group = step["cordon"]
            for name, n in nodes_of(self.s):
                if name == group:
                    self.server.request("PATCH", f"/api/v1/nodes/{n['metadata']['name']}", {"spec": {"unschedulable": True}},
                                        content_type="application/merge-patch+json")
        elif "wait" in step:
            self.settle()
            time.sleep(float(step["wait"] or 0))
        else:
            raise ScenarioError(f"unknown step {step}")

    def pods(self):
        out = []
        for ns in self.namespaces:
            status, body = self.server.request("GET", f"/api/v1/namespaces/{ns}/pods")
            assert status == 200, body
            out += [p for p in body["items"] if "spark-role" in p["metadata"].get("labels", {}) and p["metadata"]["name"] != "probe"]
        return out

    def settle(self, timeout=None):
        """Until every pod is bound, or unschedulable and waiting on no victim, twice in a row."""
        timeout = timeout or self.s.get("timeoutSeconds", 60)
        deadline, calm = time.monotonic() + timeout, 0
        while calm < 3:
            if time.monotonic() > deadline:
                return
            time.sleep(0.5)
            pods = self.pods()
            busy = [p for p in pods if p["metadata"].get("deletionTimestamp") or not (
                p["spec"].get("nodeName") or p["spec"].get("schedulerName") != "default-scheduler" or (
                    unschedulable(p) and not p.get("status", {}).get("nominatedNodeName")))]
            calm = 0 if busy else calm + 1

    def check(self):
        pods = self.pods()
        status, nodes = self.server.request("GET", "/api/v1/nodes")
        labels = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in nodes["items"]}
        victims = [v for v in self.server.kubelet.finished[self.finished_before:] if v[4]]
        for expectation in self.s["expect"]:
            self.results.append(evaluate(expectation, pods, labels, victims))
        self.report = table(pods, labels, self.s.get("report", [CAPACITY_TYPE, ZONE]))

    def clean(self):
        for ns in self.namespaces:
            status, body = self.server.request("GET", f"/api/v1/namespaces/{ns}/pods")
            for p in body.get("items", []) if status == 200 else []:
                self.server.request("DELETE", f"/api/v1/namespaces/{ns}/pods/{urllib.parse.quote(p['metadata']['name'])}",
                                    {"gracePeriodSeconds": 0})
        for name in getattr(self, "created_nodes", []):
            self.server.request("DELETE", f"/api/v1/nodes/{name}")


@contextlib.contextmanager
def disruption_webhook(server, port, ca_file, match_conditions=True, only_namespace=None):
    """manifests/base/disruptionwebhook.yaml as shipped, pointed at a sparkhook on 127.0.0.1:port
    (with match_conditions=False: without them, to measure what they save; with only_namespace:
    for that namespace alone, so that a test counting calls counts its own pods' only)."""
    config = yaml.safe_load((ROOT / "manifests" / "base" / "disruptionwebhook.yaml").read_text())
    bundle = base64.b64encode(pathlib.Path(ca_file).read_bytes()).decode()
    for webhook in config["webhooks"]:
        webhook["clientConfig"] = {"url": f"https://127.0.0.1:{port}/validate/disruptions", "caBundle": bundle}
        if not match_conditions:
            webhook.pop("matchConditions")
        if only_namespace:
            webhook["namespaceSelector"]["matchExpressions"].append(
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": [only_namespace]})
    path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
    name = config["metadata"]["name"]
    server.delete(f"{path}/{name}")
    server.create(path, config)
    time.sleep(2)  # a new configuration takes effect within a second or so
    try:
        yield config
    finally:
        server.delete(f"{path}/{name}")
        time.sleep(1.5)


def unschedulable(pod):
    return any(c["type"] == "PodScheduled" and c["status"] == "False" for c in pod.get("status", {}).get("conditions", []))


def select(pods, sel):
    sel = sel or {}
    out = []
    for p in pods:
        meta = p["metadata"]
        lab = meta.get("labels", {})
        applied = meta.get("annotations", {}).get("sparkhook.io/applied", "")
        if "app" in sel and lab.get("spark-app-name") != sel["app"]:
            continue
        if "role" in sel and lab.get("spark-role") != sel["role"]:
            continue
        if "applied" in sel and sel["applied"] not in applied.split(","):
            continue
        if "execIds" in sel:
            lo, hi = sel["execIds"]
            if not lab.get("spark-exec-id", "").isdigit() or not lo <= int(lab["spark-exec-id"]) <= hi:
                continue
        out.append(p)
    return out


def counts_ok(found, want):
    if isinstance(want, dict):
        return want.get("min", 0) <= found <= want.get("max", found)
    return found == want


def pointer(obj, path):
    for part in path.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return None
    return obj


def describe(sel):
    return ",".join(f"{k}={v}" for k, v in (sel or {}).items()) or "all pods"


def evaluate(e, pods, labels, victims):
    """(ok, line) for one expectation."""
    name = e.get("name")
    chosen = select(pods, e.get("pods"))
    what = f"{describe(e.get('pods'))} ({len(chosen)} pods)"
    bound = [p for p in chosen if p["spec"].get("nodeName")]
    if "victims" in e:
        want = e["victims"]
        roles = [v[2].get("spark-role") for v in victims]
        reasons = sorted({v[4]["reason"] for v in victims})
        wrong = [r for r in roles if r not in want.get("roles", [r])]
        ok = counts_ok(len(victims), want.get("count", {"min": 0})) and not wrong
        return ok, f"{name or 'victims'}: {len(victims)} preempted, roles {sorted(set(roles))}, reasons {reasons}"
    if not chosen:
        return False, f"{name or what}: no pod selected"
    if "onNodes" in e:
        off = [p["metadata"]["name"] for p in chosen
               if not p["spec"].get("nodeName") or any(labels[p["spec"]["nodeName"]].get(k) != v for k, v in e["onNodes"].items())]
        return not off, f"{name or what} on nodes {e['onNodes']}: {len(chosen) - len(off)} of {len(chosen)}" + (f"; not: {off[:5]}" if off else "")
    if "pending" in e:
        pending = len(chosen) - len(bound)
        want = len(chosen) if e["pending"] == "all" else e["pending"]
        return counts_ok(pending, want), f"{name or what}: {pending} Pending (want {e['pending']})"
    if "count" in e:
        spec = e["count"]
        if not isinstance(spec, dict) or "by" not in spec:
            return counts_ok(len(chosen), spec), f"{name or what}: {len(chosen)} pods (want {spec})"
        found = {}
        for p in bound:
            value = labels[p["spec"]["nodeName"]].get(spec["by"], "")
            found[value] = found.get(value, 0) + 1
        ok = all(counts_ok(found.get(k, 0), v) for k, v in spec["equal"].items())
        return ok, f"{name or what} by {spec['by']}: {dict(sorted(found.items()))} (want {spec['equal']})"
    if "maxSkew" in e:
        key, limit = e["maxSkew"]["topologyKey"], e["maxSkew"]["max"]
        domains = {lab[key]: 0 for lab in labels.values() if key in lab}
        for p in bound:
            domains[labels[p["spec"]["nodeName"]].get(key)] = domains.get(labels[p["spec"]["nodeName"]].get(key), 0) + 1
        skew = max(domains.values()) - min(domains.values()) if domains else 0
        return skew <= limit, f"{name or what} skew over {key}: {skew} (max {limit}) {dict(sorted(domains.items()))}"
    if "fields" in e:
        bad = [(p["metadata"]["name"], k, pointer(p, k)) for p in chosen for k, v in e["fields"].items() if pointer(p, k) != v]
        return not bad, f"{name or what} fields {e['fields']}" + (f": differ {bad[:3]}" if bad else "")
    raise ScenarioError(f"expectation says nothing to check: {e}")


def table(pods, labels, keys):
    """Lines: app role variant -> node label values and counts."""
    rows = {}
    for p in pods:
        meta = p["metadata"]
        applied = [a for a in meta.get("annotations", {}).get("sparkhook.io/applied", "").split(",") if "/" in a]
        key = (meta["labels"].get("spark-app-name"), meta["labels"]["spark-role"], applied[0].split("/", 1)[1] if applied else "-")
        node_name = p["spec"].get("nodeName")
        where = " ".join(labels[node_name].get(k, "?") for k in keys) if node_name else "Pending"
        rows.setdefault(key, {}).setdefault(where, 0)
        rows[key][where] += 1
    return [f"  {app} {role:<14} {variant:<12} " + ", ".join(f"{w}: {n}" for w, n in sorted(places.items()))
            for (app, role, variant), places in sorted(rows.items())]


def main(paths):
    assets = os.environ.get(ASSETS_VARIABLE)
    if not assets or not (pathlib.Path(assets) / "kube-scheduler").exists():
        print(f"set {ASSETS_VARIABLE} to a folder with etcd, kube-apiserver and kube-scheduler", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory() as tmp, cluster(assets) as server:
        certs = make_certs(pathlib.Path(tmp) / "certs")
        for path in paths:
            scenario = load(path)
            print(f"{path}: {scenario.get('description', '').strip()}", flush=True)
            run = Run(server, certs, scenario)
            run.execute()
            for ok, line in run.results:
                print(("  ok   " if ok else "  FAIL ") + line)
                failed += not ok
            print("\n".join(run.report))
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
