"""Rolling restarts of sparkhook replicas under load, through a real kube-apiserver.

The pieces a cluster has, stood in for on loopback:
- a Service with kube-proxy: `Balancer`, an L4 proxy that sends each new connection round-robin to
  the ready endpoints, removes an endpoint a moment after its replica gets SIGTERM (kube-proxy
  learns of it through the endpoints controller), adds one when the replica's /readyz answers, and
  leaves established connections where they are;
- a rolling restart as a node drain or a rollout with maxUnavailable 1 does it: a replica gets
  SIGTERM (or SIGKILL) and drains, and its replacement becomes ready once it is gone;
- Spark: clients creating executor pods without pause, with the webhook at `failurePolicy: Fail`,
  so that every failed call to sparkhook is a pod the apiserver refused.

`python3 Tests/e2e/rollout.py --help` runs it alone (what `make rollout` does); the test in
test_rollout.py runs one short cycle in `make test`."""
import argparse
import collections
import contextlib
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from apiserver import ASSETS_VARIABLE, HOW_TO_GET_THEM, Apiserver  # noqa: E402

EXECUTOR = json.loads((ROOT / "Tests" / "Fixtures" / "executor-operator.json").read_text())["request"]["object"]


class Balancer:
    """L4 round-robin over ready endpoints, like a ClusterIP Service with kube-proxy."""

    def __init__(self, removal_delay=1.0):
        self.removal_delay = removal_delay
        self.endpoints = []           # ports of ready replicas
        self.lock = threading.Lock()
        self.next = 0
        self.refused = 0              # connections that found no endpoint
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def add(self, port):
        with self.lock:
            if port not in self.endpoints:
                self.endpoints.append(port)

    def remove_later(self, port):
        def remove():
            time.sleep(self.removal_delay)
            with self.lock:
                if port in self.endpoints:
                    self.endpoints.remove(port)
        threading.Thread(target=remove, daemon=True).start()

    def _pick(self):
        with self.lock:
            if not self.endpoints:
                return None
            port = self.endpoints[self.next % len(self.endpoints)]
            self.next += 1
            return port

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        port = self._pick()
        upstream = None
        if port is not None:
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                upstream = None
        if upstream is None:
            self.refused += 1
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        done = threading.Event()

        def pump(src, dst, last):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        dst.shutdown(socket.SHUT_WR)  # a FIN goes on as a FIN: half-closes pass through
                        break
                    dst.sendall(data)
            except OSError:
                # A reset on one side resets the other, as a NATed connection would see it.
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        s.close()
            if last.is_set():
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.close()
            last.set()

        threading.Thread(target=pump, args=(upstream, client, done), daemon=True).start()
        pump(client, upstream, done)

    def close(self):
        self.closed = True
        self.listener.close()


class Replica:
    """One sparkhook process; `name` says which in the report (r1, r2, ... in start order)."""

    def __init__(self, binary, name, certs, policy, extra_args):
        self.name = name
        self.log = []
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(certs / "tls.crt"), "--tls-key", str(certs / "tls.key"),
             "--policy", str(policy), *extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                if self.port is None and '"listening"' in line:
                    self.port = int(json.loads(line)["addresses"].split(",")[0].rsplit(":", 1)[1])
                    ready.set()
        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30):
            self.proc.kill()
            raise RuntimeError(f"replica {name} did not start:\n" + "\n".join(self.log[-20:]))
        self.context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        self.last_metrics = {}

    def get(self, path):
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=self.context, timeout=5) as r:
            return r.status, r.read().decode()

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.get("/readyz")[0] == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"replica {self.name} never became ready")

    def metrics(self):
        """The counters of /metrics as {name{labels}: value}; the last good scrape once it has exited."""
        with contextlib.suppress(OSError):
            _, text = self.get("/metrics")
            self.last_metrics = {k: float(v) for k, v in re.findall(r"^(\S+) (\S+)$", text, re.M)}
        return self.last_metrics

    def mutations(self):
        return sum(v for k, v in self.metrics().items() if k.startswith('sparkhook_requests_total{endpoint="mutate"'))


class Load:
    """`clients` threads creating executor pods through the apiserver without pause."""

    def __init__(self, apiserver, namespace, clients):
        self.apiserver, self.namespace = apiserver, namespace
        self.creates = 0
        self.unapplied = 0
        self.failures = collections.Counter()
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]
        for t in self.threads:
            t.start()

    def _client(self, i):
        n = 0
        while self.running:
            n += 1
            pod = json.loads(json.dumps(EXECUTOR))
            pod["metadata"] = {**pod["metadata"], "name": f"exec-{i}-{n}-{time.monotonic_ns() % 10**9}", "namespace": self.namespace}
            pod["metadata"].pop("generateName", None)
            try:
                status, out, _ = self.apiserver.create_pod(self.namespace, pod)
            except Exception as error:  # the apiserver itself failed us: not the webhook's doing, but report it
                status, out = 0, {"message": f"client: {error}"}
            with self.lock:
                self.creates += 1
                if status != 201:
                    self.failures[short(out.get("message", str(out)) if isinstance(out, dict) else str(out))] += 1
                elif "sparkhook.io/applied" not in (out.get("metadata", {}).get("annotations") or {}):
                    self.unapplied += 1

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(60)


