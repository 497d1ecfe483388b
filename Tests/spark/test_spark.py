"""Real Spark on a real node, with sparkhook in the path: PySpark's pi submitted from this machine
with `spark-submit --deploy-mode cluster`, a driver and two executors in the image `make
spark-image` built, under the production example policy (the manifests' ConfigMap). Everything
is judged from what the apiserver and the kubelet recorded: pod phases and conditions, container
restarts, events, the driver's log, the stored pods against `sparkhook preview`, sparkhook's
metrics. spark-submit itself exits 0 even when the driver fails, so it is never the verdict.
The tests run in this order; each prints what it measured. See README, "Real Spark".

SPARK_POLICY=FILE serves FILE instead of the manifests' policy (applied as the README says, then
every replica checked to serve it): to see a probe change pass or fail before it is shipped."""
import json
import os
import pathlib
import subprocess
import threading
import time

import pytest
import yaml

from conftest import BIN, NAMESPACE, SPARK_SUBMIT, VERSIONS
from kube import at, contains, series, wait

SPARK = f"spark-run-{os.getpid()}"
BASELINE = f"spark-base-{os.getpid()}"
PI = "local:///opt/spark/examples/src/main/python/pi.py"
SUBMIT_TIMEOUT = int(os.environ.get("SPARK_SUBMIT_TIMEOUT", "120"))  # spark-submit until the driver pod exists
JOB_TIMEOUT = int(os.environ.get("SPARK_JOB_TIMEOUT", "240"))        # submit to driver Succeeded
STUCK_TIMEOUT = int(os.environ.get("SPARK_STUCK_TIMEOUT", "150"))    # a job expected to finish, for the probe tests
RESULTS = []  # one line per measured run, printed again at the end


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if RESULTS:
        print("\nmeasured:\n" + "\n".join(RESULTS))


def mutate_calls(deployed):
    """/mutate requests answered, summed over the ready replicas (through the pod proxy)."""
    total = 0
    for pod in deployed.ready_pods():
        text = deployed.kube.metrics(pod["metadata"]["name"])
        total += sum(v for k, v in series(text, "sparkhook_requests_total").items() if 'endpoint="mutate"' in k)
    return total


def served_policy(kube):
    """{file: text} of the policy ConfigMap as stored."""
    return kube.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/sparkhook-policy")["data"]


