"""Smoke runs of `make bench`: the decision micro-benchmark (part 1) with a handful of iterations, and
the load and churn harness (parts 2 and 3) for a second per step against the real server. They must run
and print a figure in every row; timing itself is not checked here."""
import os
import re
import shutil
import socket
import subprocess

import pytest

from conftest import BIN, FIXTURES, ROOT


def test_decision_benchmark_runs_and_reports_every_fixture():
    out = subprocess.run([str(BIN / "sparkhook-bench"), "--iterations", "30", "--fixtures", str(FIXTURES),
                          "--policy", str(ROOT / "examples" / "production.yaml")],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rows = [line for line in out.splitlines() if ".json" in line]
    assert len(rows) == 2 * len(list(FIXTURES.glob("*.json")))  # the example policy, then 500 more rules
    for row in rows:
        figures = re.search(r"([\d.]+)us\s+([\d.]+)us\s+(\d+)\s+(\d+)$", row)
        assert figures, row
        median, p99, allocs, size = figures.groups()
        assert float(median) > 0 and float(p99) >= float(median) and int(allocs) > 0 and int(size) > 0


def test_decision_benchmark_explains_its_flags():
    usage = subprocess.run([str(BIN / "sparkhook-bench"), "--help"], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0 and "--iterations N" in usage.stdout
    bad = subprocess.run([str(BIN / "sparkhook-bench"), "--iteration", "5"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "unknown flag --iteration" in bad.stderr and "usage:" in bad.stderr


def test_decision_benchmark_reports_a_missing_file_without_crashing():
    missing = subprocess.run([str(BIN / "sparkhook-bench"), "--iterations", "5", "--policy", "/nonexistent/policy.yaml"],
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "cannot read policy" in missing.stderr and "Fatal error" not in missing.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(tool, package):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian package {package}; .ci/run installs it)")


def test_load_benchmark_drives_the_real_server_and_reports_every_row():
    require("wrk", "wrk")
    require("curl", "curl")
    env = dict(os.environ, SMOKE="1", SPARKHOOK=str(BIN / "sparkhook"), PORT=str(free_port()))
    run = subprocess.run(["bash", str(ROOT / "bench" / "load.sh")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)us\s+(\d+)us\s+([\d.]+)\s+(\d+)\s+(\d+)$", out, re.M)
    assert [int(r[0]) for r in rows] == [1, 16], out
    for conns, rps, p50, p99, cpu, errors, non2xx in rows:
        assert int(rps) > 0 and int(p99) >= int(p50) > 0 and float(cpu) > 0, out
        assert errors == "0" and non2xx == "0", out  # every answer a 200 AdmissionReview
    assert re.search(r"^peak RSS: [\d.]+ MB$", out, re.M), out
    for mode in ("full", "resumed"):
        assert int(re.search(rf"^{mode}\s+(\d+) handshakes/s$", out, re.M).group(1)) > 0, out
    counted = dict(re.findall(r'type="(\w+)"\} (\d+)', out))
    assert int(counted["full"]) > 0 and int(counted["resumed"]) > 0, out  # the server saw both kinds
    assert "server exited 0" in out, out


def test_instruction_count_benchmark_reports_a_decision_and_the_cost_of_500_rules(tmp_path):
    require("valgrind", "valgrind")
    # One fixture and two iterations keep this to seconds under valgrind with the debug build.
    fixture = next(p for p in sorted(FIXTURES.glob("*.json")) if "executor" in p.name)
    (tmp_path / fixture.name).write_bytes(fixture.read_bytes())
    env = dict(os.environ, ITERATIONS="2", BENCH=str(BIN / "sparkhook-bench"), FIXTURES=str(tmp_path),
               POLICY=str(ROOT / "examples" / "production.yaml"))
    run = subprocess.run(["bash", str(ROOT / "bench" / "instructions.sh")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    rows = re.findall(r"^(\S+\.json)\s+(the policy|500 more rules, none matching)\s+(\d+)(?:\s+(-?\d+))?$", run.stdout, re.M)
    assert [(r[0], r[1]) for r in rows] == [(fixture.name, "the policy"), (fixture.name, "500 more rules, none matching")], run.stdout
    policy, large = rows
    assert int(policy[2]) > 10_000, run.stdout  # a decision is no free lunch
    # 500 rules that match nothing still cost something, and the added column is the difference.
    assert int(large[3]) > 0 and int(large[2]) == int(policy[2]) + int(large[3]), run.stdout


def test_instruction_count_benchmark_says_when_it_has_no_fixtures(tmp_path):
    env = dict(os.environ, FIXTURES=str(tmp_path), BENCH=str(BIN / "sparkhook-bench"))
    run = subprocess.run(["bash", str(ROOT / "bench" / "instructions.sh")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and f"no AdmissionReviews (*.json) in {tmp_path}" in run.stderr, run.stderr


def test_soak_harness_reports_a_clean_short_run():
    """`make soak` from a fresh clone: a few seconds with the debug build, every rotation kind seen."""
    out = subprocess.run([str(ROOT / "bench" / "soak.sh")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, SOAK_SECONDS="7", ROTATE_SECONDS="2", POLICY_SECONDS="1", CONNS="4",
                                  PORT="18643", SPARKHOOK=str(BIN / "sparkhook")))
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "failed requests 0 " in text and "server alive: yes" in text, text
    reloads = re.search(r"policy reloads (\d+), refused (\d+); certificate reloads (\d+)", text)
    assert reloads and int(reloads.group(1)) >= 1 and int(reloads.group(2)) >= 2 and int(reloads.group(3)) >= 2, text


def test_apiserver_benchmark_runs_a_short_round():
    """`make bench-apiserver` from a fresh clone: one small round of each setup with the debug build."""
    import pytest
    if not os.environ.get("KUBEBUILDER_ASSETS"):
        pytest.skip("no real kube-apiserver: set KUBEBUILDER_ASSETS to a folder with kube-apiserver and etcd")
    out = subprocess.run(["python3", str(ROOT / "bench" / "apiserver.py")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PODS="10", ROUNDS="1", WARMUP="2", CONCURRENCY="1 4", STATUS_UPDATES="30",
                                  SPARKHOOK=str(BIN / "sparkhook")))
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["none"], ["sparkhook"], ["cel"])]
    assert [(r[0], r[1]) for r in rows] == [(m, c) for c in ("1", "4") for m in ("none", "sparkhook", "cel")]
    for r in rows:
        assert float(r[2]) > 0 and float(r[3]) > 0, r
    # The status-update part: the shipped matchConditions keep every update from sparkhook, without them each is sent.
    status = {line.split()[0]: line.split() for line in out.stdout.splitlines()
              if line.split()[:1] in (["unhooked"], ["filtered"], ["unfiltered"])}
    assert sorted(status) == ["filtered", "unfiltered", "unhooked"], out.stdout
    calls = {mode: float(row[6]) for mode, row in status.items()}
    assert calls["unhooked"] == 0 and calls["filtered"] == 0 and calls["unfiltered"] >= 0.9, out.stdout
