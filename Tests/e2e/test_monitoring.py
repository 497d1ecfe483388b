"""manifests/monitoring: the alerts pass Prometheus' own promtool, and every sparkhook metric a
rule or a dashboard panel names is one a running server exports (the apiserver's are checked
against a real apiserver in test_apiserver.py)."""
import json
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import FIXTURES, ROOT, client_context, tls_connect
from test_webhook import post, serve

MONITORING = ROOT / "manifests" / "monitoring"
# Not ours, and not the apiserver's: kube-state-metrics' deployment status.
KUBE_STATE_METRICS = {"kube_deployment_status_replicas_ready"}


def rule_groups():
    return yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())["spec"]["groups"]


def expressions():
    exprs = [rule["expr"] for group in rule_groups() for rule in group["rules"]]
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    return exprs


def metric_names(expr):
    functions = {"sum", "rate", "increase", "max", "min", "histogram_quantile", "time", "by", "le", "without"}
    return {m for m in re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?=[{\[(]|\)|\s|$)", expr)
            if m not in functions and (m.startswith("sparkhook_") or m.startswith("apiserver_") or m.startswith("kube_"))}


def test_the_alert_rules_pass_promtool(tmp_path):
    if shutil.which("promtool") is None:
        pytest.skip("promtool is not installed (Debian package prometheus; .ci/run installs it)")
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": rule_groups()}))
    out = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 10 rules found" in out.stdout


def preempted_executor():
    """The pods/status update the scheduler sends when it preempts an executor."""
    old = json.loads((FIXTURES / "executor-submit.json").read_text())["request"]["object"]
    new = json.loads(json.dumps(old))
    new.setdefault("status", {})["conditions"] = [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "operation": "UPDATE", "subResource": "status", "object": new, "oldObject": old}}


def test_every_metric_named_is_one_the_server_exports(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml")
    try:
        c = tls_connect(p.port, client_context(certs / "ca.crt"))
        for name in ("driver-operator.json", "executor-operator.json"):
            assert post(c, "/mutate", (FIXTURES / name).read_bytes())[0] == 200
        assert post(c, "/validate/disruptions", json.dumps(preempted_executor()).encode())[0] == 200
        _, _, body = c.request("GET", "/metrics")
        c.close()
    finally:
        assert p.stop() == 0
    # Every admission endpoint is counted by outcome, /validate/disruptions included.
    assert 'sparkhook_requests_total{endpoint="validate_disruptions",outcome="allowed"} 1' in body.decode()
    exported = {line.split("{")[0].split(" ")[0] for line in body.decode().splitlines() if line and not line.startswith("#")}
    named = set().union(*map(metric_names, expressions()))
    assert {"sparkhook_requests_total", "sparkhook_pods_total", "sparkhook_tls_certificate_expiry_timestamp_seconds",
            "sparkhook_pod_disruptions_total"} <= named
    ours = {n for n in named if n.startswith("sparkhook_")}
    assert ours <= exported, f"named but not exported: {sorted(ours - exported)}"
    others = named - ours
    assert others <= KUBE_STATE_METRICS | {"apiserver_admission_webhook_rejection_count", "apiserver_admission_webhook_fail_open_count"}, others


def test_every_close_reason_is_in_the_metric_the_stopped_log_and_the_readme(certs):
    """One list of close reasons (CloseReason): the metric's series and HELP, the `stopped` log
    line that rollout.py reads, and the README's Metrics table all name every one of them."""
    p = serve(certs, ROOT / "examples" / "production.yaml")
    c = tls_connect(p.port, client_context(certs / "ca.crt"))
    text = c.request("GET", "/metrics")[2].decode()
    c.close()
    reasons = re.findall(r'^sparkhook_connections_closed_total\{reason="([a-z-]+)"\}', text, re.M)
    assert {"idle", "max-age", "max-requests", "drain", "peer", "error"} <= set(reasons), reasons
    [help_line] = [line for line in text.splitlines() if line.startswith("# HELP sparkhook_connections_closed_total")]
    readme = (ROOT / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `sparkhook_connections_closed_total{reason}`")]
    for reason in reasons:
        assert f" {reason} (" in help_line, (reason, help_line)
        assert f"`{reason}`" in row, (reason, row)
    assert p.stop() == 0
    [stopped] = [e for e in p.logs() if e.get("msg") == "stopped"]
    assert {f"closed.{reason}" for reason in reasons} <= set(stopped), stopped