def spark_namespace(kube, name):
    """A namespace with the driver's RBAC: ServiceAccount `spark`, a Role on what Spark's driver
    creates and watches (its executors, its Service, its ConfigMaps, PVCs), and the binding."""
    docs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "spark", "namespace": name}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "spark-driver", "namespace": name},
         "rules": [{"apiGroups": [""], "resources": ["pods", "services", "configmaps", "persistentvolumeclaims"],
                    "verbs": ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "spark-driver", "namespace": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "spark-driver"},
         "subjects": [{"kind": "ServiceAccount", "name": "spark", "namespace": name}]},
    ]
    kube.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    wait(lambda: kube.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/spark")[0] == 200
         and kube.request("GET", f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt")[0] == 200,
         60, f"namespace {name}'s ServiceAccount and root CA")
    return name


class Application:
    """One spark-submit of PySpark's pi, watched from submit to the driver's end: when each of its
    pods was first seen, the driver Ready, Succeeded or Failed (polled every 0.25 s)."""

    def __init__(self, kube, submission, namespace, name, confs=None, args=("10",)):
        self.kube, self.submission, self.namespace, self.name = kube, submission, namespace, name
        self.driver = f"{name}-driver"
        self.confs = {
            "spark.kubernetes.namespace": namespace,
            "spark.kubernetes.container.image": VERSIONS["SPARK_IMAGE"],
            "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
            "spark.kubernetes.authenticate.driver.serviceAccountName": "spark",
            "spark.kubernetes.driver.pod.name": self.driver,
            "spark.kubernetes.executor.podNamePrefix": name,
            "spark.executor.instances": "2",
            # Small requests: a driver and two executors fit one small node beside sparkhook.
            "spark.kubernetes.driver.request.cores": "200m",
            "spark.kubernetes.executor.request.cores": "200m",
            "spark.driver.memory": "512m",
            "spark.executor.memory": "512m",
            # Executors kept after the job, to read them as stored (the driver's owner reference
            # still deletes them with it).
            "spark.kubernetes.executor.deleteOnTermination": "false",
            "spark.kubernetes.submission.waitAppCompletion": "false",
            **submission.confs,
            **(confs or {}),
        }
        self.args = list(args)
        self.seen, self.events = {}, {}
        self._stop = threading.Event()

    def submit(self):
        command = [str(SPARK_SUBMIT),
                   "--master", self.submission.master, "--deploy-mode", "cluster", "--name", self.name]
        for key, value in self.confs.items():
            command += ["--conf", f"{key}={value}"]
        command += [PI, *self.args]
        self.started = time.monotonic()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()
        out = subprocess.run(command, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT, env=self.submission.env)
        self.submit_output = out.stdout[-3000:] + out.stderr[-3000:]
        # Exit 0 says only that the driver pod was created (and, with waitAppCompletion, that it
        # ended, however it ended): the pod is the verdict.
        assert out.returncode == 0, f"spark-submit failed ({out.returncode}):\n{self.submit_output}"
        return self

    def _mark(self, what):
        self.seen.setdefault(what, time.monotonic() - self.started)

    def _app_pods(self):
        """The driver and its executors: those with the driver's spark-app-selector (the
        executors' spark-app-name is the one the program gives its session, not --name)."""
        items = self.kube.get(f"/api/v1/namespaces/{self.namespace}/pods")["items"]
        selector = next((p["metadata"]["labels"].get("spark-app-selector") for p in items
                         if p["metadata"]["name"] == self.driver), None)
        return [p for p in items if p["metadata"]["name"] == self.driver
                or (selector and p["metadata"].get("labels", {}).get("spark-app-selector") == selector)]

    def _watch(self):
        while not self._stop.is_set():
            try:
                items = self._app_pods()
            except Exception:  # noqa: BLE001 - a transient error; the next poll tries again
                items = []
            for pod in items:
                name = pod["metadata"]["name"]
                self._mark(f"{name} created")
                status = pod.get("status", {})
                if any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])):
                    self._mark(f"{name} ready")
                if status.get("phase") in ("Running", "Succeeded", "Failed"):
                    self._mark(f"{name} {status['phase']}")
            if f"{self.driver} Succeeded" in self.seen or f"{self.driver} Failed" in self.seen:
                return
            time.sleep(0.25)

    def pod(self, name=None):
        return self.kube.get(f"/api/v1/namespaces/{self.namespace}/pods/{name or self.driver}")

    def pods(self, role):
        return [p for p in self._app_pods() if p["metadata"]["labels"].get("spark-role") == role]

    def log(self, pod=None, tail=None):
        args = ["-n", self.namespace, "logs", pod or self.driver] + ([f"--tail={tail}"] if tail else [])
        return self.kube.kubectl(*args, check=False).stdout

    def pod_events(self):
        """The events of this application's pods: [(pod, reason, message)]."""
        items = self.kube.get(f"/api/v1/namespaces/{self.namespace}/events")["items"]
        names = {p["metadata"]["name"] for role in ("driver", "executor") for p in self.pods(role)}
        return [(e["involvedObject"].get("name"), e.get("reason"), e.get("message", "")[:200], e.get("count", 1))
                for e in items if e["involvedObject"].get("name") in names]

    def diagnosis(self):
        lines = [f"seen (s after submit): {json.dumps({k: round(v, 1) for k, v in sorted(self.seen.items(), key=lambda kv: kv[1])})}"]
        for role in ("driver", "executor"):
            for pod in self.pods(role):
                status = pod.get("status", {})
                ready = [c["status"] for c in status.get("conditions", []) if c["type"] == "Ready"]
                restarts = [c.get("restartCount") for c in status.get("containerStatuses", [])]
                lines.append(f"{pod['metadata']['name']}: phase {status.get('phase')}, Ready {ready}, restarts {restarts}")
        lines += [f"event {p}: {r} x{n}: {m}" for p, r, m, n in self.pod_events() if r not in ("Scheduled", "Pulled", "Created", "Started")]
        failed = [p["metadata"]["name"] for p in self.pods("executor") if p.get("status", {}).get("phase") == "Failed"]
        if failed:
            causes = [line.strip() for line in self.log(failed[0]).splitlines() if "Exception" in line][:3]
            lines.append(f"{failed[0]} failed: " + " | ".join(causes))
        lines.append("driver log (tail):\n" + self.log(tail=25))
        return "\n".join(lines)

    def wait_driver_end(self, timeout):
        """Waits for the driver to end; returns its phase, or fails saying what was seen."""
        try:
            wait(lambda: f"{self.driver} Succeeded" in self.seen or f"{self.driver} Failed" in self.seen, timeout,
                 f"driver {self.driver} to end", interval=0.25)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.diagnosis()}") from None
        finally:
            self._stop.set()
        return "Succeeded" if f"{self.driver} Succeeded" in self.seen else "Failed"

    def delete(self):
        # The driver owns its executors, Service and ConfigMaps: they go with it.
        self.kube.kubectl("-n", self.namespace, "delete", "pod", self.driver, "--wait=false", "--ignore-not-found", check=False)


