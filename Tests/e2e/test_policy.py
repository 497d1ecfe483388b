"""`sparkhook preview` and `sparkhook check` on every fixture with every example policy: golden
patches, each patch applied by an independent RFC 6902 implementation (python jsonpatch), and
idempotence (a second pass over the mutated pod gives no patch)."""
import copy
import json
import os
import pathlib
import subprocess

import jsonpatch
import pytest
import yaml

from conftest import BIN, FIXTURES, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))
GOLDEN = pathlib.Path(__file__).parent / "golden"


def preview(policy, path=None, stdin=None):
    out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(policy), str(path or "-")],
                         input=stdin, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def as_review(pod, namespace="spark-jobs"):
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                                   "namespace": namespace, "operation": "CREATE", "object": pod}})


def test_there_are_fixtures_and_examples():
    assert len(FIXTURE_FILES) >= 8 and len(EXAMPLES) >= 4


@pytest.mark.parametrize("policy", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.stem)
def test_preview_golden_patch_applies_and_is_idempotent(policy, fixture):
    review = json.loads(fixture.read_text())
    pod = review["request"]["object"]
    result = preview(policy, fixture)

    golden = GOLDEN / policy.stem / fixture.name
    recorded = {"patch": result["patch"], "applied": result["applied"], "matchedUnchanged": result["matchedUnchanged"], "warnings": result["warnings"]}
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(recorded, indent=2) + "\n")
    assert recorded == json.loads(golden.read_text())

    patched = jsonpatch.JsonPatch(result["patch"]).apply(copy.deepcopy(pod))
    assert patched == result["pod"]
    for op in result["patch"]:
        if op["op"] in ("replace", "remove"):
            jsonpatch.JsonPointer(op["path"]).resolve(pod)  # raises when the path does not exist

    again = preview(policy, stdin=as_review(patched, review["request"].get("namespace")))
    assert again["patch"] == []
    if "priority" not in patched["spec"] and "priorityClassName" in patched["spec"]:
        # Reinvocation after the apiserver resolved the new class: still nothing to do.
        patched["spec"]["priority"] = 1000000
        patched["spec"]["preemptionPolicy"] = "PreemptLowerPriority"
        assert preview(policy, stdin=as_review(patched, review["request"].get("namespace")))["patch"] == []


def test_priority_class_change_removes_resolved_priority(tmp_path):
    result = preview(ROOT / "examples" / "priorities.yaml", FIXTURES / "apiserver-captured-globaldefault.json")
    ops = {(op["op"], op["path"]) for op in result["patch"]}
    assert ("replace", "/spec/priorityClassName") in ops
    assert ("remove", "/spec/priority") in ops and ("remove", "/spec/preemptionPolicy") in ops


def test_executor_split_places_the_first_two_on_demand_then_40_60():
    review = json.loads((FIXTURES / "executor-operator.json").read_text())
    variants = []
    for exec_id in range(1, 13):
        pod = copy.deepcopy(review["request"]["object"])
        pod["metadata"]["labels"]["spark-exec-id"] = str(exec_id)
        result = preview(ROOT / "examples" / "placement.yaml", stdin=as_review(pod))
        applied = {a["rule"]: a["variant"] for a in result["applied"]}
        variants.append(applied["executor-mix"])
        selector = result["pod"]["spec"]["nodeSelector"]["karpenter.sh/capacity-type"]
        assert selector == applied["executor-mix"]
    assert variants[:2] == ["on-demand", "on-demand"]
    assert variants[2:].count("spot") == 4 and variants[2:].count("on-demand") == 6


def test_preview_reads_a_bare_pod_in_yaml_from_stdin():
    pod = json.loads((FIXTURES / "driver-submit.json").read_text())["request"]["object"]
    result = preview(ROOT / "examples" / "production.yaml", stdin=yaml.safe_dump(pod))
    assert result["pod"]["spec"]["priorityClassName"] == "spark-driver-critical"
    assert any(a["rule"] == "driver-on-demand" for a in result["applied"])


def test_preview_of_a_non_spark_pod_changes_nothing_and_says_why():
    result = preview(ROOT / "examples" / "production.yaml", FIXTURES / "non-spark.json")
    assert result["patch"] == [] and result["applied"] == []
    assert "not a Spark pod" in result["warnings"][0]


def test_preview_rejects_what_is_not_a_pod(tmp_path):
    f = tmp_path / "cm.json"
    f.write_text('{"apiVersion": "v1", "kind": "ConfigMap"}')
    out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(ROOT / "examples/production.yaml"), str(f)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "expected an AdmissionReview or a Pod, got kind \"ConfigMap\"" in out.stderr


@pytest.mark.parametrize("policy", EXAMPLES, ids=lambda p: p.stem)
def test_check_accepts_every_example(policy):
    out = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(policy)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout


def test_check_reports_every_problem_with_file_line_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: bad}\nspec:\n  rules:\n"
                   "    - name: a\n      set: {priorityClassName: NotValid}\n"
                   "    - name: a\n      set: {nodeSelector: {zone: a}}\n")
    out = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        f"{bad}:7:32: priorityClassName \"NotValid\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)",
        f"{bad}:8:13: duplicate rule name \"a\"; first defined at {bad}:6:13",
    ]
