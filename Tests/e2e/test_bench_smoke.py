"""A smoke run of the decision micro-benchmark (`make bench` part 1) with a handful of iterations:
it must run on every fixture and print a number per row. Timing itself is not checked here."""
import re
import subprocess

from conftest import BIN, FIXTURES, ROOT


def test_decision_benchmark_runs_and_reports_every_fixture():
    out = subprocess.run([str(BIN / "sparkhook-bench"), "--iterations", "30", "--fixtures", str(FIXTURES),
                          "--policy", str(ROOT / "examples" / "production.yaml")],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rows = [line for line in out.splitlines() if ".json" in line]
    assert len(rows) == 2 * len(list(FIXTURES.glob("*.json")))  # the example policy, then 500 more rules
    for row in rows:
        median, p99, allocs, size = re.findall(r"([\d.]+)us\s+([\d.]+)us\s+(\d+)\s+(\d+)$", row)[0]
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
