"""Disruptions of Spark pods as a real kube-apiserver and kube-scheduler deliver them to
/validate/disruptions, registered with manifests/base/disruptionwebhook.yaml as shipped: a
preemption counts each victim once as an executor, an Eviction counts once, a running pod's
status updates never reach sparkhook, and a stopped sparkhook slows nothing. Skipped, saying
why, without KUBEBUILDER_ASSETS holding kube-scheduler."""
import re
import time

import pytest

import scenario
from conftest import ROOT, metrics_text
from test_scenarios import scheduled  # noqa: F401  (the module's cluster)
from test_webhook import serve

PREEMPTION = ROOT / "Tests" / "e2e" / "scenarios" / "production-preemption-driver.yaml"
STATUS_HOOK = "disruption-targets.sparkhook.io"


def disruptions(hook, certs):
    """{(role, reason): count} from sparkhook's /metrics."""
    return {(m[0], m[1]): int(m[2]) for m in
            re.findall(r'^sparkhook_pod_disruptions_total\{role="([^"]+)",reason="([^"]+)"\} (\d+)$', metrics_text(hook, certs), re.M)}


def test_preempted_executors_are_counted_once_each_and_drivers_never(scheduled, certs):  # noqa: F811
    seen = {}

    def inspect(run, hook):
        with_victims = [v for v in scheduled.kubelet.finished[run.finished_before:] if v[4]]
        seen["victims"] = [(v[2]["spark-role"], v[4]["reason"]) for v in with_victims]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sum(disruptions(hook, certs).values()) < len(with_victims):
            time.sleep(0.2)
        seen["counted"] = disruptions(hook, certs)
        seen["logs"] = [e for e in hook.logs() if e.get("msg") == "disruption"]

    run = scenario.Run(scheduled, certs, scenario.load(PREEMPTION), inspect=inspect, disruptions=True)
    run.execute()
    assert all(ok for ok, _ in run.results), run.results
    assert seen["victims"] == [("executor", "PreemptionByScheduler")] * 2, seen
    assert seen["counted"] == {("executor", "PreemptionByScheduler"): 2}, seen["counted"]
    assert len(seen["logs"]) == 2
    line = seen["logs"][0]
    assert (line["role"], line["reason"], line["namespace"], line["app"]) == ("executor", "PreemptionByScheduler", "spark-jobs", "first")
    assert line["pod"].startswith("first-exec-") and line["node"].startswith("on-demand-")


def running_pod(server, namespace, name, role="driver"):
    """A Spark pod, bound by the scheduler to a node of its own."""
    server.namespace(namespace)
    node = scenario.node(f"{namespace}-node", {}, 4, "16Gi")
    server.create("/api/v1/nodes", node, expect=(201, 409))
    pod = scenario.shaped(role, name, "evicted", {}, 1 if role == "executor" else None)
    server.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    path = f"/api/v1/namespaces/{namespace}/pods/{name}"
    deadline = time.monotonic() + 20
    while not server.request("GET", path)[1]["spec"].get("nodeName"):
        assert time.monotonic() < deadline, "the scheduler never bound the pod"
        time.sleep(0.2)
    return path


def status_update(server, path, i):
    """One status update, returned once the apiserver's watch cache holds it. The apiserver patches
    the cached pod and, when the cache lags behind etcd, retries on the conflict, calling admission
    again: back-to-back updates on a loaded machine made 21 webhook calls of 20 updates. A kubelet's
    updates of one pod are seconds apart; waiting for the cache keeps one call per update."""
    status, out = server.request("PATCH", path + "/status", {"status": {"conditions": [
        {"type": "Ready", "status": "True" if i % 2 else "False"}]}}, content_type="application/strategic-merge-patch+json")
    assert status == 200, out
    # A get at a resourceVersion is served by the watch cache once it is at least that new.
    status, out = server.request("GET", f"{path}?resourceVersion={out['metadata']['resourceVersion']}")
    assert status == 200, out