def assert_finished(app, label, calls_before=None, deployed=None):
    """The job succeeded as the cluster recorded it; prints its times."""
    phase = app.wait_driver_end(JOB_TIMEOUT)
    assert phase == "Succeeded", f"driver {phase}\n{app.diagnosis()}"
    log = app.log()
    assert "Pi is roughly" in log, f"no 'Pi is roughly' in the driver's log:\n{log[-3000:]}"
    executors = app.pods("executor")
    assert len(executors) == 2, [p["metadata"]["name"] for p in executors]
    for pod in [app.pod()] + executors:
        for status in pod["status"].get("containerStatuses", []):
            assert status["restartCount"] == 0, (pod["metadata"]["name"], status)
    took = app.seen[f"{app.driver} Succeeded"]
    ready = app.seen.get(f"{app.driver} ready")
    line = f"{label}: submit to driver Succeeded {took:.1f} s, driver Ready after {ready:.1f} s" if ready is not None \
        else f"{label}: submit to driver Succeeded {took:.1f} s, driver never seen Ready"
    if deployed is not None:
        pods = 1 + len(executors)
        calls = mutate_calls(deployed) - calls_before
        line += f", {calls:.0f} /mutate calls for {pods} pods ({calls / pods:.2f} a pod)"
    RESULTS.append(line)
    print(line)
    return app


def probe_events(app):
    """Unhealthy and Killing events of the application's pods, by probe: {kind: [(pod, message, count)]}."""
    out = {}
    for pod, reason, message, count in app.pod_events():
        if reason in ("Unhealthy", "Killing"):
            kind = next((k for k in ("Startup", "Liveness", "Readiness") if message.startswith(k)), reason)
            out.setdefault(kind, []).append((pod, message, count))
    return out


@pytest.fixture(scope="module")
def labelled_nodes(kube):
    # A platform team's node: the production policy sends drivers and the first executors to
    # on-demand capacity. Every node here is labelled so (kind's and CI's have no capacity type).
    nodes = [n["metadata"]["name"] for n in kube.get("/api/v1/nodes")["items"]]
    for node in nodes:
        kube.kubectl("label", "--overwrite", "node", node, "karpenter.sh/capacity-type=on-demand")
    yield nodes
    for node in nodes:
        kube.kubectl("label", "node", node, "karpenter.sh/capacity-type-", check=False)


@pytest.fixture(scope="module")
def namespace(kube, spark, labelled_nodes):
    yield spark_namespace(kube, SPARK)
    kube.kubectl("delete", "namespace", SPARK, "--wait=false", check=False)


