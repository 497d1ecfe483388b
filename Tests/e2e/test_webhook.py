"""`sparkhook serve` end to end: the real binary on loopback, driven over TLS with every fixture;
each answer checked and its patch applied with python jsonpatch; failure behaviour; policy
reload under load; SIGTERM under load."""
import base64
import copy
import json
import os
import signal
import socket
import subprocess
import threading
import time

import jsonpatch
import pytest

from conftest import BIN, FIXTURES, ROOT, Process, Session, client_context, is_closed, tls_connect

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def serve(certs, policy, *extra):
    return Process([str(BIN / "sparkhook"), "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(certs / "tls.crt"),
                    "--tls-key", str(certs / "tls.key"), "--policy", str(policy), "--watch-interval-ms", "300", *map(str, extra)])


@pytest.fixture
def webhook(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml")
    yield p
    assert p.stop() == 0


@pytest.fixture
def conn(webhook, certs):
    c = tls_connect(webhook.port, client_context(certs / "ca.crt"))
    yield c
    c.close()


def post(c, path, body, content_type="application/json"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return c.request("POST", path, body, {"Content-Type": content_type})


def decode_patch(review):
    response = review["response"]
    if "patch" not in response:
        return []
    assert response["patchType"] == "JSONPatch"
    return json.loads(base64.b64decode(response["patch"]))


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.stem)
def test_mutate_every_fixture(conn, fixture):
    review = json.loads(fixture.read_text())
    status, headers, body = post(conn, "/mutate?timeout=10s", fixture.read_bytes())
    assert status == 200 and headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["apiVersion"] == review["apiVersion"] and answer["kind"] == "AdmissionReview"
    assert answer["response"]["uid"] == review["request"]["uid"]
    assert answer["response"]["allowed"] is True
    patch = decode_patch(answer)
    pod = review["request"]["object"]
    patched = jsonpatch.JsonPatch(patch).apply(copy.deepcopy(pod))
    _, _, preview = post(conn, "/preview", fixture.read_bytes())
    assert patched == json.loads(preview)["pod"]
    labels = pod["metadata"].get("labels", {})
    if labels.get("spark-role") in ("driver", "executor", "connect-server"):
        assert patch, "a Spark pod under the production policy is always changed"
        assert patched["metadata"]["annotations"]["sparkhook.io/applied"] == answer["response"]["auditAnnotations"]["applied"]
    else:
        assert patch == [] and "patchType" not in answer["response"]
    # Reinvocation: the mutated pod comes back; the answer is an empty patch.
    again = copy.deepcopy(review)
    again["request"]["object"] = patched
    assert decode_patch(json.loads(post(conn, "/mutate", again)[2])) == []


def test_v1beta1_is_answered_in_v1beta1(conn):
    review = json.loads((FIXTURES / "driver-submit.json").read_text())
    review["apiVersion"] = "admission.k8s.io/v1beta1"
    answer = json.loads(post(conn, "/mutate", review)[2])
    assert answer["apiVersion"] == "admission.k8s.io/v1beta1" and answer["response"]["allowed"]


def test_dry_run_gets_the_same_answer(conn):
    review = json.loads((FIXTURES / "executor-submit.json").read_text())
    normal = json.loads(post(conn, "/mutate", review)[2])
    review["request"]["dryRun"] = True
    dry = json.loads(post(conn, "/mutate", review)[2])
    assert dry == normal


def test_non_pod_objects_pass_untouched(conn):
    review = json.loads((FIXTURES / "driver-submit.json").read_text())
    review["request"]["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    review["request"]["object"] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"spark-role": "driver"}}}
    answer = json.loads(post(conn, "/mutate", review)[2])
    assert answer["response"] == {"uid": review["request"]["uid"], "allowed": True}


def test_spark_pods_no_rule_matches_pass_unchanged(certs, tmp_path):
    policy = tmp_path / "elsewhere.yaml"
    policy.write_text("apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: elsewhere}\nspec:\n  rules:\n"
                      "    - {name: other-team, match: {namespaces: [team-*]}, set: {priorityClassName: x, nodeSelector: {a: b}}}\n")
    webhook = serve(certs, policy)
    c = tls_connect(webhook.port, client_context(certs / "ca.crt"))
    for name in ("driver-operator.json", "executor-submit.json"):
        review = json.loads((FIXTURES / name).read_text())
        status, _, body = post(c, "/mutate", review)
        assert status == 200
        # No patch, no applied annotation, no warning: the answer is a bare allow.
        assert json.loads(body)["response"] == {"uid": review["request"]["uid"], "allowed": True}
    metrics = c.request("GET", "/metrics")[2].decode()
    # Spark pods that were looked at and left as they were: "unchanged", not "skipped" (not Spark).
    assert 'sparkhook_requests_total{endpoint="mutate",outcome="unchanged"} 2' in metrics
    assert 'outcome="skipped"' not in metrics and "sparkhook_patches_total{" not in metrics
    c.close()
    assert webhook.stop() == 0


@pytest.mark.parametrize("body", ["not json", '{"kind": "Pod"}', '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', "[]"])
def test_a_body_that_is_not_an_admission_review_is_400(conn, body):
    status, headers, text = post(conn, "/mutate", body)
    assert status == 400 and text.startswith(b"not an AdmissionReview")
    assert conn.request("GET", "/healthz")[0] == 200  # the connection stays usable


def test_wrong_content_type_is_415(conn):
    status, _, text = post(conn, "/mutate", (FIXTURES / "driver-submit.json").read_bytes(), "text/plain")
    assert status == 415 and b"application/json" in text


def test_internal_error_admits_unchanged_with_warning_log_and_metric(webhook, conn):
    review = json.loads((FIXTURES / "executor-submit.json").read_text())
    review["request"]["object"]["spec"]["containers"] = "garbled"
    status, _, body = post(conn, "/mutate", review)
    assert status == 200
    response = json.loads(body)["response"]
    assert response["allowed"] is True and "patch" not in response
    assert response["warnings"] == ["sparkhook: internal error, pod admitted unchanged: pod spec.containers is missing or not a list of objects"]
    entry = webhook.wait_for_log(lambda e: e["level"] == "error" and e.get("uid") == review["request"]["uid"])
    assert "spec.containers" in entry["error"]
    metrics = conn.request("GET", "/metrics")[2].decode()
    assert 'sparkhook_requests_total{endpoint="mutate",outcome="internal_error"} 1' in metrics


def test_logs_are_json_lines_with_uid_and_no_pod_contents(certs):
    webhook = serve(certs, ROOT / "examples" / "production.yaml", "--log-level", "debug")
    conn = tls_connect(webhook.port, client_context(certs / "ca.crt"))
    review = json.loads((FIXTURES / "executor-operator.json").read_text())
    post(conn, "/mutate", review)
    entry = webhook.wait_for_log(lambda e: e.get("uid") == review["request"]["uid"])
    assert entry["level"] == "debug" and entry["msg"] == "admission" and "time" in entry
    assert entry["outcome"] == "mutated" and entry["rules"] == "executor-priority,executor-mix/on-demand,executor-zone-spread"
    # A warning is logged at the default level, with the uid.
    review["request"]["object"]["spec"]["priorityClassName"] = "team-class"
    del review["request"]["object"]["metadata"]["managedFields"]  # so the class counts as the creator's
    review["request"]["uid"] = "uid-with-warning"
    post(conn, "/mutate", review)
    warned = webhook.wait_for_log(lambda e: e.get("uid") == "uid-with-warning")
    assert warned["level"] == "warning" and "kept priorityClassName" in warned["warnings"]
    # What passes through is answered as at any level: the debug line does not read it (a read of
    # this ConfigMap's metadata, with its key twice, would be a 400 only at debug).
    configmap = ('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"cm","kind":'
                 '{"group":"","version":"v1","kind":"ConfigMap"},"operation":"CREATE","object":{"metadata":{"name":"c","name":"d"}}}}')
    status, _, body = post(conn, "/mutate", configmap)
    assert status == 200 and json.loads(body)["response"] == {"uid": "cm", "allowed": True}, body
    assert webhook.stop() == 0
    blob = json.dumps(webhook.logs())
    assert "SPARK_DRIVER_URL" not in blob and "spark.properties" not in blob


def test_preview_endpoint_takes_json_or_yaml(conn):
    import yaml
    pod = json.loads((FIXTURES / "driver-operator.json").read_text())["request"]["object"]
    status, _, body = post(conn, "/preview", yaml.safe_dump(pod), "application/yaml")
    assert status == 200
    result = json.loads(body)
    assert set(result) == {"patch", "applied", "matchedUnchanged", "pod", "warnings"}
    assert result["pod"]["spec"]["priorityClassName"] == "spark-driver-critical"
    status, _, body = post(conn, "/preview", '{"kind": "Secret"}')
    assert status == 400 and b"expected an AdmissionReview or a Pod" in body


def test_health_readiness_and_metrics(conn):
    assert conn.request("GET", "/healthz")[::2] == (200, b"ok\n")
    assert conn.request("GET", "/readyz")[::2] == (200, b"ready\n")
    post(conn, "/mutate", (FIXTURES / "executor-submit.json").read_bytes())
    status, headers, body = conn.request("GET", "/metrics")
    text = body.decode()
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    for needle in ['sparkhook_requests_total{endpoint="mutate",outcome="mutated"} 1',
                   'sparkhook_admission_duration_seconds_bucket{le="+Inf"} 1',
                   'sparkhook_patches_total{rule="executor-mix",variant="on-demand"} 1',
                   "sparkhook_policy_generation 1", "sparkhook_open_connections 1",
                   'sparkhook_tls_handshakes_total{type="full"}', "sparkhook_tls_handshake_failures_total 0"]:
        assert needle in text, needle
    assert conn.request("POST", "/healthz", "x")[0] == 405


def test_from_sigterm_on_readiness_is_false_and_every_answer_closes_its_connection(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml", "--shutdown-delay", "1.5")
    ctx = client_context(certs / "ca.crt")
    c = tls_connect(p.port, ctx)
    assert c.request("GET", "/readyz")[0] == 200
    p.signal(signal.SIGTERM)
    time.sleep(0.3)
    # The kept-alive connection's next request is answered, and the answer asks the client to
    # close: the one close of a kept-alive connection that races with no request.
    status, headers, body = c.request("GET", "/readyz")
    assert (status, body) == (503, b"not ready: draining or not yet serving\n")
    assert headers.get("connection") == "close", headers
    assert is_closed(c)
    # During --shutdown-delay the listener still takes what arrives before the endpoint is gone.
    c = tls_connect(p.port, ctx)
    status, headers, body = post(c, "/mutate", (FIXTURES / "executor-submit.json").read_bytes())
    assert json.loads(body)["response"]["allowed"] and headers.get("connection") == "close"
    c = tls_connect(p.port, ctx)
    assert c.request("GET", "/healthz")[0] == 200  # alive, just not ready
    assert p.proc.wait(15) == 0


def test_tls_handshake_failures_are_counted(webhook, certs):
    raw = socket.create_connection(("127.0.0.1", webhook.port))
    raw.sendall(b"GET / HTTP/1.1\r\n\r\n")  # plain HTTP on the TLS port
    try:
        raw.recv(100)
    except ConnectionResetError:
        pass
    raw.close()
    c = tls_connect(webhook.port, client_context(certs / "ca.crt"))
    deadline = time.time() + 5
    while time.time() < deadline:
        if "sparkhook_tls_handshake_failures_total 1" in c.request("GET", "/metrics")[2].decode():
            return
        time.sleep(0.1)
    raise AssertionError("handshake failure not counted")


def test_log_fields_are_escaped_once(webhook, conn):
    """A refusal's message has newlines; its log line, parsed as JSON, gives them back as newlines
    (not as a backslash and an n, which a field escaped before the logger escaped it again read)."""
    policy = "spec:\n  rules: [\n"
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "log-1", "kind": {"group": "", "version": "v1", "kind": "ConfigMap"}, "operation": "UPDATE",
        "namespace": "sparkhook-system", "object": {"metadata": {"name": "sparkhook-policy"}, "data": {"policy.yaml": policy}}}}
    status, _, body = post(conn, "/validate/policy", review)
    assert status == 200 and json.loads(body)["response"]["allowed"] is False, body
    entry = webhook.wait_for_log(lambda e: e.get("msg") == "policy validated" and e.get("uid") == "log-1")
    assert entry["message"].startswith("invalid sparkhook policy (1 problem):\npolicy.yaml:2:10: "), entry
    assert "\\n" not in entry["message"], entry


def test_every_endpoint_is_in_serve_help_and_the_readme():
    """The routes the server adds (read from its source) are the ones `serve --help` and the README's table name."""
    import re
    routes = re.findall(r'router\.add\("(GET|POST)", "(/[a-z/]+)"\)', (ROOT / "Sources/Webhook/WebhookHandler.swift").read_text())
    assert ("POST", "/validate/policy") in routes and ("POST", "/validate/disruptions") in routes and len(routes) >= 7, routes
    help_text = subprocess.run([str(BIN / "sparkhook"), "serve", "--help"], capture_output=True, text=True).stdout
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Endpoints and command line"):readme.index("## Limits on what anyone sends")]
    for method, path in routes:
        assert path in help_text, (path, help_text)
        assert f"| `{method} {path}` |" in table, (method, path)


def test_starting_with_an_invalid_policy_fails_fast(certs, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: b}\nspec:\n  rules:\n    - {name: x, set: {priorityClassName: Bad}}\n")
    out = subprocess.run([str(BIN / "sparkhook"), "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(certs / "tls.crt"),
                          "--tls-key", str(certs / "tls.key"), "--policy", str(bad)], capture_output=True, text=True, timeout=20)
    assert out.returncode == 1
    assert f"{bad}:6:42: priorityClassName \"Bad\" must be a lowercase DNS subdomain" in out.stderr


def configmap_dir(tmp_path):
    """A folder laid out as a mounted ConfigMap: policy.yaml -> ..data/policy.yaml, ..data -> ..vN."""
    d = tmp_path / "policy"
    d.mkdir()
    state = {"n": 0}

    def publish(text):
        state["n"] += 1
        version = d / f"..v{state['n']}"
        version.mkdir()
        (version / "policy.yaml").write_text(text)
        tmp = d / "..data_tmp"
        os.symlink(version.name, tmp)
        os.rename(tmp, d / "..data")
        if not (d / "policy.yaml").is_symlink():
            os.symlink("..data/policy.yaml", d / "policy.yaml")
    return d, publish


def policy_text(priority_class):
    return ("apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: live}\nspec:\n  rules:\n"
            f"    - name: executors\n      match: {{roles: [executor]}}\n      set: {{priorityClassName: {priority_class}}}\n")


def test_policy_reload_under_load_never_fails_a_request(certs, tmp_path):
    d, publish = configmap_dir(tmp_path)
    publish(policy_text("class-one"))
    p = serve(certs, d)
    body = (FIXTURES / "executor-submit.json").read_bytes()
    stop = threading.Event()
    seen, failures = [], []

    def hammer():
        c = Session(p.port, client_context(certs / "ca.crt"))
        while not stop.is_set():
            try:
                status, _, out = post(c, "/mutate", body)
                answer = json.loads(out)
                assert status == 200 and answer["response"]["allowed"]
                ops = decode_patch(answer)
                seen.append(next(op["value"] for op in ops if op["path"] == "/spec/priorityClassName"))
            except Exception as e:  # noqa: BLE001 - any failure is what this test counts
                failures.append(repr(e))
                return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        publish(policy_text("class-two"))
        p.wait_for_log(lambda e: e["msg"] == "policy reloaded" and e["generation"] == "2")
        time.sleep(0.3)
        publish(policy_text("NOT_VALID"))
        refused = p.wait_for_log(lambda e: e["msg"] == "policy refused; keeping the last good one")
        assert f"{d}/policy.yaml:8:32: priorityClassName \"NOT_VALID\"" in refused["errors"]
        time.sleep(0.3)
        count = len(seen)
        time.sleep(0.3)
        assert len(seen) > count and seen[-1] == "class-two"  # still serving the last good policy
        publish(policy_text("class-three"))
        p.wait_for_log(lambda e: e["msg"] == "policy reloaded" and e["generation"] == "3")
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert seen[0] == "class-one" and seen[-1] == "class-three" and "class-two" in seen and "NOT_VALID" not in seen
    c = tls_connect(p.port, client_context(certs / "ca.crt"))
    metrics = c.request("GET", "/metrics")[2].decode()
    reloads = [line for line in metrics.splitlines() if line.startswith(("sparkhook_policy_reloads_total", "sparkhook_policy_generation"))]
    logged = [(e["msg"], e.get("generation")) for e in p.logs() if e.get("msg", "").startswith("policy")]
    assert 'sparkhook_policy_reloads_total{result="success"} 2' in metrics, (reloads, logged)
    assert 'sparkhook_policy_reloads_total{result="failure"} 1' in metrics, (reloads, logged)
    assert "sparkhook_policy_generation 3" in metrics, (reloads, logged)
    assert p.stop() == 0


def test_sighup_reloads_the_policy(certs, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(policy_text("before"))
    p = serve(certs, f, "--watch-interval-ms", "600000")
    try:
        # Rewrite in place keeping size and mtime: only SIGHUP can tell.
        stat = f.stat()
        f.write_text(policy_text("after1"))
        os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        p.signal(signal.SIGHUP)
        p.wait_for_log(lambda e: e["msg"] == "policy reloaded")
        c = tls_connect(p.port, client_context(certs / "ca.crt"))
        ops = decode_patch(json.loads(post(c, "/mutate", (FIXTURES / "executor-submit.json").read_bytes())[2]))
        assert {"op": "add", "path": "/spec/priorityClassName", "value": "after1"} in ops
    finally:
        assert p.stop() == 0


def test_sighup_with_the_same_files_says_the_policy_is_unchanged(certs, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(policy_text("same"))
    p = serve(certs, f, "--watch-interval-ms", "600000")
    try:
        p.signal(signal.SIGHUP)
        entry = p.wait_for_log(lambda e: e["msg"] == "policy unchanged")
        assert entry["generation"] == "1"
        assert not [e for e in p.logs() if e.get("msg") == "policy reloaded"]
    finally:
        assert p.stop() == 0


def test_sigterm_under_load_fails_no_request(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml", "--shutdown-grace", "10")
    body = (FIXTURES / "executor-operator.json").read_bytes()
    answered, failures, refused = [], [], []
    started = threading.Barrier(9)

    def client():
        started.wait()
        c = tls_connect(p.port, client_context(certs / "ca.crt"))
        while True:
            try:
                status, headers, out = post(c, "/mutate", body)
            except Exception as e:  # noqa: BLE001
                failures.append(repr(e))
                return
            if status != 200 or not json.loads(out)["response"]["allowed"]:
                failures.append(status)
                return
            answered.append(1)
            if headers.get("connection") == "close":
                try:
                    c = tls_connect(p.port, client_context(certs / "ca.crt"), timeout=2)
                except OSError:
                    refused.append(1)  # the listener is closed: the apiserver would see a refused dial, not a failed request
                    return

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.5)
    before = len(answered)
    p.signal(signal.SIGTERM)
    for t in threads:
        t.join(20)
    assert p.proc.wait(15) == 0
    assert failures == []
    assert before > 0 and len(answered) > before and len(refused) == 8
