"""The image `make image` builds, run as the Deployment runs it but without a kubelet: imported into
a private containerd with `ctr` and started by runc with the Deployment's arguments, a read-only
root, no capabilities, the image's user, and the TLS Secret and the policy ConfigMap mounted at the
Deployment's paths in the layout the kubelet writes (`..data` swapped atomically). It must serve
/readyz, answer Spark pods on /mutate exactly as the debug build does, reload a changed policy, and
drain and exit 0 on SIGTERM within terminationGracePeriodSeconds.

Skipped, saying so, without the archive (`make image`) or without containerd and runc. Run by
`make test-image`; the cluster tier (`make test-cluster`) runs the same image on a real node."""
import base64
import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tarfile
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from conftest import BIN, FIXTURES, Process, client_context, make_certs, tls_connect  # noqa: E402

from containerd import HOW, Containerd, missing_tools  # noqa: E402

VERSION = re.search(r'version = "([^"]+)"', (ROOT / "Sources/Webhook/Build.swift").read_text()).group(1)
ARCHIVE = pathlib.Path(os.environ.get("SPARKHOOK_IMAGE_ARCHIVE", ROOT / ".build/image/sparkhook.tar"))
DEPLOYMENT = yaml.safe_load((ROOT / "manifests/base/deployment.yaml").read_text())
POD = DEPLOYMENT["spec"]["template"]["spec"]
CONTAINER = POD["containers"][0]
# The capabilities runc gives a container unless told otherwise: the Deployment drops them all.
DEFAULT_CAPABILITIES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def oci_config(archive):
    """The image's manifest, config and layers' size from an OCI archive, without any tool."""
    with tarfile.open(archive) as tar:
        def blob(digest):
            return tar.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()
        index = json.loads(tar.extractfile("index.json").read())
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
        names, size = set(), 0
        for layer in manifest["layers"]:
            with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as layer_tar:
                for member in layer_tar:
                    names.add(member.name.lstrip("./"))
                    size += member.size
        return index, config, names, size


