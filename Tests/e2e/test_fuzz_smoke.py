"""`make fuzz` keeps building and finds nothing in a short run: each target runs a few seconds
from its seeds (the full run is `make fuzz`, FUZZ_SECONDS per target)."""
import os
import re
import subprocess

from conftest import ROOT


def test_every_fuzz_target_builds_and_runs_without_a_crash(tmp_path):
    out = subprocess.run([str(ROOT / "Fuzz" / "run.sh")], cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, FUZZ_SECONDS="3", FUZZ_WORK=str(tmp_path)))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("fuzz-")]
    assert [line.split(":")[0] for line in lines] == ["fuzz-http", "fuzz-admission", "fuzz-policy", "fuzz-preview"]
    for line in lines:
        runs = re.search(r": (\d+) runs in \d+ s, no crash", line)
        assert runs and int(runs.group(1)) > 100, line