@pytest.fixture(scope="module")
def hooked(deployed, namespace):
    """sparkhook deployed (the cluster tier's fixture), serving the manifests' policy, or SPARK_POLICY."""
    override = os.environ.get("SPARK_POLICY")
    if override:
        kube = deployed.kube
        policy_file = deployed.work / "manifests/base/policy.yaml"
        doc = yaml.safe_load(policy_file.read_text())
        doc["data"] = {"policy.yaml": pathlib.Path(override).read_text()}
        policy_file.write_text(yaml.safe_dump(doc))
        pods = [p["metadata"]["name"] for p in deployed.ready_pods()]
        before = {pod: series(kube.metrics(pod), "sparkhook_policy_info") for pod in pods}
        deployed.sh("kubectl apply --server-side -k manifests && kubectl -n sparkhook-system annotate pods "
                    "-l app.kubernetes.io/name=sparkhook sparkhook.io/reload=\"$(date +%s)\" --overwrite")
        wait(lambda: all(series(kube.metrics(pod), "sparkhook_policy_info") != before[pod] for pod in pods), 90,
             f"every replica to serve SPARK_POLICY={override}")
        print(f"serving SPARK_POLICY={override}")
    return deployed


def test_0_pi_without_sparkhook(kube, spark, labelled_nodes):
    """The baseline: the same job with no webhook in the path (before sparkhook is installed)."""
    configs = kube.get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations")["items"]
    left = [c["metadata"]["name"] for c in configs if "sparkhook" in c["metadata"]["name"]]
    if left:
        pytest.fail(f"sparkhook's webhook is already registered ({left}): the baseline needs a cluster without it")
    spark_namespace(kube, BASELINE)
    app = Application(kube, spark, BASELINE, "pi-baseline").submit()
    try:
        assert_finished(app, "without sparkhook")
        assert "sparkhook.io/applied" not in app.pod()["metadata"].get("annotations", {})
    finally:
        kube.kubectl("delete", "namespace", BASELINE, "--wait=false", check=False)


@pytest.fixture(scope="module")
def pi(hooked, spark, namespace):
    """PySpark's pi under the policy: a driver and two executors."""
    calls = mutate_calls(hooked)
    app = Application(hooked.kube, spark, namespace, "pi").submit()
    return assert_finished(app, "with sparkhook", calls, hooked)


def test_1_pi_succeeds_under_the_policy_with_no_restart_and_no_probe_failure(pi):
    """Driver Succeeded with 'Pi is roughly' in its log, no container restarted (asserted in the
    fixture), every pod mutated, and no probe the policy set failed but the startup probe while
    the JVM starts (the startup probe exists for that; it never reached its threshold)."""
    for pod in [pi.pod()] + pi.pods("executor"):
        assert pod["metadata"].get("annotations", {}).get("sparkhook.io/applied"), pod["metadata"]["name"]
    events = probe_events(pi)
    print(f"probe events: {json.dumps(events)}")
    failing = {k: v for k, v in events.items() if k != "Startup"}
    assert not failing, f"probes the policy set failed:\n{json.dumps(failing, indent=1)}"
    startup = [p for p in pi.pod()["spec"]["containers"] if p.get("startupProbe")]
    for pod, message, count in events.get("Startup", []):
        threshold = startup[0]["startupProbe"]["failureThreshold"]
        assert count < threshold, (pod, message, count)


def unmutated(stored, policy_text):
    """The stored pod as Spark sent it: every field the policy's rules can set removed (so that
    preview sets them all again), and what the apiserver added (status, metadata it owns, the
    priority it resolved from the class, the default grace period). A `set` key this does not
    know fails, rather than passing a policy it cannot judge."""
    pod = json.loads(json.dumps(stored))
    pod.pop("status", None)
    pod.update(apiVersion="v1", kind="Pod")  # a list's items carry neither
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        pod["metadata"].pop(key, None)
    pod["metadata"].get("annotations", {}).pop("sparkhook.io/applied", None)
    spec = pod["spec"]
    for key in ("nodeName", "priority", "preemptionPolicy"):
        spec.pop(key, None)
    rules = yaml.safe_load(policy_text)["spec"]["rules"]
    sets = [r.get("set", {}) for r in rules] + [v.get("set", {}) for r in rules
                                                for v in r.get("split", {}).get("variants", [])]
    for block in sets:
        for key, value in block.items():
            if key == "labels":
                for label in value:
                    pod["metadata"].get("labels", {}).pop(label, None)
            elif key == "nodeSelector":
                for label in value:
                    spec.get("nodeSelector", {}).pop(label, None)
                if spec.get("nodeSelector") == {}:
                    spec.pop("nodeSelector")
            elif key == "probes":
                for container in spec["containers"]:
                    for probe in value:
                        container.pop(probe + "Probe", None)
            elif key in ("priorityClassName", "terminationGracePeriodSeconds", "affinity", "tolerations",
                         "topologySpreadConstraints"):
                spec.pop(key, None)
            else:
                raise AssertionError(f"the tier cannot undo the policy's `set: {key}`: teach unmutated() it")
    # The apiserver's default tolerations (not-ready, unreachable) came back after sparkhook's:
    # tolerations the policy set are removed above, and Spark sets none.
    return pod


