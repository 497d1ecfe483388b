"""`sparkhook preview --spark-application`, the real binary on SparkApplications written the way
spark-operator's examples are: spark-pi, one whose pod template renames Spark's container and adds
a sidecar, and one with dynamic allocation."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BIN, ROOT

APPS = ROOT / "examples" / "applications"
GOLDEN = pathlib.Path(__file__).parent / "golden" / "applications"
POLICY = ROOT / "examples" / "production.yaml"


def preview(app, *extra):
    return subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(POLICY), "--spark-application", str(app), *extra],
                          capture_output=True, text=True)


def test_spark_pi_as_a_table_for_a_person():
    out = preview(APPS / "spark-pi.yaml")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "SparkApplication spark-pi"
    assert "driver spark-pi-driver" in lines
    assert "  driver-priority: /spec/priorityClassName, /metadata/labels/sparkhook.io~1protected" in lines
    assert "executors 1-10 (the first shown)" in lines
    assert "  executor-mix: 1-2 on-demand (base), then 5 on-demand / 3 spot" in lines


@pytest.mark.parametrize("app", sorted(APPS.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("form", ["table", "json"])
def test_golden_preview_of_each_example_application(app, form):
    """The whole output, read and checked by hand when recorded (UPDATE_GOLDEN=1 rewrites it)."""
    out = preview(app, "-o", form)
    assert out.returncode == 0, out.stderr
    golden = GOLDEN / f"{app.stem}.{'txt' if form == 'table' else 'json'}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out.stdout)
    assert out.stdout == golden.read_text()
    assert preview(app, "-o", form).stdout == out.stdout, "the same output every run"


def test_each_role_shows_the_values_set_the_applications_own_kept_and_where_they_met():
    table = preview(APPS / "pod-template.yaml").stdout.splitlines()
    assert "    /spec/priorityClassName: spark-driver-critical (driver-priority)" in table
    assert "    /spec/nodeSelector/karpenter.sh~1capacity-type: on-demand (driver-on-demand)" in table
    assert "  3 executors (1-3; the first: 1) with executor-priority,executor-mix/on-demand,executor-zone-spread ends with:" in table
    assert "  1 executor (4) with executor-priority,executor-mix/spot,executor-zone-spread ends with:" in table
    # The executors' nodeSelector from the SparkApplication, kept beside the variant's key.
    assert table.count("    /spec/nodeSelector/team: etl (the application's, kept)") == 3  # the driver and both groups

    result = json.loads(preview(APPS / "pod-template.yaml", "-o", "json").stdout)
    spot = next(g for g in result["executors"]["pods"] if "spot" in g["applied"])
    assert spot["count"] == 1 and spot["first"] == 4
    assert {"field": "/spec/tolerations/0", "rule": "executor-mix/spot",
            "value": {"key": "karpenter.sh/capacity-type", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}} in spot["set"]
    assert spot["kept"] == [{"field": "/spec/nodeSelector/team", "value": "etl"}]

    elastic = json.loads(preview(APPS / "dynamic-allocation.yaml", "-o", "json").stdout)["driver"]
    assert {"field": "/spec/priorityClassName", "value": "team-critical"} in elastic["kept"]
    assert not any(s["field"] == "/spec/priorityClassName" for s in elastic["set"])
    assert elastic["warnings"] == ['rule driver-priority: kept priorityClassName "team-critical" set by the pod\'s creator (override: false)']


def test_json_for_scripts_counts_each_variant_and_follows_executors():
    out = preview(APPS / "spark-pi.yaml", "-o", "json", "--executors", "100")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["executors"]["count"] == 100
    (split,) = result["executors"]["split"]
    assert split["rule"] == "executor-mix" and split["counts"] == {"on-demand": 61, "spot": 39}
    assert split["sequence"][:2] == ["on-demand", "on-demand"] and len(split["sequence"]) == 100
    assert [a["rule"] for a in result["driver"]["applied"]] == ["driver-priority", "driver-on-demand", "driver-probes"]


def test_a_pod_templates_sidecar_never_gets_the_probes():
    result = json.loads(preview(APPS / "pod-template.yaml", "-o", "json").stdout)
    probes = next(a for a in result["driver"]["applied"] if a["rule"] == "driver-probes")
    # The template's sidecar is first; Spark's renamed container follows it.
    assert probes["fields"] == ["/spec/containers/1/livenessProbe"]
    assert result["executors"]["count"] == 4


def test_dynamic_allocation_previews_up_to_max_executors_and_keeps_the_apps_own_class():
    result = json.loads(preview(APPS / "dynamic-allocation.yaml", "-o", "json").stdout)
    assert result["executors"]["count"] == 100
    assert result["driver"]["warnings"] == ['rule driver-priority: kept priorityClassName "team-critical" set by the pod\'s creator (override: false)']


def test_an_application_without_a_count_gets_sparks_default_of_two_executors(tmp_path):
    app = tmp_path / "app.yaml"
    app.write_text("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: x}\nspec: {type: Scala, mode: cluster}\n")
    out = preview(app, "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["executors"]["count"] == 2  # spark.executor.instances defaults to 2
    assert "executors 1-2 (the first shown)" in preview(app).stdout.splitlines()
    app.write_text(app.read_text().replace("mode: cluster}", "mode: cluster, sparkConf: {spark.executor.instances: '5'}}"))
    assert json.loads(preview(app, "-o", "json").stdout)["executors"]["count"] == 5


def test_the_table_says_which_executor_ids_land_on_which_variant():
    table = preview(APPS / "spark-pi.yaml").stdout.splitlines()
    at = table.index("  executor-mix: 1-2 on-demand (base), then 5 on-demand / 3 spot")
    assert table[at + 1:at + 3] == ["    on-demand: executors 1-3, 5, 7-8, 10", "    spot: executors 4, 6, 9"], table
    assert "  7 executors (1-3, 5, 7-8, 10; the first: 1) with executor-priority,executor-mix/on-demand,executor-zone-spread ends with:" in table
    result = json.loads(preview(APPS / "spark-pi.yaml", "-o", "json").stdout)
    assert result["executors"]["split"][0]["ids"] == {"on-demand": "1-3, 5, 7-8, 10", "spot": "4, 6, 9"}
    assert [g["ids"] for g in result["executors"]["pods"]] == ["1-3, 5, 7-8, 10", "4, 6, 9"]
    # 100 executors alternate: the table shows the first ranges and counts the rest; JSON has them all.
    many = preview(APPS / "dynamic-allocation.yaml").stdout
    assert "    spot: executors 4, 6, 9, 11, 14, 16, 19, 21, ... (31 more ranges)" in many, many
    spot = json.loads(preview(APPS / "dynamic-allocation.yaml", "-o", "json").stdout)["executors"]["split"][0]["ids"]["spot"]
    assert len(spot.split(", ")) == 39


def test_a_spark_application_previewed_as_a_pod_names_the_flag():
    app = APPS / "spark-pi.yaml"
    out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(POLICY), str(app)], capture_output=True, text=True)
    assert out.returncode == 1 and out.stdout == "", out
    assert out.stderr == f"{app} is a SparkApplication, not a Pod or an AdmissionReview: preview the pods it makes with --spark-application {app}\n", out.stderr
    piped = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(POLICY), "-"], input=app.read_text(), capture_output=True, text=True)
    assert piped.returncode == 1 and "<stdin> is a SparkApplication" in piped.stderr and "--spark-application -" in piped.stderr, piped


def test_what_is_not_a_spark_application_is_refused():
    out = preview(ROOT / "examples" / "tests" / "pods" / "driver.yaml")
    assert out.returncode == 1 and "expected a SparkApplication" in out.stderr
    both = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(POLICY), "x.json", "--spark-application", "y.yaml"],
                          capture_output=True, text=True)
    assert both.returncode != 0 and "either a FILE or --spark-application" in both.stderr


@pytest.mark.parametrize("asks", ["gpu: {name: nvidia.com/gpu, quantity: 1}",
                                  "sparkConf: {spark.executor.resource.gpu.amount: '1', spark.executor.resource.gpu.vendor: nvidia.com}"])
def test_executors_asking_for_a_gpu_are_previewed_on_gpu_nodes(tmp_path, asks):
    """The operator's `gpu` and Spark's resource amount both end up in the container's limits,
    where match.resources looks: the GPU rule of examples/placement.yaml takes the executors only."""
    app = tmp_path / "app.yaml"
    executor = "executor: {instances: 3, " + asks + "}" if asks.startswith("gpu") else "executor: {instances: 3}, " + asks
    app.write_text("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: train}\n"
                   "spec: {type: Scala, mode: cluster, " + executor + "}\n")
    run = lambda a: subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(ROOT / "examples" / "placement.yaml"),
                                    "--spark-application", str(a), "-o", "json"], capture_output=True, text=True)
    out = run(app)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [a["rule"] for a in result["executors"]["applied"]] == ["executor-mix", "gpu-executors"]
    assert [a["rule"] for a in result["driver"]["applied"]] == ["driver-on-demand"]
    assert {p["applied"] for p in result["executors"]["pods"]} == {"executor-mix/on-demand,gpu-executors"}
    plain = tmp_path / "plain.yaml"
    plain.write_text("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: train}\n"
                     "spec: {type: Scala, mode: cluster, executor: {instances: 3}}\n")
    assert [a["rule"] for a in json.loads(run(plain).stdout)["executors"]["applied"]] == ["executor-mix"]


def test_executors_of_sparks_deployment_allocator_are_previewed_on_the_fallback_with_a_warning(tmp_path):
    """Spark 4.2's deployment allocator labels every executor EXECID: the preview builds them so,
    puts every one on the split's fallback variant (the base, on-demand) and says why."""
    app = tmp_path / "app.yaml"
    app.write_text("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: etl}\n"
                   "spec: {type: Scala, mode: cluster, sparkVersion: 4.2.0, executor: {instances: 10},"
                   " sparkConf: {spark.kubernetes.allocation.pods.allocator: deployment}}\n")
    out = preview(app, "-o", "json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    [split] = result["executors"]["split"]
    assert (split["rule"], split["counts"]) == ("executor-mix", {"on-demand": 10})
    assert any("Spark's deployment allocator gives an executor its id only when it starts" in w for w in result["executors"]["warnings"])
    table = preview(app).stdout
    assert "  executor-mix: 1-2 on-demand (base), then 8 on-demand" in table.splitlines()
    assert "warning: rule executor-mix: spark-exec-id is \"EXECID\", owned by a ReplicaSet" in table
