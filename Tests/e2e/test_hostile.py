"""Hostile input against the real server: each case was found by fuzzing or a hostile client and
crashed, stalled or bloated the server before it was fixed. Every test checks that the answer is a
clear error, that it comes quickly, and that the server is still there and serving afterwards."""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from conftest import BIN, FIXTURES, ROOT, Session, client_context, tls_connect
from test_webhook import decode_patch, post, serve

DEEP = 20_000
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def webhook(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml")
    yield p
    assert p.stop() == 0, "\n".join(p.log_lines[-20:])


@pytest.fixture
def conn(webhook, certs):
    c = tls_connect(webhook.port, client_context(certs / "ca.crt"), timeout=20)
    yield c
    c.close()


def still_serving(conn):
    status, _, body = post(conn, "/mutate", (FIXTURES / "executor-operator.json").read_bytes())
    assert status == 200 and decode_patch(json.loads(body)), "the server must still mutate after the hostile request"


def timed(conn, path, body, content_type):
    start = time.monotonic()
    status, _, text = post(conn, path, body, content_type)
    return status, text.decode(errors="replace"), time.monotonic() - start


def test_json_nesting_bomb_to_preview_is_400_not_a_crash(webhook, conn):
    # Any body not starting with `{` went to the YAML parser, whose recursion overran the stack.
    status, text, seconds = timed(conn, "/preview", "[" * 12_000, "application/json")
    assert status == 400 and "nesting deeper than 256" in text and seconds < 2
    still_serving(conn)


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_yaml_nesting_bomb_to_preview_is_400_not_a_crash(webhook, conn, shape):
    body = "x: " + "[" * DEEP if shape == "flow" else "".join(" " * i + "a:\n" for i in range(300))
    status, text, seconds = timed(conn, "/preview", body, "application/yaml")
    assert status == 400 and "nesting deeper than 64 levels" in text and seconds < 2, text
    still_serving(conn)


def test_billion_laughs_is_refused_quickly_without_growing_the_server(webhook, conn):
    assert len(BILLION_LAUGHS) < 600
    before = rss_kib(webhook.proc.pid)
    status, text, seconds = timed(conn, "/preview", BILLION_LAUGHS, "application/yaml")
    assert status == 400 and "more than 100000 nodes" in text and seconds < 2, text
    assert rss_kib(webhook.proc.pid) - before < 50_000
    still_serving(conn)


def test_aliases_within_the_limits_still_expand(webhook, conn):
    pod = json.loads((FIXTURES / "driver-operator.json").read_text())["request"]["object"]
    text = "metadata: &m " + json.dumps(pod["metadata"]) + "\nkind: Pod\napiVersion: v1\nspec: " + json.dumps(pod["spec"]) + \
        "\nstatus: {copy: *m}\n"
    status, _, body = post(conn, "/preview", text, "application/yaml")
    assert status == 200, body
    assert json.loads(body)["pod"]["status"]["copy"]["name"] == pod["metadata"]["name"]


def test_a_mapping_of_many_keys_is_answered_in_linear_time(webhook, conn, certs):
    # 100,000 keys took 63 s of one event loop: the conversion looked every key up in a list.
    keys = 12_000  # as many as fit in the preview's 256 KiB
    body = "kind: Pod\napiVersion: v1\nmetadata:\n  labels:\n" + "".join(f"    k{i}: v\n" for i in range(keys))
    assert len(body) < 256 * 1024
    status, text, seconds = timed(conn, "/preview", body, "application/yaml")
    assert status == 200 and seconds < 2, (status, text[:200], seconds)
    status, text, _ = timed(conn, "/preview", body * 2, "application/yaml")
    assert status == 413 and "at most 262144 bytes" in text


def test_unknown_alias_is_400_with_a_short_log_line_and_no_leak(webhook, conn):
    name = "n" * (250 << 10)  # as long as the preview takes
    body = f"kind: *{name}\n"
    before = None
    for i in range(40):
        status, text, _ = timed(conn, "/preview", body, "application/yaml")
        assert status == 400 and "unknown alias" in text and len(text) < 600
        if i == 2:
            before = rss_kib(webhook.proc.pid)  # after the allocator has its arenas
    assert rss_kib(webhook.proc.pid) - before < 8_000, "each request leaked its libyaml event (over 0.5 MB here)"
    lines = [line for line in webhook.log_lines if "unknown alias" in line]
    assert lines and max(map(len, lines)) < 2_000


def test_content_type_decides_how_a_preview_is_read(webhook, conn):
    pod_yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {spark-role: driver}}\nspec: {containers: [{name: c}]}\n"
    status, text, _ = timed(conn, "/preview", pod_yaml, "application/json")
    assert status == 400 and "invalid JSON" in text
    assert timed(conn, "/preview", pod_yaml, "application/yaml")[0] == 200
    assert timed(conn, "/preview", pod_yaml, "text/plain")[0] == 415
    review = (FIXTURES / "driver-operator.json").read_text()
    assert timed(conn, "/preview", review, "application/json")[0] == 200
    assert timed(conn, "/preview", review, "application/yaml")[0] == 200  # JSON is YAML too


