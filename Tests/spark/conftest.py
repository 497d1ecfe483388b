"""The real-Spark tier: PySpark's pi, submitted with `spark-submit --deploy-mode cluster` from this
machine to the cluster KUBECONFIG names, running in the image `make spark-image` built (Debian's
Java 17 and Python, PyPI's pyspark), with sparkhook deployed as the cluster tier deploys it (the
README's commands, Tests/cluster/conftest.py: imported, not copied). Skipped, saying so, without a
cluster, IMAGE_LOAD, either image archive or the host's spark-submit; CI (SPARKHOOK_REQUIRE_TIERS=1)
fails instead."""
import base64
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("cluster_conftest", ROOT / "Tests/cluster/conftest.py")
cluster = importlib.util.module_from_spec(_spec)
sys.modules["cluster_conftest"] = cluster
_spec.loader.exec_module(cluster)
# The cluster tier's fixtures, offered to this tier's tests: sparkhook installed by the README's
# commands, on the cluster KUBECONFIG names, with the image IMAGE_LOAD loads.
kube, deployed = cluster.kube, cluster.deployed  # noqa: F811
skip, BIN, NAMESPACE = cluster.skip, cluster.BIN, cluster.NAMESPACE


def versions():
    """image/spark/versions, as the shell reads it (SPARK_IMAGE names SPARK_VERSION)."""
    out = subprocess.run(["bash", "-c", 'set -a; . "$1"; env -0', "versions", str(ROOT / "image/spark/versions")],
                         capture_output=True, text=True, check=True, env={"PATH": os.environ["PATH"]}).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: env[k] for k in ("SPARK_VERSION", "PYSPARK_VERSION", "SPARK_IMAGE")}


VERSIONS = versions()
# Another Spark image (an official apache/spark:4.x on a cluster that can pull it): SPARK_IMAGE
# names it, and SPARK_IMAGE_ARCHIVE empty says there is nothing to load.
if os.environ.get("SPARK_IMAGE"):
    VERSIONS["SPARK_IMAGE"] = os.environ["SPARK_IMAGE"]
SPARK_ARCHIVE = os.environ.get("SPARK_IMAGE_ARCHIVE", str(ROOT / ".build/image/spark.tar"))
SPARK_VENV = pathlib.Path(os.environ.get("SPARK_VENV", ROOT / ".build/spark-venv"))
SPARK_SUBMIT = SPARK_VENV / "bin/spark-submit"


class Submission:
    """spark-submit from this machine: the master URL and the submission client's credentials,
    taken from the kubeconfig (client certificate and key, or a token; files or inline data)."""

    def __init__(self, kubeconfig):
        config = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster_entry = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.files = pathlib.Path(tempfile.mkdtemp(prefix="spark-submit-"))
        base = pathlib.Path(kubeconfig).resolve().parent

        def path(entry, key):
            if entry.get(key + "-data"):
                f = self.files / key
                f.write_bytes(base64.b64decode(entry[key + "-data"]))
                return str(f)
            return str(base / entry[key]) if entry.get(key) else None

        self.master = "k8s://" + cluster_entry["server"]
        prefix = "spark.kubernetes.authenticate.submission."
        self.confs = {}
        if path(cluster_entry, "certificate-authority"):
            self.confs[prefix + "caCertFile"] = path(cluster_entry, "certificate-authority")
        if path(user, "client-certificate"):
            self.confs[prefix + "clientCertFile"] = path(user, "client-certificate")
            self.confs[prefix + "clientKeyFile"] = path(user, "client-key")
        elif user.get("token"):
            self.confs[prefix + "oauthToken"] = user["token"]
        else:
            skip("the kubeconfig's user has neither a client certificate nor a token for spark-submit")


@pytest.fixture(scope="session")
def spark(kube):
    """The Spark image loaded on the nodes, and spark-submit on this machine."""
    if SPARK_ARCHIVE and not pathlib.Path(SPARK_ARCHIVE).exists():
        skip(f"no Spark image archive at {SPARK_ARCHIVE}: run `make spark-image` first")
    if not SPARK_SUBMIT.exists():
        skip(f"no spark-submit at {SPARK_SUBMIT}: `make spark-venv` (pyspark=={VERSIONS['PYSPARK_VERSION']} from PyPI)")
    if shutil.which("java") is None:
        skip("spark-submit needs Java 17 on this machine (apt-get install openjdk-17-jre-headless)")
    if SPARK_ARCHIVE:
        started = time.monotonic()
        loaded = subprocess.run(["bash", "-c", os.environ["IMAGE_LOAD"] + ' "$1"', "image-load", SPARK_ARCHIVE],
                                capture_output=True, text=True, timeout=600)
        assert loaded.returncode == 0, loaded.stderr
        print(f"Spark image loaded in {time.monotonic() - started:.0f} s")
    submission = Submission(kube.kubeconfig)
    # pyspark's bin/ finds its Spark home with the `python3` on PATH: the venv's, told directly.
    home = subprocess.run([str(SPARK_VENV / "bin/python"), "-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    submission.env = {**os.environ, "SPARK_HOME": home, "PATH": f"{SPARK_VENV / 'bin'}:{os.environ['PATH']}"}
    version = subprocess.run([str(SPARK_SUBMIT), "--version"], capture_output=True, text=True, env=submission.env, timeout=120)
    assert f"version {VERSIONS['SPARK_VERSION']}" in version.stdout + version.stderr, version.stdout + version.stderr
    return submission
