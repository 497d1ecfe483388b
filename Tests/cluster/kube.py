"""A small client for the cluster tier: the cluster KUBECONFIG names (client certificates or a
token, files or inline data, as kind and kubeadm write them), requests through its API on one
kept-alive connection per thread, and kubectl with the same kubeconfig."""
import base64
import http.client
import json
import os
import pathlib
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

import yaml


class Kube:
    def __init__(self, kubeconfig):
        self.kubeconfig = str(kubeconfig)
        config = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self._files = tempfile.mkdtemp(prefix="kube-")

        def path(entry, key):
            if entry.get(key + "-data"):
                f = pathlib.Path(self._files) / key
                f.write_bytes(base64.b64decode(entry[key + "-data"]))
                return str(f)
            return entry.get(key)

        url = urllib.parse.urlparse(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.context = ssl.create_default_context(cafile=path(cluster, "certificate-authority"))
        if path(user, "client-certificate"):
            self.context.load_cert_chain(path(user, "client-certificate"), path(user, "client-key"))
        self.token = user.get("token")
        self._local = threading.local()

    def _connection(self):
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=60)
        return self._local.connection

    def request(self, method, path, body=None, content_type="application/json"):
        """(status, parsed JSON or text). One retry on a connection the server closed meanwhile."""
        headers = {"Accept": "application/json, */*"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            connection = self._connection()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._local.connection = None
                if attempt:
                    raise
        text = raw.decode("utf-8", "replace")
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def get(self, path):
        status, out = self.request("GET", path)
        assert status == 200, (path, status, out)
        return out

    def kubectl(self, *args, input=None, check=True, cwd=None, timeout=300):
        out = subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, *args], input=input, capture_output=True,
                             text=True, cwd=cwd, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: {out.stderr.strip()}")
        return out

    def metrics(self, pod, namespace="sparkhook-system", port=8443):
        """A sparkhook replica's /metrics through the apiserver's pod proxy (HTTPS to the pod)."""
        status, text = self.request("GET", f"/api/v1/namespaces/{namespace}/pods/https:{pod}:{port}/proxy/metrics")
        assert status == 200, (pod, status, str(text)[:500])
        return text


def wait(predicate, timeout, what, interval=0.5):
    """Polls `predicate` until it returns something true; returns it, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def series(text, name):
    """{labels text: value} of the samples of metric `name` in Prometheus text."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            out[key[len(name):]] = float(value)
    return out


def contains(stored, expected):
    """`stored` holds everything `expected` says (the apiserver adds defaults around it)."""
    if isinstance(expected, dict):
        return isinstance(stored, dict) and all(k in stored and contains(stored[k], v) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(stored, list) and len(stored) == len(expected) and all(map(contains, stored, expected))
    return stored == expected


def at(document, pointer):
    """The value an RFC 6901 pointer names in a decoded document (KeyError or IndexError when none)."""
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def kubeconfig_or_none():
    value = os.environ.get("KUBECONFIG", "")
    return value if value and pathlib.Path(value.split(":")[0]).exists() else None
