"""`sparkhook test`, the real binary: the example suite passes, a case that fails says what
differed (exit 1), a broken file is reported at file:line:column (exit 2), and --junit writes XML."""
import subprocess
import xml.etree.ElementTree as ET

from conftest import BIN, ROOT


def sparkhook_test(*args):
    return subprocess.run([str(BIN / "sparkhook"), "test", *map(str, args)], capture_output=True, text=True)


def suite(tmp_path, cases, policy=ROOT / "examples" / "production.yaml"):
    (tmp_path / "pods").mkdir(exist_ok=True)
    (tmp_path / "pods" / "driver.yaml").write_text((ROOT / "examples" / "tests" / "pods" / "driver.yaml").read_text())
    path = tmp_path / "case-test.yaml"
    path.write_text(f"apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicyTest\nmetadata: {{name: t}}\npolicy: {policy}\ncases:\n{cases}")
    return path


def test_the_example_suite_passes_with_a_line_per_case_and_junit(tmp_path):
    out = sparkhook_test(ROOT / "examples" / "tests", "--junit", tmp_path / "junit.xml")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed" and len(lines) > 15
    assert all(line.startswith("ok   examples/") or line.startswith(f"ok   {ROOT}") for line in lines[:-1]), lines
    tested = {p.name for p in (ROOT / "examples").glob("*.yaml")}
    covered = {line.split(":")[0].split("/")[-1].replace("-test.yaml", ".yaml") for line in lines[:-1]}
    assert tested <= covered, f"every example policy has a suite: {tested - covered} missing"
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.get("tests") == str(len(lines) - 1) and root.get("failures") == "0"
    assert len(root.findall(".//testcase")) == len(lines) - 1


def test_a_failing_case_says_what_differed_and_exits_1(tmp_path):
    path = suite(tmp_path, """  - name: wrong class
    pod: pods/driver.yaml
    expect:
      applied: [driver-priority]
      fields: {/spec/priorityClassName: spark-executor}
      absent: [/spec/nodeSelector]
  - name: right class
    pod: pods/driver.yaml
    expect:
      fields: {/spec/priorityClassName: spark-driver-critical}
""")
    out = sparkhook_test(path, "--junit", tmp_path / "junit.xml")
    assert out.returncode == 1, out.stdout + out.stderr
    fail, ok, summary = out.stdout.splitlines()
    assert fail.startswith(f"FAIL {path}: wrong class: applied [\"driver-priority\", \"driver-on-demand\", \"driver-probes\"], expected [\"driver-priority\"]")
    assert '/spec/priorityClassName is "spark-driver-critical", expected "spark-executor"' in fail
    assert "/spec/nodeSelector is present, expected absent" in fail
    assert ok == f"ok   {path}: right class" and summary == "1 passed, 1 failed"
    failure = ET.parse(tmp_path / "junit.xml").getroot().find(".//testcase[@name='wrong class']/failure")
    assert failure is not None and "spark-executor" in failure.get("message")


def test_executor_counts_that_differ_fail(tmp_path):
    path = suite(tmp_path, """  - name: split
    executors: {pod: pods/driver.yaml, count: 10}
    expect:
      variants: {executor-mix: {on-demand: 10}}
""")
    (tmp_path / "pods" / "driver.yaml").write_text((ROOT / "examples" / "tests" / "pods" / "executor.yaml").read_text())
    out = sparkhook_test(path)
    assert out.returncode == 1
    assert "executor-mix placed {on-demand: 7, spot: 3}, expected {on-demand: 10}" in out.stdout


def test_a_broken_file_is_reported_at_its_line_and_exits_2(tmp_path):
    path = suite(tmp_path, """  - name: typo
    pod: pods/missing.yaml
    expct: {}
  - name: typo
    pod: pods/driver.yaml
    expect: {fields: {not-a-pointer: x}}
""")
    out = sparkhook_test(path)
    assert out.returncode == 2, out.stdout + out.stderr
    errors = out.stderr
    assert f"{path}:7:10: pod pods/missing.yaml: No such file or directory" in errors
    assert f"{path}:6:5: case \"typo\" has no expect: it would test nothing" in errors
    assert f"{path}:8:5: unknown field \"expct\" in case" in errors
    assert f"{path}:9:5: duplicate case name \"typo\"" in errors
    assert f"{path}:11:23: \"not-a-pointer\" is not a JSON pointer" in errors
    out = sparkhook_test(tmp_path / "nowhere")
    assert out.returncode == 2 and "no such file or folder" in out.stderr


