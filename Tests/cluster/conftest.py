"""The cluster tier: sparkhook deployed as a user deploys it, on the real cluster KUBECONFIG names,
with the image `make image` built, loaded by the command in IMAGE_LOAD (given the archive's path:
`kind load image-archive` on kind, `ctr -n k8s.io images import` on a containerd node). Skipped,
saying so, without them; CI (SPARKHOOK_REQUIRE_TIERS=1) fails instead."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from kube import Kube, kubeconfig_or_none, wait  # noqa: E402

ARCHIVE = pathlib.Path(os.environ.get("SPARKHOOK_IMAGE_ARCHIVE", ROOT / ".build/image/sparkhook.tar"))
BIN = pathlib.Path(os.environ.get("SPARKHOOK_BIN_DIR", ROOT / ".build" / "debug"))
NAMESPACE = "sparkhook-system"
HOW = ("a cluster: KUBECONFIG, and IMAGE_LOAD, a command that loads an image archive onto its nodes "
       "(kind: IMAGE_LOAD='kind load image-archive'; CI: ../shared/envtest/node/up.sh and "
       "IMAGE_LOAD='ctr -a $CONTAINERD_ADDRESS -n k8s.io images import')")


def skip(reason):
    if os.environ.get("SPARKHOOK_REQUIRE_TIERS") == "1":
        pytest.fail(f"required, but cannot run: {reason}")
    pytest.skip(reason)


def readme_block(marker):
    """The shell block after `marker` in the README: what users are told to run."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(marker):]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)


class Deployment:
    """A copy of the repository's Makefile, certs/ scripts and manifests/, where the README's
    commands run, as in a user's checkout."""

    def __init__(self, kube, work):
        self.kube, self.work = kube, pathlib.Path(work)
        (self.work / "certs").mkdir(parents=True)
        shutil.copy(ROOT / "Makefile", self.work / "Makefile")
        for script in ("generate.sh", "inject-ca.sh"):
            shutil.copy(ROOT / "certs" / script, self.work / "certs" / script)
        shutil.copytree(ROOT / "manifests", self.work / "manifests",
                        ignore=shutil.ignore_patterns("*.crt", "*.key"))
        (self.work / "Sources/Webhook").mkdir(parents=True)
        shutil.copy(ROOT / "Sources/Webhook/Build.swift", self.work / "Sources/Webhook/Build.swift")

    def sh(self, script, check=True, timeout=300):
        env = {**os.environ, "KUBECONFIG": self.kube.kubeconfig}
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.work, env=env, capture_output=True,
                             text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"{script}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out

    def pods(self):
        items = self.kube.get(f"/api/v1/namespaces/{NAMESPACE}/pods?labelSelector=app.kubernetes.io/name%3Dsparkhook")["items"]
        return [p for p in items if "deletionTimestamp" not in p["metadata"]]

    def ready_pods(self):
        return [p for p in self.pods() if p.get("status", {}).get("phase") == "Running"
                and all(c.get("ready") for c in p["status"].get("containerStatuses", []))]

    def wait_ready(self, replicas=2, timeout=180):
        return wait(lambda: len(self.ready_pods()) == replicas and len(self.pods()) == replicas and self.ready_pods(),
                    timeout, f"{replicas} ready sparkhook replicas")


@pytest.fixture(scope="session")
def kube():
    kubeconfig = kubeconfig_or_none()
    if not kubeconfig or not os.environ.get("IMAGE_LOAD"):
        skip(f"no cluster to deploy on: needs {HOW}")
    if not ARCHIVE.exists():
        skip(f"no image archive at {ARCHIVE}: run `make image` first")
    if shutil.which("kubectl") is None:
        skip("kubectl is not installed")
    return Kube(kubeconfig)


@pytest.fixture(scope="session")
def deployed(kube, tmp_path_factory):
    """sparkhook installed by the README's commands; removed (if a test has not) at the end."""
    loaded = subprocess.run(["bash", "-c", os.environ["IMAGE_LOAD"] + ' "$1"', "image-load", str(ARCHIVE)],
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    # A namespace left terminating by an earlier run refuses new objects: let it go first.
    wait(lambda: kube.request("GET", f"/api/v1/namespaces/{NAMESPACE}")[0] == 404
         or "deletionTimestamp" not in kube.get(f"/api/v1/namespaces/{NAMESPACE}")["metadata"], 300,
         f"namespace {NAMESPACE} of an earlier run to be deleted")
    deployment = Deployment(kube, tmp_path_factory.mktemp("checkout"))
    deployment.sh(readme_block("make test-cluster runs this block"), timeout=400)
    deployment.wait_ready()
    yield deployment
    if kube.request("GET", f"/api/v1/namespaces/{NAMESPACE}")[0] == 200:
        deployment.sh("kubectl delete --wait=false -k manifests", check=False)


# The pause image every node has (the sandbox image); CLUSTER_POD_IMAGE names another.
POD_IMAGE = os.environ.get("CLUSTER_POD_IMAGE", "registry.k8s.io/pause:3.10")


def spark_pod(name, role, app="spark-app", exec_id=None, container=None, image=POD_IMAGE, extra=None):
    """A pod shaped as Spark's Kubernetes backend makes it (labels, container name), running the
    pause image every node has: it starts, and serves none of Spark's ports."""
    labels = {"spark-role": role, "spark-app-selector": app, "spark-app-name": app}
    if exec_id is not None:
        labels["spark-exec-id"] = str(exec_id)
    container = container or {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}.get(role, "spark-kubernetes-driver")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
           "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": container, "image": image, "imagePullPolicy": "IfNotPresent",
                                    "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}}}]}}
    if extra:
        pod["spec"].update(extra)
    return pod


def to_yaml(docs):
    return yaml.safe_dump_all(docs)