def short(message):
    """A failure message without what varies per pod, so that the same cause counts once."""
    message = re.sub(r'pods? "[^"]*"', 'pod "..."', message)
    message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", message)
    return message[:300]


class Rollout:
    def __init__(self, apiserver, binary, certs, policy, replicas=2, clients=8, shutdown_delay=5.0, removal_delay=1.0,
                 extra_args=(), log=print):
        self.apiserver, self.binary, self.certs, self.policy = apiserver, binary, pathlib.Path(certs), policy
        self.shutdown_delay, self.extra_args, self.log = shutdown_delay, list(extra_args), log
        self.balancer = Balancer(removal_delay)
        self.count = 0
        self.replicas = [self._start() for _ in range(replicas)]
        self.retired = []
        self.clients = clients

    def _start(self):
        self.count += 1
        replica = Replica(self.binary, f"r{self.count}", self.certs, self.policy,
                          [f"--shutdown-delay={self.shutdown_delay}", *self.extra_args])
        replica.wait_ready()
        self.balancer.add(replica.port)
        return replica

    def restart(self, index, kill=False):
        """A replica replaced in place, as a node drain, an eviction or a rollout with
        maxUnavailable 1 does it: the old one stops, and its replacement is ready only after it
        is gone, so that every connection made meanwhile lands on the other replicas (the case
        that leaves a freshly restarted replica without load)."""
        old = self.replicas[index]
        old.metrics()  # the last figures before it goes
        if kill:
            old.proc.kill()
        else:
            old.proc.send_signal(signal.SIGTERM)
        # A terminating pod's endpoint leaves a moment later; a killed one's when its readiness
        # probe fails, about as late.
        self.balancer.remove_later(old.port)
        deadline = time.monotonic() + self.shutdown_delay + 30
        while old.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if old.proc.poll() is None:
            old.proc.kill()
        self.retired.append(old)
        self.replicas[index] = self._start()

    def shares(self, seconds):
        """Each replica's share of /mutate calls over the next `seconds`."""
        before = [r.mutations() for r in self.replicas]
        time.sleep(seconds)
        calls = [r.mutations() - b for r, b in zip(self.replicas, before)]
        total = sum(calls) or 1
        return {r.name: c / total for r, c in zip(self.replicas, calls)}

    def closes(self):
        """Closed connections by reason, and requests that arrived after a close, over every
        replica run so far: a stopped replica's from its last log line, the others' from /metrics."""
        out = collections.Counter()
        for r in self.retired:
            for line in r.log:
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("msg") == "stopped":
                        for k, v in entry.items():
                            if k.startswith("closed."):
                                out[k[len("closed."):]] += int(v)
                        out["request after close"] += int(entry.get("requestsAfterClose", 0))
        for r in self.replicas:
            for k, v in r.metrics().items():
                m = re.match(r'sparkhook_connections_closed_total\{reason="([^"]+)"\}', k)
                if m:
                    out[m.group(1)] += int(v)
                elif k == "sparkhook_requests_after_close_total":
                    out["request after close"] += int(v)
        return dict(out)

    def warnings(self):
        """What the replicas logged at warning or above, by message."""
        out = collections.Counter()
        for r in self.retired + self.replicas:
            for line in r.log:
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("level") in ("warning", "error"):
                        out[f"{r.name}: {entry.get('msg')}"] += 1
        return dict(out)

    def stop(self):
        for r in self.replicas:
            r.proc.kill()
            r.proc.wait()
        self.balancer.close()


def deployment_flags():
    """The sparkhook container's `--flag=value` arguments in manifests/base/deployment.yaml, as
    {flag: value}: the harness runs replicas the way the manifests do."""
    for doc in yaml.safe_load_all((ROOT / "manifests" / "base" / "deployment.yaml").read_text()):
        if doc and doc.get("kind") == "Deployment":
            [container] = [c for c in doc["spec"]["template"]["spec"]["containers"] if c["name"] == "sparkhook"]
            return dict(a.split("=", 1) for a in container["args"] if a.startswith("--") and "=" in a)
    raise AssertionError("no Deployment in manifests/base/deployment.yaml")


def connection_flags():
    """The manifests' connection renewal flags (--max-connection-age, --max-connection-requests)."""
    return [f"{k}={v}" for k, v in deployment_flags().items() if k.startswith("--max-connection-")]