def test_a_suite_is_read_by_the_policys_rules(tmp_path):
    """The suite reader is the policy's reader: a field twice is an error (it was: the last one
    won), a tag must fit the field (`!!int` on a string was read as the string), and a file of
    many problems says the first 50 and how many more (there was no cap)."""
    path = suite(tmp_path, """  - name: twice
    pod: pods/driver.yaml
    pod: pods/missing.yaml
    expect: {applied: []}
  - name: !!int 7
    pod: pods/driver.yaml
    expect: {applied: []}
""")
    out = sparkhook_test(path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"{path}:8:5: duplicate field \"pod\" in case" in out.stderr
    assert "missing.yaml" not in out.stderr  # the first pod is kept, the repeated one never read
    assert f"{path}:10:11: cases[1].name must be a string, not tagged tag:yaml.org,2002:int" in out.stderr, out.stderr

    many = "".join(f"    typo{i}: x\n" for i in range(60))
    path = suite(tmp_path, f"  - name: many\n    pod: pods/driver.yaml\n    expect: {{applied: []}}\n{many}")
    out = sparkhook_test(path)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith(str(path))]
    assert len(lines) == 51, out.stderr
    assert lines[-1].endswith("and 10 more problems"), lines[-1]


def test_applied_names_what_changed_and_matched_unchanged_the_rest(tmp_path):
    """A driver its creator pinned to on-demand: driver-on-demand matched and changed nothing. And
    executors pinned so: the split still places each one (variants counts every executor)."""
    import yaml
    (tmp_path / "pods").mkdir()
    for role in ("driver", "executor"):
        pod = yaml.safe_load((ROOT / "examples" / "tests" / "pods" / f"{role}.yaml").read_text())
        del pod["metadata"]["managedFields"]  # then every value present is the creator's
        pod["spec"]["nodeSelector"] = {"karpenter.sh/capacity-type": "on-demand"}
        (tmp_path / "pods" / f"pinned-{role}.yaml").write_text(yaml.safe_dump(pod))
    path = suite(tmp_path, """  - name: pinned driver
    pod: pods/pinned-driver.yaml
    expect:
      applied: [driver-priority, driver-probes]
      matchedUnchanged: [driver-on-demand]
      fields: {/metadata/annotations/sparkhook.io~1matched-unchanged: driver-on-demand}
  - name: pinned executors
    executors: {pod: pods/pinned-executor.yaml, count: 100}
    expect:
      variants: {executor-mix: {on-demand: 61, spot: 39}}
  - name: wrong expectation
    pod: pods/pinned-driver.yaml
    expect:
      matchedUnchanged: []
""")
    out = sparkhook_test(path)
    assert out.returncode == 1, out.stdout + out.stderr
    driver, executors, wrong, summary = out.stdout.splitlines()
    assert driver == f"ok   {path}: pinned driver" and executors == f"ok   {path}: pinned executors", out.stdout
    assert wrong == f'FAIL {path}: wrong expectation: matchedUnchanged ["driver-on-demand"], expected []', wrong


def test_a_folder_runs_every_suite_whatever_its_name(tmp_path):
    """Suites are found by their kind, not their file name; what else is in the folder is skipped."""
    one = suite(tmp_path, "  - name: a\n    pod: pods/driver.yaml\n    expect: {fields: {/spec/priorityClassName: spark-driver-critical}}\n")
    text = one.read_text()
    one.rename(tmp_path / "policy-tests.yaml")
    (tmp_path / "prod_test.yml").write_text(text.replace("name: a", "name: b"))
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "cases.yaml").write_text(text.replace("name: a", "name: c").replace("pods/driver.yaml", "../pods/driver.yaml"))
    (tmp_path / "policy.yaml").write_text((ROOT / "examples" / "production.yaml").read_text())
    (tmp_path / "notes.md").write_text("# Notes\nSparkPodPolicyTest suites live here.\n")
    out = sparkhook_test(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(line.split(": ")[-1] for line in out.stdout.splitlines()[:-1]) == ["a", "b", "c"], out.stdout
    assert out.stdout.splitlines()[-1] == "3 passed, 0 failed"
    # A suite with a YAML mistake, whatever its name, is reported, not skipped.
    (tmp_path / "broken.yaml").write_text("apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicyTest\ncases: [\n")
    broken = sparkhook_test(tmp_path)
    assert broken.returncode == 2 and f"{tmp_path}/broken.yaml:" in broken.stderr, broken


def test_a_named_file_runs_and_says_when_it_is_not_a_suite(tmp_path):
    out = sparkhook_test(ROOT / "examples" / "production.yaml")
    assert out.returncode == 2, out
    assert out.stderr.strip() == (f"{ROOT / 'examples' / 'production.yaml'}:3:1: not a policy test suite: "
                                  "no document of kind SparkPodPolicyTest (found kind SparkPodPolicy)"), out.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = sparkhook_test(empty)
    assert none.returncode == 2 and f"{empty}: no SparkPodPolicyTest suites in this folder" in none.stderr, none
