"""A real kube-scheduler against the test apiserver, and a stand-in for the one kubelet duty the
scheduler waits on: finishing the deletion of the pods it preempted. No kubelet runs, so a bound
victim would stay Terminating forever and its preemptor Pending; the stand-in deletes every pod
that carries a deletionTimestamp with gracePeriodSeconds 0, and remembers what it finished."""
import subprocess
import threading
import time
import urllib.parse

SCHEDULER = "kube-scheduler"
TERMINAL = {"Succeeded", "Failed"}


class Scheduler:
    def __init__(self, apiserver):
        self.apiserver = apiserver
        kubeconfig = apiserver.kubeconfig()
        # Not in apiserver.procs: the scheduler stops first, and on its own.
        self.log = open(apiserver.dir / f"{SCHEDULER}.log", "w")
        self.proc = subprocess.Popen([str(apiserver.assets / SCHEDULER), f"--kubeconfig={kubeconfig}",
                                      f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
                                      "--leader-elect=false", "--secure-port=0"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Kubelet:
    """Finishes the deletion of terminating pods. `finished` lists each one as it was last seen:
    (namespace, name, labels, nodeName, its DisruptionTarget condition or None)."""

    def __init__(self, apiserver, interval=0.2):
        self.apiserver = apiserver
        self.interval = interval
        self.finished = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self._sweep()
            except Exception:  # the apiserver restarting or stopping; the next sweep retries
                pass
            self._stop.wait(self.interval)

    def _sweep(self):
        status, pods = self.apiserver.request("GET", "/api/v1/pods")
        if status != 200:
            return
        for pod in pods["items"]:
            meta = pod["metadata"]
            if not meta.get("deletionTimestamp"):
                continue
            condition = next((c for c in pod.get("status", {}).get("conditions", []) if c["type"] == "DisruptionTarget"), None)
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{urllib.parse.quote(meta['name'])}"
            status, _ = self.apiserver.request("DELETE", path, {"gracePeriodSeconds": 0})
            if status in (200, 202):
                self.finished.append((meta["namespace"], meta["name"], meta.get("labels", {}),
                                      pod["spec"].get("nodeName"), condition))

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def node(name, labels, cpu, memory, taints=(), unschedulable=False, pods=110):
    """A Node as a kubelet would register it, status included (nothing heartbeats it; nothing needs to)."""
    resources = {"cpu": str(cpu), "memory": str(memory), "pods": str(pods)}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **labels}},
        "spec": {"taints": list(taints), "unschedulable": unschedulable},
        "status": {"capacity": resources, "allocatable": resources,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "lastHeartbeatTime": now, "lastTransitionTime": now}]},
    }