def run(apiserver, binary, certs, policy, replicas=2, cycles=1, kill=False, clients=8, settle=20.0, window=40.0,
        shutdown_delay=5.0, extra_args=None, log=print):
    """A rolling restart of every replica `cycles` times under load, then the settle time and a
    window in which each replica's share is measured. Returns the report as a dict. The replicas
    run with `extra_args`, by default the manifests' connection renewal flags."""
    extra_args = connection_flags() if extra_args is None else extra_args
    namespace = apiserver.namespace(f"rollout-{int(time.time() * 1000) % 10**8}")
    # The classes the policy names, as the manifests create them (priority admission needs them).
    for doc in yaml.safe_load_all((ROOT / "manifests" / "base" / "priorityclasses.yaml").read_text()):
        apiserver.create("/apis/scheduling.k8s.io/v1/priorityclasses", doc, expect=(201, 409))
    rollout = Rollout(apiserver, binary, certs, policy, replicas, clients, shutdown_delay, extra_args=extra_args, log=log)
    name = f"sparkhook-rollout-{namespace}"
    try:
        with apiserver.webhook(rollout.balancer.port, pathlib.Path(certs) / "ca.crt", failure_policy="Fail", name=name, timeout=10):
            probe = json.loads(json.dumps(EXECUTOR))
            probe["metadata"] = {**probe["metadata"], "name": "probe", "namespace": namespace}
            apiserver.wait_for_webhook(namespace, probe, lambda: sum(r.mutations() for r in rollout.replicas) > 0)
            load = Load(apiserver, namespace, clients)
            time.sleep(3)
            started = time.monotonic()
            for cycle in range(cycles):
                for i in range(replicas):
                    rollout.restart(i, kill=kill and i == 0)
                log(f"cycle {cycle + 1}/{cycles}: {load.creates} creates, {sum(load.failures.values())} failed")
            restarts = time.monotonic() - started
            creates_during = load.creates
            time.sleep(settle)
            shares = rollout.shares(window)
            load.stop()
            report = {
                "replicas": replicas, "cycles": cycles, "signal": "SIGKILL (first replica)" if kill else "SIGTERM",
                "restart_seconds": round(restarts, 1), "creates": load.creates, "creates_during_restarts": creates_during,
                "creates_per_second": round(creates_during / restarts, 1) if restarts else 0,
                "failed": sum(load.failures.values()), "failures": dict(load.failures), "stored_without_applied": load.unapplied,
                "share_after_settle": {k: round(v, 3) for k, v in shares.items()}, "settle_seconds": settle, "window_seconds": window,
                "replica_flags": [f"--shutdown-delay={shutdown_delay}", *extra_args], "closed_connections": rollout.closes(), "balancer_refused": rollout.balancer.refused,
                "replica_warnings": rollout.warnings(),
            }
            return report
    finally:
        rollout.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sparkhook", default=str(ROOT / ".build" / "debug" / "sparkhook"))
    parser.add_argument("--policy", default=str(ROOT / "examples" / "production.yaml"))
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("ROLLOUT_CYCLES", "10")))
    parser.add_argument("--replicas", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--settle", type=float, default=20.0)
    parser.add_argument("--window", type=float, default=40.0, help="seconds after the settle time over which the shares are measured")
    parser.add_argument("--shutdown-delay", type=float, default=float(deployment_flags()["--shutdown-delay"]))
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL runs")
    args = parser.parse_args()
    assets = os.environ.get(ASSETS_VARIABLE)
    if not assets:
        sys.exit(f"rollout: no real kube-apiserver: {HOW_TO_GET_THEM}")
    import tempfile
    certs = pathlib.Path(tempfile.mkdtemp(prefix="rollout-certs-"))
    subprocess.run([str(ROOT / "certs" / "generate.sh"), str(certs)], check=True, capture_output=True, env={**os.environ, "FORCE": "1"})
    apiserver = Apiserver(assets)
    reports = []
    try:
        for kill in ([False] if args.no_kill else [False, True]):
            for replicas in args.replicas:
                print(f"== {replicas} replicas, {args.cycles} cycles, {'SIGKILL' if kill else 'SIGTERM'}", flush=True)
                report = run(apiserver, args.sparkhook, certs, args.policy, replicas, args.cycles, kill, args.clients,
                             args.settle, args.window, shutdown_delay=args.shutdown_delay, log=lambda m: print("  " + m, flush=True))
                print(json.dumps(report, indent=2), flush=True)
                reports.append(report)
    finally:
        apiserver.stop()
    bad = [r for r in reports if r["signal"] == "SIGTERM" and (r["failed"] or r["stored_without_applied"]
                                                                  or min(r["share_after_settle"].values()) < 0.3)]
    print(f"{len(reports)} runs; {len(bad)} SIGTERM runs with failed creates or a replica below 30%")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