def test_an_eviction_is_counted_once_as_such(scheduled, certs):  # noqa: F811
    hook = serve(certs, ROOT / "examples" / "production.yaml")
    try:
        with scenario.disruption_webhook(scheduled, hook.port, certs / "ca.crt"):
            path = running_pod(scheduled, "evictions", "evicted-driver")
            status, out = scheduled.request("POST", path + "/eviction", {
                "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "evicted-driver", "namespace": "evictions"}})
            assert status == 201, out
            deadline = time.monotonic() + 10
            while scheduled.request("GET", path)[0] != 404 and time.monotonic() < deadline:
                time.sleep(0.2)  # the kubelet stand-in's DELETE follows the eviction's: not counted again
            time.sleep(1)
            counted = disruptions(hook, certs)
            assert counted == {("driver", "EvictionByEvictionAPI"): 1}, (counted, hook.log_lines[-5:])
    finally:
        assert hook.stop() == 0


# How the other senders write the condition (1.36): the taint manager and pod GC with a
# server-side apply of pods/status (ApplyStatus, forced), the kubelet (node pressure, shutdown)
# with a strategic-merge patch of pods/status. Both are UPDATEs of pods/status to admission.
@pytest.mark.parametrize("reason, content_type", [
    ("DeletionByTaintManager", "application/apply-patch+yaml"),
    ("DeletionByPodGC", "application/apply-patch+yaml"),
    ("TerminationByKubelet", "application/strategic-merge-patch+json"),
])
def test_the_taint_manager_pod_gc_and_kubelet_writes_are_counted(scheduled, certs, reason, content_type):  # noqa: F811
    hook = serve(certs, ROOT / "examples" / "production.yaml")
    try:
        with scenario.disruption_webhook(scheduled, hook.port, certs / "ca.crt"):
            path = running_pod(scheduled, f"senders-{reason.lower()}", "executor-1", role="executor")
            condition = {"type": "DisruptionTarget", "status": "True", "reason": reason, "message": f"{reason}: test"}
            if content_type == "application/apply-patch+yaml":
                body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "executor-1"}, "status": {"conditions": [condition]}}
                status, out = scheduled.request("PATCH", path + "/status?fieldManager=taint-eviction-controller&force=true", body, content_type)
            else:
                status, out = scheduled.request("PATCH", path + "/status", {"status": {"conditions": [condition]}}, content_type)
            assert status == 200, out
            status_update(scheduled, path, 1)  # a later update of the disrupted pod: not counted again
            assert disruptions(hook, certs) == {("executor", reason): 1}
            scheduled.request("DELETE", path, {"gracePeriodSeconds": 0})
    finally:
        assert hook.stop() == 0


def settled_calls(apiserver, hook, quiet=1.0, timeout=15):
    """The webhook's call count once it has not moved for `quiet` seconds."""
    last, since, deadline = apiserver.webhook_calls(hook), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = apiserver.webhook_calls(hook)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


@pytest.mark.parametrize("match_conditions, expected", [(True, 0), (False, 20)])
def test_status_updates_of_a_running_pod_reach_sparkhook_only_without_match_conditions(scheduled, certs, match_conditions, expected):  # noqa: F811
    hook = serve(certs, ROOT / "examples" / "production.yaml")
    try:
        namespace = f"updates-{str(match_conditions).lower()}"
        # The apiserver counts calls per webhook, not per pod: hooked to this namespace alone, no
        # other test's pod is counted. The scheduler's own status update of the new pod can reach
        # the webhook after the pod is bound: count from when the calls have settled.
        with scenario.disruption_webhook(scheduled, hook.port, certs / "ca.crt", match_conditions=match_conditions,
                                         only_namespace=namespace):
            path = running_pod(scheduled, namespace, "busy-driver")
            before = settled_calls(scheduled, STATUS_HOOK)
            for i in range(20):
                status_update(scheduled, path, i)
            assert scheduled.webhook_calls(STATUS_HOOK) - before == expected
            assert disruptions(hook, certs) == {}
            scheduled.request("DELETE", path, {"gracePeriodSeconds": 0})
    finally:
        assert hook.stop() == 0


def test_a_stopped_sparkhook_slows_and_fails_nothing(scheduled, certs):  # noqa: F811
    def timed(namespace):
        path = running_pod(scheduled, namespace, "driver")
        start = time.monotonic()
        for i in range(20):
            status_update(scheduled, path, i)
        updates = time.monotonic() - start
        # The condition an eviction handler or the scheduler adds: the one update the webhook is asked about.
        status, out = scheduled.request("PATCH", path + "/status", {"status": {"conditions": [
            {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]}},
            content_type="application/strategic-merge-patch+json")
        assert status == 200, out
        assert scheduled.request("DELETE", path, {"gracePeriodSeconds": 0})[0] == 200
        return updates, time.monotonic() - start - updates

    baseline = timed("fail-open-baseline")
    hook = serve(certs, ROOT / "examples" / "production.yaml")
    with scenario.disruption_webhook(scheduled, hook.port, certs / "ca.crt"):
        assert hook.stop() == 0
        before = scheduled.webhook_calls(STATUS_HOOK)
        stopped = timed("fail-open-stopped")
        assert scheduled.webhook_calls(STATUS_HOOK) - before == 1  # asked, refused, ignored
    print(f"20 status updates: {baseline[0]:.3f} s unhooked, {stopped[0]:.3f} s with sparkhook stopped; "
          f"a DisruptionTarget and a delete: {baseline[1]:.3f} s, {stopped[1]:.3f} s")
    # Ordinary updates are never sent; the one that is may wait out the apiserver's retry of a
    # refused connection (seen: about 1 s), never the failure of the update.
    assert stopped[0] < baseline[0] + 0.5
    assert stopped[1] < baseline[1] + 2.5