def test_2_what_ran_is_what_preview_says(pi, hooked, tmp_path):
    """For the driver and each executor as stored: `sparkhook preview` of the pod as Spark sent it
    (the stored pod less every field the policy can set) under the ConfigMap's policy; every field
    its patch sets is what the apiserver stored and the kubelet ran, and the applied annotation is
    the same."""
    policy = tmp_path / "policy"
    policy.mkdir()
    data = served_policy(pi.kube)
    for name, text in data.items():
        (policy / name).write_text(text)
    [policy_text] = data.values()
    for stored in [pi.pod()] + pi.pods("executor"):
        name = stored["metadata"]["name"]
        source = tmp_path / f"{name}.yaml"
        source.write_text(yaml.safe_dump(unmutated(stored, policy_text)))
        out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(policy), str(source)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        preview = json.loads(out.stdout)
        assert preview["patch"], name
        checked = []
        for op in preview["patch"]:
            if op["path"] == "/metadata/annotations" or op["path"].startswith("/metadata/annotations/"):
                continue
            assert op["op"] in ("add", "replace"), (name, op)
            assert contains(at(stored, op["path"]), op["value"]), (name, op, at(stored, op["path"]))
            checked.append(op["path"])
        assert stored["metadata"]["annotations"]["sparkhook.io/applied"] == \
            preview["pod"]["metadata"]["annotations"]["sparkhook.io/applied"], name
        # The class's priority, resolved by the apiserver, is what the scheduler used.
        klass = pi.kube.get(f"/apis/scheduling.k8s.io/v1/priorityclasses/{stored['spec']['priorityClassName']}")
        assert stored["spec"]["priority"] == klass["value"], (name, stored["spec"].get("priority"), klass["value"])
        print(f"{name}: {stored['metadata']['annotations']['sparkhook.io/applied']}: {len(checked)} fields as preview says")


def test_3_ui_disabled_with_executors_using_the_driver_service_succeeds(hooked, spark, namespace):
    """spark.ui.enabled=false, executors reaching the driver by its Service's name
    (useDriverPodIP=false): a readiness probe on the UI's port would keep the driver unready, so
    its headless Service without an address, and the executors could never connect."""
    calls = mutate_calls(hooked)
    app = Application(hooked.kube, spark, namespace, "pi-noui",
                      confs={"spark.ui.enabled": "false", "spark.kubernetes.executor.useDriverPodIP": "false"}).submit()
    global JOB_TIMEOUT
    saved, JOB_TIMEOUT = JOB_TIMEOUT, STUCK_TIMEOUT
    try:
        assert_finished(app, "UI disabled", calls, hooked)
        assert not {k: v for k, v in probe_events(app).items() if k != "Startup"}, probe_events(app)
    finally:
        JOB_TIMEOUT = saved
        app.delete()


