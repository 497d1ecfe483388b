"""`make test` on a machine whose python3 has no packages: the Makefile makes .build/venv from
Tests/e2e/requirements.txt on first use, reuses it, rebuilds it when the file changes, and every
Python step runs in it. Checked with `make -n` on a copy of the Makefile (nothing is installed)."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(folder, *targets):
    return subprocess.run(["make", "--no-print-directory", "-n", "SWIFT=true", *targets], cwd=folder, capture_output=True, text=True,
                          check=True, timeout=30).stdout.splitlines()


def test_python_steps_run_in_a_venv_the_makefile_keeps_up_to_date(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "Tests" / "e2e").mkdir(parents=True)
    requirements = tmp_path / "Tests" / "e2e" / "requirements.txt"
    shutil.copy(ROOT / "Tests" / "e2e" / "requirements.txt", requirements)

    first = planned(tmp_path, "test-e2e", "bench-apiserver")
    assert "python3 -m venv --clear .build/venv" in first, first
    assert ".build/venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt" in first
    python_steps = [line for line in first if "python" in line and "-m venv" not in line]
    assert any("-m pytest" in line for line in python_steps) and any("bench/apiserver.py" in line for line in python_steps)
    assert all(".build/venv/bin/python" in line for line in python_steps), python_steps

    stamp = tmp_path / ".build" / "venv" / ".installed"
    stamp.parent.mkdir(parents=True)
    stamp.touch()
    reused = planned(tmp_path, "test-e2e")
    assert not any("venv --clear" in line or "pip install" in line for line in reused), reused

    later = time.time() + 5
    os.utime(requirements, (later, later))
    assert "python3 -m venv --clear .build/venv" in planned(tmp_path, "test-e2e")
