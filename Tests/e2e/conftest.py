"""Shared helpers for the end-to-end tests: they start the real binaries on loopback and talk to
them over TLS. Certificates are made at test time with the project's own certs/generate.sh."""
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("SPARKHOOK_BIN_DIR", ROOT / ".build" / "debug"))
FIXTURES = pathlib.Path(os.environ.get("SPARKHOOK_FIXTURES", ROOT / "Tests" / "Fixtures"))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def render_manifests(certs, work, path="manifests"):
    """`kubectl kustomize` of a copy of the repository's manifests whose tls/ holds `certs`' CA,
    serving certificate and key, as a user installs them (manifests/tls/README.md): the text."""
    import shutil
    copy = pathlib.Path(work) / "manifests"
    if not copy.exists():
        shutil.copytree(ROOT / "manifests", copy)
    for name in ("ca.crt", "tls.crt", "tls.key"):
        shutil.copy(pathlib.Path(certs) / name, copy / "tls" / name)
    return run(["kubectl", "kustomize", str(copy.parent / path)]).stdout


def make_certs(out, days=30, key_type="ecdsa"):
    run([str(ROOT / "certs" / "generate.sh"), str(out)],
        env={**os.environ, "FORCE": "1", "DAYS": str(days), "KEY_TYPE": key_type})
    return pathlib.Path(out)


def make_leaf(ca_dir, out_dir, name, usage="clientAuth", ca_name="ca"):
    """A certificate signed by ca_dir's CA: client certificates and replacement server pairs."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key, csr, crt = out_dir / f"{name}.key", out_dir / f"{name}.csr", out_dir / f"{name}.crt"
    ext = out_dir / f"{name}.ext"
    ext.write_text(f"extendedKeyUsage={usage}\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", pathlib.Path(ca_dir) / f"{ca_name}.crt",
         "-CAkey", pathlib.Path(ca_dir) / f"{ca_name}.key", "-CAcreateserial", "-days", "2",
         "-extfile", ext, "-out", crt])
    return crt, key


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


class Process:
    """A server binary on 127.0.0.1:0; the port is read from its "listening" log line."""

    def __init__(self, argv, ready_timeout=30):
        self.log_lines = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._listening = threading.Event()
        self.addresses = []
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._listening.wait(ready_timeout):
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.log_lines))

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.log_lines.append(line.rstrip("\n"))
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening" and not self.addresses:  # the first listener: the webhook's
                self.addresses = entry["addresses"].split(",")
                self._listening.set()

    @property
    def port(self):
        return int(self.addresses[0].rsplit(":", 1)[1])

    def logs(self):
        out = []
        for line in list(self.log_lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_for_log(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for entry in self.logs():
                if predicate(entry):
                    return entry
            time.sleep(0.05)
        raise AssertionError("no such log line; logs:\n" + "\n".join(self.log_lines[-30:]))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def client_context(ca, cert=None, key=None, alpn=None):
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert:
        ctx.load_cert_chain(str(cert), str(key))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class Client:
    """A TLS connection with a read buffer, for requests written byte by byte."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def recv(self, n=65536):
        return self.sock.recv(n)

    def close(self):
        self.sock.close()

    def request(self, method, path, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if method in ("POST", "PUT") or body:
            head += f"Content-Length: {len(body)}\r\n"
        self.send(head.encode() + b"\r\n" + body)
        return read_response(self, head_only=(method == "HEAD"))


def tls_connect(port, ctx, host="127.0.0.1", session=None, timeout=10):
    raw = socket.create_connection((host, port), timeout=timeout)
    return Client(ctx.wrap_socket(raw, server_hostname=host, session=session))


class Session:
    """Requests on a kept-alive connection that honour `Connection: close` as the apiserver does:
    after such an answer the next request opens a new connection (sparkhook renews connections by
    age and by number of answers)."""

    def __init__(self, port, ctx, timeout=10):
        self.port, self.ctx, self.timeout, self.client = port, ctx, timeout, None

    def request(self, method, path, body=b"", headers=None):
        if self.client is None:
            self.client = tls_connect(self.port, self.ctx, timeout=self.timeout)
        status, response_headers, out = self.client.request(method, path, body, headers)
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return status, response_headers, out

    def close(self):
        if self.client is not None:
            self.client.close()
            self.client = None


def metrics_text(server, certs):
    """A sparkhook's /metrics (the Process `server`, CA from `certs`) as text, on a connection of its own."""
    c = tls_connect(server.port, client_context(certs / "ca.crt"))
    try:
        _, _, body = c.request("GET", "/metrics")
    finally:
        c.close()
    return body.decode()


def counter_sum(text, prefix):
    """The sum of the samples in Prometheus `text` whose line starts with `prefix`."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def read_response(sock, head_only=False):
    """Reads one HTTP/1.1 response with Content-Length framing: (status, headers, body)."""
    buf = sock.pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response head; got %r" % buf)
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head_only or status == 100 else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside a body")
        rest += chunk
    sock.pending = rest[length:]
    return status, headers, rest[:length]


def is_closed(client, timeout=5):
    """True when the peer closed the connection (EOF or reset) within timeout."""
    sock = client.sock
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.fixture(scope="session")
def apiserver():
    """The session's real kube-apiserver (see apiserver.py); skipped, saying why, without one."""
    from apiserver import ASSETS_VARIABLE, HOW_TO_GET_THEM, Apiserver
    assets = os.environ.get(ASSETS_VARIABLE)
    if not assets:
        pytest.skip(f"no real kube-apiserver: {HOW_TO_GET_THEM}")
    server = Apiserver(assets)
    yield server
    server.stop()
