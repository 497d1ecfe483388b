"""Every scheduling scenario under Tests/e2e/scenarios/ through a real kube-apiserver, sparkhook and
a real kube-scheduler (scenario.py runs them; its docstring and the README say the format).
Skipped, saying why, without KUBEBUILDER_ASSETS holding kube-scheduler."""
import os
import pathlib

import pytest

import scenario
from apiserver import ASSETS_VARIABLE
from conftest import ROOT

SCENARIOS = sorted((ROOT / "Tests" / "e2e" / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def scheduled():
    assets = os.environ.get(ASSETS_VARIABLE)
    if not assets or not (pathlib.Path(assets) / "kube-scheduler").exists():
        pytest.skip(f"no kube-scheduler: set {ASSETS_VARIABLE} to a folder with etcd, kube-apiserver and kube-scheduler "
                    "(the server binaries of a Kubernetes release)")
    with scenario.cluster(assets) as server:
        yield server


def test_every_example_policy_has_a_placement_scenario():
    named = {scenario.load(path)["policy"] for path in SCENARIOS}
    assert set((ROOT / "examples").glob("*.yaml")) <= named


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(scheduled, certs, path):
    run = scenario.Run(scheduled, certs, scenario.load(path))
    run.execute()
    failed = [line for ok, line in run.results if not ok]
    assert not failed, "\n".join(failed + run.report)
