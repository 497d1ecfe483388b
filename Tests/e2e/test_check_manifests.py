"""`sparkhook check` of what users edit: the policy ConfigMap manifest the README points to, a
folder of manifests, kustomize output on stdin; problems and warnings at file:line:column of the
manifest, and --strict for CI."""
import re
import subprocess

import yaml

from conftest import BIN, ROOT, render_manifests

POLICY_MANIFEST = ROOT / "manifests" / "base" / "policy.yaml"
# What the valid line ends with: the hash sparkhook_policy_info{hash} will show.
HASH = r", hash [0-9a-f]{16} \(sparkhook_policy_info\{hash\} when served\)"


def check(*args, stdin=None):
    return subprocess.run([str(BIN / "sparkhook"), "check", *map(str, args)], input=stdin, capture_output=True, text=True, timeout=30)


def mounted_hash(tmp_path):
    """The hash `check` names for the ConfigMap's data written out as the kubelet mounts it: what
    sparkhook_policy_info{hash} shows when those files are served (test_policy_info.py)."""
    folder = tmp_path / "mounted"
    folder.mkdir()
    for key, text in yaml.safe_load(POLICY_MANIFEST.read_text())["data"].items():
        (folder / key).write_text(text)
    return re.search(r"hash ([0-9a-f]{16}) ", check(folder).stdout).group(1)


def test_the_policy_configmap_checks_as_it_is(tmp_path):
    served = mounted_hash(tmp_path)
    for args in (["--policy", POLICY_MANIFEST], [POLICY_MANIFEST], [ROOT / "manifests" / "base"]):
        run = check(*args)
        assert run.returncode == 0 and run.stderr == "", run
        assert run.stdout == (f"{POLICY_MANIFEST}:7:1: ConfigMap sparkhook-policy: valid: 7 rules from 1 key, "
                              f"hash {served} (sparkhook_policy_info{{hash}} when served)\n"), run


def test_kustomize_output_on_stdin(certs, tmp_path):
    rendered = render_manifests(certs, tmp_path)
    run = check("-", stdin=rendered)
    assert run.returncode == 0 and run.stderr == "", run
    [line] = run.stdout.splitlines()
    assert re.fullmatch(r"<stdin>:\d+:\d+: ConfigMap sparkhook-system/sparkhook-policy: valid: 7 rules from 1 key" + HASH, line), line


def test_problems_are_at_the_manifests_line_and_column(tmp_path):
    text = POLICY_MANIFEST.read_text()
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "priorityClassName: spark-executor" in line)
    bad = tmp_path / "policy.yaml"
    bad.write_text(text.replace("priorityClassName: spark-executor", "priorityClassName: Spark_Executor", 1))
    run = check(bad)
    column = lines[row].index("spark-executor") + 1
    assert run.returncode == 1, run
    assert run.stderr.splitlines() == [
        f"{bad}:{row + 1}:{column}: priorityClassName \"Spark_Executor\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)"
    ], run.stderr


def test_warnings_have_a_position_and_strict_fails_on_them(tmp_path):
    text = POLICY_MANIFEST.read_text().replace("priorityClassName: spark-executor", "priorityClassName: spark-exec", 1)
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    row = next(i for i, line in enumerate(text.splitlines()) if "- name: executor-priority" in line)
    column = text.splitlines()[row].index("executor-priority") + 1  # the rule's name
    expected = (f'{policy}:{row + 1}:{column}: warning: priority class "spark-exec" (set by rule "executor-priority") is not created '
                "by the manifests: the apiserver refuses every pod given it until the class exists")
    run = check(policy, "--manifests", ROOT / "manifests" / "base")
    assert run.returncode == 0 and run.stderr.splitlines() == [expected], run
    strict = check(policy, "--manifests", ROOT / "manifests" / "base", "--strict")
    assert strict.returncode == 1 and strict.stderr.splitlines() == [expected], strict
    assert "warnings fail under --strict" in strict.stdout
    assert check(POLICY_MANIFEST, "--manifests", ROOT / "manifests" / "base", "--strict").returncode == 0


def test_the_path_is_named_once():
    run = check("--policy", POLICY_MANIFEST, POLICY_MANIFEST)
    assert run.returncode == 64 and "name the policy once" in run.stderr, run
    assert check().returncode == 64


def test_drivers_given_a_class_not_above_the_executors_are_warned_at_the_rule(tmp_path):
    """With the manifests' PriorityClass values known, a policy that swaps the classes is warned
    about at the driver rule's name (in the ConfigMap), and --strict fails it."""
    text = (POLICY_MANIFEST.read_text().replace("priorityClassName: spark-driver-critical", "priorityClassName: SWAP", 1)
            .replace("priorityClassName: spark-executor", "priorityClassName: spark-driver-critical", 1)
            .replace("priorityClassName: SWAP", "priorityClassName: spark-executor", 1))
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    row = next(i for i, line in enumerate(text.splitlines()) if "- name: driver-priority" in line)
    column = text.splitlines()[row].index("driver-priority") + 1
    expected = (f'{policy}:{row + 1}:{column}: warning: rule "driver-priority" gives drivers priority class "spark-executor" (value 1000), '
                'not above "spark-driver-critical" (value 1000000) that rule "executor-priority" gives executors: under pressure the '
                "scheduler should preempt an executor, never the driver whose loss fails the whole job")
    run = check(policy, "--manifests", ROOT / "manifests" / "base", "--strict")
    assert run.returncode == 1 and run.stderr.splitlines() == [expected], run
    # Without the manifests' values there is nothing to compare.
    assert check(policy, "--priority-classes", "spark-executor,spark-driver-critical", "--strict").returncode == 0


def test_the_readmes_check_commands_work_as_written():
    """The README's `sparkhook check` lines, run as they are (from the repository, sparkhook on PATH)."""
    import os
    lines = [line[2:].split("  #")[0].strip() for line in (ROOT / "README.md").read_text().splitlines()
             if line.startswith("$ ") and "sparkhook check" in line and "policy.yaml --" not in line]
    lines = [line for line in lines if "manifests" in line]
    assert len(lines) >= 2, lines
    for line in lines:
        run = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
        assert run.returncode == 0, (line, run.stdout, run.stderr)
        assert "valid: 7 rules" in run.stdout, (line, run.stdout)
