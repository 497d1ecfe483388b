"""A real kube-apiserver and etcd on loopback for the tests, the way controller-runtime's envtest
runs them: KUBEBUILDER_ASSETS names a folder holding `kube-apiserver` and `etcd`. No scheduler,
controller-manager or kubelet: pods pass the whole admission chain and are stored, Pending.

One pair serves the whole test session (it takes about 5 s to start); tests use namespaces of their
own and register sparkhook with `Apiserver.webhook(...)`."""
import base64
import contextlib
import http.client
import json
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

ASSETS_VARIABLE = "KUBEBUILDER_ASSETS"
UNHOOKED_LABEL = "sparkhook.io/test-unhooked"
HOW_TO_GET_THEM = ("set KUBEBUILDER_ASSETS to a folder with kube-apiserver and etcd "
                   "(setup-envtest use 1.36.x -p path, or the binaries of a Kubernetes release)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unquote(text):
    """A Warning header's quoted-string (RFC 9110): quotes removed, backslash escapes undone."""
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return re.sub(r"\\(.)", r"\1", text)


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


class Apiserver:
    def __init__(self, assets, disable_admission_plugins=()):
        """disable_admission_plugins: more built-in plugins to turn off (a scheduler needs
        TaintNodesByCondition off: with no node-lifecycle controller its taint never clears)."""
        self.assets = pathlib.Path(assets)
        self.disabled = ",".join(["ServiceAccount", *disable_admission_plugins])
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="apiserver-"))
        self.procs = []
        self._local = threading.local()
        try:
            self._certificates()
            self._start()
        except BaseException:
            self.stop()
            raise

    def _certificates(self):
        d = self.dir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=envtest-ca", "-keyout", d / "ca.key", "-out", d / "ca.crt",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
        for name, subject, ext in [
            ("serving", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
            ("admin", "/O=system:masters/CN=admin", "extendedKeyUsage=clientAuth"),
        ]:
            (d / f"{name}.ext").write_text(ext + "\n")
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                    "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr")
            openssl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.crt", "-CAkey", d / "ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", d / f"{name}.ext", "-out", d / f"{name}.crt")
        openssl("genrsa", "-out", d / "sa.key", "2048")
        openssl("rsa", "-in", d / "sa.key", "-pubout", "-out", d / "sa.pub")

    def _start(self):
        d = self.dir
        etcd_port, peer_port, self.port = free_port(), free_port(), free_port()
        # etcd reads every ETCD_* variable as a flag, and exits when one repeats a command-line flag.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}
        self._spawn("etcd", [str(self.assets / "etcd"), "--data-dir", str(d / "etcd"),
                             "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
                             "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
                             "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
                             "--initial-cluster", f"default=http://127.0.0.1:{peer_port}",
                             "--unsafe-no-fsync"], env)
        self._spawn("kube-apiserver", [
            str(self.assets / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}", f"--secure-port={self.port}", "--bind-address=127.0.0.1",
            f"--cert-dir={d}", f"--tls-cert-file={d / 'serving.crt'}", f"--tls-private-key-file={d / 'serving.key'}",
            f"--client-ca-file={d / 'ca.crt'}", f"--service-account-key-file={d / 'sa.pub'}",
            f"--service-account-signing-key-file={d / 'sa.key'}", "--service-account-issuer=https://envtest.local",
            "--service-cluster-ip-range=10.0.0.0/24", "--authorization-mode=RBAC",
            # No controller-manager makes service-account tokens: that plugin would refuse every pod.
            f"--disable-admission-plugins={self.disabled}", "--endpoint-reconciler-type=none",
            "--allow-privileged=true"], env)
        deadline = time.monotonic() + 90
        while True:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited {proc.returncode}:\n" + self.log_tail(name))
            try:
                status, _ = self.request("GET", "/readyz")
                if status == 200 and self.request("GET", "/api/v1/namespaces/default")[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                self._local.__dict__.clear()
            if time.monotonic() > deadline:
                raise RuntimeError("kube-apiserver did not become ready:\n" + self.log_tail("kube-apiserver"))
            time.sleep(0.2)

    def _spawn(self, name, argv, env):
        log = open(self.dir / f"{name}.log", "w")
        self.procs.append((name, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)))

    def log_tail(self, name, lines=30):
        path = self.dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self):
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)

    # REST, with the admin client certificate, on one kept-alive connection per thread.

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            ctx = ssl.create_default_context(cafile=str(self.dir / "ca.crt"))
            ctx.load_cert_chain(str(self.dir / "admin.crt"), str(self.dir / "admin.key"))
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=30)
            self._local.conn = conn
        return conn

    def request(self, method, path, body=None, content_type="application/json"):
        """(status, decoded JSON or text); retried once on a connection the server closed."""
        status, out, _ = self.request_with_warnings(method, path, body, content_type)
        return status, out

    def request_with_warnings(self, method, path, body=None, content_type="application/json"):
        """(status, decoded JSON or text, the Warning headers' texts)."""
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers={"Content-Type": content_type, "Accept": "application/json"})
                response = conn.getresponse()
                text = response.read().decode()
                break
            # An idle connection the apiserver closed: over TLS a write to it can fail as SSLEOFError.
            except (ConnectionError, ssl.SSLError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                self._local.conn = None
                if attempt:
                    raise
        warnings = [unquote(w.split(" ", 2)[2]) for w in response.headers.get_all("Warning") or []]
        try:
            return response.status, json.loads(text), warnings
        except ValueError:
            return response.status, text, warnings

    def webhook_calls(self, name):
        """How many times this apiserver has called the webhook `name` (its own admission metrics)."""
        _, text = self.request("GET", "/metrics", content_type="text/plain")
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("apiserver_admission_webhook_admission_duration_seconds_count{") and f'name="{name}"' in line)

    def create(self, path, body, expect=(201,)):
        status, out = self.request("POST", path, body)
        assert status in expect, f"POST {path}: {status} {out}"
        return out

    def delete(self, path):
        return self.request("DELETE", path)[0]

    def namespace(self, name, hooked=True):
        metadata = {"name": name} if hooked else {"name": name, "labels": {UNHOOKED_LABEL: "true"}}
        status, out = self.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
        assert status in (201, 409), out
        return name

    def create_pod(self, namespace, pod, dry_run=False):
        """(status, stored pod or the apiserver's Status, warnings the client was sent)."""
        suffix = "?dryRun=All" if dry_run else ""
        return self.request_with_warnings("POST", f"/api/v1/namespaces/{namespace}/pods{suffix}", pod)

    def kubeconfig(self):
        """A kubeconfig for kubectl, with the admin client certificate."""
        path = self.dir / "kubeconfig"
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "envtest",
            "clusters": [{"name": "envtest", "cluster": {"server": f"https://127.0.0.1:{self.port}",
                                                          "certificate-authority": str(self.dir / "ca.crt")}}],
            "users": [{"name": "admin", "user": {"client-certificate": str(self.dir / "admin.crt"),
                                                   "client-key": str(self.dir / "admin.key")}}],
            "contexts": [{"name": "envtest", "context": {"cluster": "envtest", "user": "admin"}}],
        }))
        return path

    @contextlib.contextmanager
    def webhook(self, port, ca_file, failure_policy="Fail", name="sparkhook-test", timeout=5, reinvocation="IfNeeded"):
        """Registers a sparkhook on 127.0.0.1:port for Spark pods while the block runs."""
        config = {
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [{
                "name": "sparkhook.sparkhook.io", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                "failurePolicy": failure_policy, "reinvocationPolicy": reinvocation, "timeoutSeconds": timeout,
                "clientConfig": {"url": f"https://127.0.0.1:{port}/mutate",
                                 "caBundle": base64.b64encode(pathlib.Path(ca_file).read_bytes()).decode()},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "objectSelector": {"matchExpressions": [{"key": "spark-role", "operator": "Exists"}]},
                # Namespaces labelled unhooked show the pod as built-in admission alone leaves it.
                "namespaceSelector": {"matchExpressions": [{"key": UNHOOKED_LABEL, "operator": "DoesNotExist"}]},
            }],
        }
        path = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
        self.delete(f"{path}/{name}")
        self.create(path, config)
        try:
            yield
        finally:
            self.delete(f"{path}/{name}")
            # The apiserver drops a deleted configuration within a second or so.
            time.sleep(1.5)

    def wait_for_webhook(self, namespace, probe_pod, called, timeout=20):
        """Dry-run creates until `called()` says the webhook was asked (configurations take effect
        within a few seconds of being written)."""
        deadline = time.monotonic() + timeout
        while True:
            status, out, _ = self.create_pod(namespace, probe_pod, dry_run=True)
            if status == 201 and called():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the webhook never took effect: {status} {json.dumps(out)[:500]}")
            time.sleep(0.3)