def test_a_repeated_key_in_the_pod_is_400_with_a_reason(webhook, conn):
    review = (FIXTURES / "driver-operator.json").read_text()
    assert review.count('"serviceAccountName": "spark-operator-spark"') == 1
    twice = review.replace('"serviceAccountName": "spark-operator-spark"',
                           '"serviceAccountName": "spark-operator-spark", "serviceAccountName": true')
    status, text, _ = timed(conn, "/mutate", twice, "application/json")
    assert status == 400 and "duplicate key" in text, text
    again = review.replace('"uid": "', '"uid": "x", "uid": "', 1)
    status, text, _ = timed(conn, "/mutate", again, "application/json")
    assert status == 400 and "duplicate key" in text, text
    status, text, _ = timed(conn, "/preview", twice, "application/json")
    assert status == 400 and "duplicate key" in text, text
    still_serving(conn)


def test_a_deeply_nested_policy_in_the_watched_folder_is_refused_and_the_old_one_kept(certs, tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "production.yaml", folder / "policy.yaml")
    p = serve(certs, folder)
    try:
        (folder / "policy.yaml").write_text("spec: " + "[" * DEEP + "\n")
        entry = p.wait_for_log(lambda e: e.get("msg") == "policy refused; keeping the last good one")
        assert "nesting deeper than 64 levels" in entry["errors"] and len(json.dumps(entry)) < 2_000
        assert p.proc.poll() is None
        (folder / "policy.yaml").write_text(BILLION_LAUGHS)
        p.wait_for_log(lambda e: "more than 100000 nodes" in e.get("errors", ""))
        (folder / "policy.yaml").write_text("".join(f"k{i}: v\n" for i in range(30_000)))
        entry = p.wait_for_log(lambda e: "unknown field \"k0\"" in e.get("errors", ""))
        assert len(entry["errors"]) < 1_100 and entry["errors"].endswith("bytes)")  # cut, with its length
        check = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(folder)], capture_output=True, text=True)
        lines = check.stderr.splitlines()
        assert check.returncode == 1 and len(lines) == 51 and lines[-1].endswith(": and 29954 more problems"), lines[-3:]
        c = tls_connect(p.port, client_context(certs / "ca.crt"))
        still_serving(c)
        c.close()
    finally:
        assert p.stop() == 0


def test_preview_under_attack_does_not_slow_mutate(webhook, certs):
    """While /preview is fed the worst inputs on other connections, /mutate keeps its p99 low."""
    stop = threading.Event()
    hostile = ["[" * 12_000, "x: " + "[" * DEEP, BILLION_LAUGHS, "kind: *" + "n" * 100_000,
               "kind: Pod\nmetadata:\n  labels:\n" + "".join(f"    k{i}: v\n" for i in range(12_000))]

    def attack():
        c = Session(webhook.port, client_context(certs / "ca.crt"), timeout=30)
        i = 0
        while not stop.is_set():
            post(c, "/preview", hostile[i % len(hostile)], "application/yaml" if i % len(hostile) else "application/json")
            i += 1
        c.close()

    attackers = [threading.Thread(target=attack) for _ in range(2)]
    for t in attackers:
        t.start()
    try:
        c = Session(webhook.port, client_context(certs / "ca.crt"))
        body = (FIXTURES / "executor-operator.json").read_bytes()
        times = []
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            start = time.monotonic()
            status, _, _ = post(c, "/mutate", body)
            times.append(time.monotonic() - start)
            assert status == 200
        c.close()
    finally:
        stop.set()
        for t in attackers:
            t.join()
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    assert len(times) > 50 and p99 < 0.010 * (4 if os.environ.get("SPARKHOOK_SLOW_CI") else 1), (len(times), p99)


def test_requests_pipelined_behind_a_preview_are_answered_in_order(webhook, conn):
    """A preview runs on the worker; the connection's next requests wait for its answer."""
    from conftest import read_response
    review = (FIXTURES / "executor-operator.json").read_bytes()
    pod = b"kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"

    def req(path, body, ctype):
        return (f"POST {path} HTTP/1.1\r\nHost: a\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    conn.send(req("/preview", pod, "application/yaml") + req("/mutate", review, "application/json")
              + req("/preview", b"[" * 5000, "application/json") + b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    answers = [read_response(conn) for _ in range(4)]
    assert [a[0] for a in answers] == [200, 200, 400, 200]
    assert json.loads(answers[0][2])["pod"]["metadata"]["name"] == "p"
    assert json.loads(answers[1][2])["kind"] == "AdmissionReview"
    assert answers[3][2].strip() == b"ok"