def connect_server(name, image):
    """A Spark Connect server as one pod: start-connect-server.sh in the foreground, local[2]."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"spark-role": "connect-server", "spark-app-name": name,
                                                  "spark-app-selector": name}},
            "spec": {"restartPolicy": "Always", "terminationGracePeriodSeconds": 5,
                     "containers": [{"name": "spark-kubernetes-driver", "image": image, "imagePullPolicy": "IfNotPresent",
                                     "args": ["/opt/spark/sbin/start-connect-server.sh", "--master", "local[2]",
                                              "--conf", "spark.driver.memory=512m",
                                              "--conf", "spark.connect.grpc.binding.port=15002"],
                                     "env": [{"name": "SPARK_NO_DAEMONIZE", "value": "1"},
                                             {"name": "SPARK_LOG_DIR", "value": "/tmp"},
                                             {"name": "SPARK_PID_DIR", "value": "/tmp"}],
                                     "ports": [{"containerPort": 15002, "name": "connect"}],
                                     "resources": {"requests": {"cpu": "200m", "memory": "900Mi"}}}]}}


def test_4_connect_server_is_ready_and_stays_ready_under_the_policys_probes(hooked, spark, namespace):
    """A Spark Connect server (spark-role: connect-server) with the probes the policy gives it:
    Ready within the startup window, then Ready with no restart and no failed liveness or
    readiness probe for CONNECT_HOLD seconds (two liveness periods by default)."""
    kube = hooked.kube
    hold = int(os.environ.get("CONNECT_HOLD", "45"))
    name = "connect"
    pod = connect_server(name, VERSIONS["SPARK_IMAGE"])
    status, stored = kube.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod)
    assert status == 201, stored
    try:
        container = stored["spec"]["containers"][0]
        probes = {k: container.get(k) for k in ("startupProbe", "livenessProbe", "readinessProbe")}
        print(f"connect server's probes as stored: {json.dumps(probes)}")
        created = time.monotonic()

        def state():
            p = kube.get(f"/api/v1/namespaces/{namespace}/pods/{name}")
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
            restarts = sum(c.get("restartCount", 0) for c in p["status"].get("containerStatuses", []))
            return ready, restarts

        def events():
            items = kube.get(f"/api/v1/namespaces/{namespace}/events?fieldSelector=involvedObject.name%3D{name}")["items"]
            return [(e["reason"], e.get("count", 1), e.get("message", "")[:200]) for e in items
                    if e["reason"] in ("Unhealthy", "Killing", "BackOff")]

        deadline = created + int(os.environ.get("CONNECT_READY_TIMEOUT", "150"))
        while time.monotonic() < deadline and not state()[0]:
            time.sleep(0.5)
        ready, restarts = state()
        log = kube.kubectl("-n", namespace, "logs", name, "--tail=15", check=False).stdout
        assert ready, (f"the Connect server was not Ready {deadline - created:.0f} s after it was created "
                       f"(restarts {restarts}); events: {events()}\nlog:\n{log}")
        took = time.monotonic() - created
        end = time.monotonic() + hold
        while time.monotonic() < end:
            ready, restarts = state()
            assert ready and restarts == 0, f"the Connect server left Ready (restarts {restarts}); events: {events()}"
            time.sleep(1)
        failing = [e for e in events() if not e[2].startswith("Startup")]
        assert not failing, failing
        line = f"Connect server: Ready {took:.1f} s after create, stayed Ready {hold} s, 0 restarts; startup events {events()}"
        RESULTS.append(line)
        print(line)
    finally:
        kube.kubectl("-n", namespace, "delete", "pod", name, "--wait=false", check=False)


def cpu_millis(quantity):
    quantity = str(quantity)
    return int(quantity[:-1]) if quantity.endswith("m") else int(float(quantity) * 1000)


def free_cpu(kube, node):
    """The node's allocatable CPU less what its pods that still hold it request (millicores)."""
    allocatable = cpu_millis(kube.get(f"/api/v1/nodes/{node}")["status"]["allocatable"]["cpu"])
    pods = kube.get(f"/api/v1/pods?fieldSelector=spec.nodeName%3D{node}")["items"]
    used = sum(cpu_millis(c.get("resources", {}).get("requests", {}).get("cpu", "0"))
               for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed") for c in p["spec"]["containers"])
    return allocatable - used


def disruptions(deployed, role, reason):
    total = 0
    for pod in deployed.ready_pods():
        text = deployed.kube.metrics(pod["metadata"]["name"])
        total += sum(v for k, v in series(text, "sparkhook_pod_disruptions_total").items()
                     if f'role="{role}"' in k and f'reason="{reason}"' in k)
    return total


def test_5_a_later_driver_preempts_executors_never_a_driver_and_both_jobs_finish(hooked, spark, namespace, labelled_nodes):
    """A full node: application `long` (a driver and two executors that take what CPU is left) is
    running when application `late` is submitted, whose driver does not fit. The scheduler
    preempts executors of `long` (spark-executor is below spark-driver-critical), never its driver
    (the same class as the late driver's); `long` still finishes on the executor it keeps, then
    `late`; sparkhook's disruption webhook counts each victim as PreemptionByScheduler."""
    if len(labelled_nodes) != 1:
        pytest.skip(f"needs one schedulable node to fill ({len(labelled_nodes)} here)")
    kube = hooked.kube
    [node] = labelled_nodes
    # Pods of the earlier tests may still be terminating (executors get 120 s under the policy).
    wait(lambda: not [p for p in kube.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
                      if p["metadata"].get("deletionTimestamp") or p["status"].get("phase") in ("Pending", "Running")],
         180, "the earlier tests' pods to go")
    free = free_cpu(kube, node)
    driver, slack = 200, 100
    executor = (free - driver - slack) // 2
    assert executor >= 300, f"the node has {free}m CPU free: too little to fill with a driver and two executors"
    counted = disruptions(hooked, "executor", "PreemptionByScheduler")
    long = Application(kube, spark, namespace, "long", args=(os.environ.get("PREEMPT_PARTITIONS", "400"),),
                       confs={"spark.kubernetes.driver.request.cores": f"{driver}m",
                              "spark.kubernetes.executor.request.cores": f"{executor}m"}).submit()
    try:
        wait(lambda: len([k for k in long.seen if k.startswith("long-exec") and k.endswith("Running")]) == 2, 120,
             "both executors of `long` to run", interval=0.5)
        time.sleep(5)  # its tasks under way
        assert f"{long.driver} Succeeded" not in long.seen, "`long` finished before it could be preempted: raise PREEMPT_PARTITIONS"
        late = Application(kube, spark, namespace, "late",
                           confs={"spark.kubernetes.driver.request.cores": f"{slack + 300}m"})
        started = time.monotonic()
        late.submit()

        def preempted():
            items = kube.get(f"/api/v1/namespaces/{namespace}/events")["items"]
            return {e["involvedObject"]["name"] for e in items if e.get("reason") == "Preempted"}

        try:
            victims = wait(preempted, 90, "the late driver to preempt a pod", interval=0.5)
        except AssertionError as error:
            finished = long.seen.get(long.driver + " Succeeded")
            raise AssertionError(f"{error}; `long` " + (f"finished {finished:.0f} s after its submit" if finished else "still running")
                                 + f"\nlate driver: {late.diagnosis()}") from None
        took = time.monotonic() - started
        assert long.driver not in victims and all(v.startswith("long-exec") for v in victims), victims
        assert long.wait_driver_end(JOB_TIMEOUT) == "Succeeded", long.diagnosis()
        assert "Pi is roughly" in long.log()
        assert late.wait_driver_end(JOB_TIMEOUT) == "Succeeded", late.diagnosis()
        # Nothing else preempted meanwhile, and each victim counted once (on one replica or another).
        assert preempted() == victims
        wait(lambda: disruptions(hooked, "executor", "PreemptionByScheduler") - counted == len(victims), 30,
             f"sparkhook_pod_disruptions_total{{role=executor,reason=PreemptionByScheduler}} to count {len(victims)}")
        assert disruptions(hooked, "driver", "PreemptionByScheduler") == 0
        line = (f"preemption: {len(victims)} executor(s) of `long` preempted within {took:.1f} s of `late`'s spark-submit "
                f"({sorted(victims)}), both finished (long {long.seen[long.driver + ' Succeeded']:.0f} s, "
                f"late {late.seen[late.driver + ' Succeeded']:.0f} s after their submits), counted {len(victims)}")
        RESULTS.append(line)
        print(line)
    finally:
        long.delete()
        for name in ("late-driver", ):
            kube.kubectl("-n", namespace, "delete", "pod", name, "--wait=false", "--ignore-not-found", check=False)