def write_volume(folder, files):
    """A Secret or ConfigMap volume as the kubelet writes it: a timestamped folder, `..data` pointing
    at it, and each key a link through `..data`; an update swaps `..data` in one rename."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    stamp = folder / f"..{time.time_ns()}"
    stamp.mkdir()
    os.chmod(stamp, 0o755)
    for name, text in files.items():
        (stamp / name).write_text(text)
        os.chmod(stamp / name, 0o644)  # the volume's defaultMode
    link = folder / "..data_tmp"
    link.symlink_to(stamp.name)
    os.rename(link, folder / "..data")
    for name in files:
        if not (folder / name).is_symlink():
            (folder / name).symlink_to(f"..data/{name}")


def policy_files(configmap_path):
    return yaml.safe_load(pathlib.Path(configmap_path).read_text())["data"]


def mount_path(volume):
    return next(m["mountPath"] for m in CONTAINER["volumeMounts"] if m["name"] == volume)


def post(port, ca, path, body):
    client = tls_connect(port, client_context(ca))
    try:
        status, _, out = client.request("POST", path, body, {"Content-Type": "application/json"})
    finally:
        client.close()
    return status, out


def metrics(port, ca):
    client = tls_connect(port, client_context(ca))
    try:
        return client.request("GET", "/metrics")[2].decode()
    finally:
        client.close()


def skip(reason):
    """Skips, saying why; CI (SPARKHOOK_REQUIRE_TIERS=1) fails instead: there the tier must run."""
    if os.environ.get("SPARKHOOK_REQUIRE_TIERS") == "1":
        pytest.fail(f"required, but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    if not ARCHIVE.exists():
        skip(f"no image archive at {ARCHIVE}: run `make image` (buildah, debootstrap) first")
    if missing_tools():
        skip(f"no {', '.join(missing_tools())} to run the image: {HOW}")
    if os.geteuid() != 0:
        skip("containerd and runc run as root here")
    runtime = Containerd(tmp_path_factory.mktemp("containerd"))
    try:
        names = runtime.import_archive(ARCHIVE)
        assert len(names) == 1, names
        yield runtime, names[0]
    finally:
        runtime.stop()


def test_the_archive_holds_the_tagged_image_with_its_labels_and_nothing_to_run_but_sparkhook():
    if not ARCHIVE.exists():
        skip(f"no image archive at {ARCHIVE}: run `make image` first")
    index, config, names, size = oci_config(ARCHIVE)
    ref = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
    assert ref.endswith(f"sparkhook:{VERSION}"), ref
    labels = config["config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", labels["org.opencontainers.image.revision"])
    if os.environ.get("SPARKHOOK_IMAGE_REVISION_CHECK", "1") == "1" and revision:
        assert labels["org.opencontainers.image.revision"] == revision, "the image is of another commit: make image"
    assert labels["org.opencontainers.image.source"]
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["/usr/local/bin/sparkhook"]
    # No shell and no package manager: nothing but the binary runs in it.
    for program in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "usr/bin/apt", "usr/bin/dpkg"):
        assert program not in names, program
    assert "usr/local/bin/sparkhook" in names
    print(f"image {ref}: {size / 1e6:.1f} MB uncompressed in {len(names)} entries")
    assert size < 40e6, f"the image is {size / 1e6:.1f} MB uncompressed (goal: under 40)"


def test_the_image_serves_reloads_and_drains_as_the_deployment_runs_it(image, tmp_path):
    runtime, name = image
    _, config, _, _ = oci_config(ARCHIVE)
    certs = make_certs(tmp_path / "certs")
    tls = tmp_path / "tls"
    write_volume(tls, {"tls.crt": (certs / "tls.crt").read_text(), "tls.key": (certs / "tls.key").read_text()})
    policy = tmp_path / "policy"
    write_volume(policy, policy_files(ROOT / "manifests/base/policy.yaml"))
    ca = certs / "ca.crt"

    args = CONTAINER["args"]
    port = int(next(a for a in args if a.startswith("--listen=")).rsplit(":", 1)[1])
    security = CONTAINER["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["capabilities"]["drop"] == ["ALL"]
    argv = ["ctr", "-a", str(runtime.socket), "-n", "sparkhook-test", "run", "--rm", "--net-host", "--read-only",
            "--mount", f"type=bind,src={tls},dst={mount_path('tls')},options=rbind:ro",
            "--mount", f"type=bind,src={policy},dst={mount_path('policy')},options=rbind:ro"]
    for capability in DEFAULT_CAPABILITIES:
        argv += ["--cap-drop", capability]
    # The kubelet keeps the image's ENTRYPOINT and replaces its CMD by the container's args.
    argv += [name, "sparkhook-under-test", *config["config"]["Entrypoint"], *args]
    server = Process(argv)
    # The reference: the debug build `make test` tests, with the same arguments and files.
    local_args = [a for a in args if not a.startswith(("--listen=", "--tls-cert=", "--tls-key=", "--policy="))]
    reference = Process([str(BIN / "sparkhook"), *local_args, "--listen=127.0.0.1:0", f"--tls-cert={tls}/tls.crt",
                         f"--tls-key={tls}/tls.key", f"--policy={policy}"])
    try:
        assert server.port == port
        pid = runtime.task_pid("sparkhook-under-test")
        status = dict(line.split(":\t", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
        assert status["Uid"].split()[0] == "65532" and status["Gid"].split()[0] == "65532", status["Uid"]
        assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0, (status["CapEff"], status["CapBnd"])
        # Read-only root: the process cannot write outside its volumes.
        assert "ro," in next(line for line in open(f"/proc/{pid}/mountinfo") if line.split()[4] == "/").split()[5] + ","

        client = tls_connect(port, client_context(ca))
        assert client.request("GET", "/readyz")[0] == 200
        client.close()
        assert f'sparkhook_build_info{{version="{VERSION}"}} 1' in metrics(port, ca)

        def same_answers():
            for fixture in ("driver-operator.json", "executor-operator.json", "driver-connect.json", "non-spark.json"):
                body = (FIXTURES / fixture).read_bytes()
                got, want = post(port, ca, "/mutate", body), post(reference.port, ca, "/mutate", body)
                assert got[0] == want[0] == 200, (fixture, got, want)
                assert json.loads(got[1]) == json.loads(want[1]), fixture
            return json.loads(post(port, ca, "/mutate", (FIXTURES / "driver-operator.json").read_bytes())[1])

        before = same_answers()
        assert "patch" in before["response"], before

        # A policy edit, delivered as the kubelet delivers it: both reload, and answer alike again.
        write_volume(policy, {"policy.yaml": (ROOT / "examples/priorities.yaml").read_text()})
        for process in (server, reference):
            process.wait_for_log(lambda e: e.get("msg") == "policy reloaded", timeout=15)
        after = same_answers()
        assert base64.b64decode(after["response"]["patch"]) != base64.b64decode(before["response"]["patch"])
        assert re.search(r"^sparkhook_policy_generation 2$", metrics(port, ca), re.M)

        # SIGTERM as the kubelet sends it: drained, exit 0, within the grace period.
        grace = POD["terminationGracePeriodSeconds"]
        started = time.monotonic()
        runtime.ctr("tasks", "kill", "-s", "SIGTERM", "sparkhook-under-test")
        code = server.proc.wait(grace + 5)
        took = time.monotonic() - started
        print(f"SIGTERM to exit: {took:.1f} s (grace {grace} s), exit {code}")
        assert code == 0, server.log_lines[-20:]
        assert took < grace
        assert any(e.get("msg") == "stopped" for e in server.logs()), server.log_lines[-10:]
    finally:
        if server.proc.poll() is None:
            runtime.ctr("tasks", "kill", "-s", "SIGKILL", "sparkhook-under-test", check=False)
            server.proc.send_signal(signal.SIGKILL)
        reference.stop()
