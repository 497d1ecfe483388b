"""The deployment manifests: rendered offline with `kubectl kustomize`, validated against the
Kubernetes schema (kubernetes-validate, strict), and checked for what a production webhook needs."""
import base64
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from conftest import BIN, ROOT, render_manifests

KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) is not installed")


def render(path):
    out = subprocess.run(["kubectl", "kustomize", str(path)], check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    assert found, kind
    return found[0]


@pytest.fixture(scope="module")
def base(certs, tmp_path_factory):
    return [d for d in yaml.safe_load_all(render_manifests(certs, tmp_path_factory.mktemp("manifests"))) if d]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_base_validates_against_the_kubernetes_schema(base, version):
    assert {d["kind"] for d in base} == {"Namespace", "ServiceAccount", "ConfigMap", "Secret", "Service", "PriorityClass", "Deployment",
                                         "PodDisruptionBudget", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
    for doc in base:
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_broken_manifest_is_caught_by_the_validator(base):
    deployment = by_kind(base, "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_deployment_is_hardened_and_highly_available(base):
    d = by_kind(base, "Deployment")
    pod = d["spec"]["template"]["spec"]
    assert d["spec"]["replicas"] == 2
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert any(c["topologyKey"] == "kubernetes.io/hostname" for c in pod["topologySpreadConstraints"])
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz" and c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
    assert by_kind(base, "ServiceAccount")["automountServiceAccountToken"] is False
    assert by_kind(base, "PodDisruptionBudget")["spec"]["minAvailable"] == 1
    svc = by_kind(base, "Service")["spec"]["ports"][0]
    assert svc["port"] == 443 and svc["targetPort"] == "https"
    assert {"name": "https", "containerPort": 8443, "protocol": "TCP"} in c["ports"]


def test_deployment_flags_are_ones_sparkhook_serve_accepts(base):
    c = by_kind(base, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert c["args"][0] == "serve"
    helptext = subprocess.run([str(BIN / "sparkhook"), "serve", "--help"], capture_output=True, text=True).stdout
    for arg in c["args"][1:]:
        assert arg.split("=")[0] in helptext, arg


def test_webhook_configuration(base, certs):
    w = by_kind(base, "MutatingWebhookConfiguration")["webhooks"][0]
    assert set(w["admissionReviewVersions"]) == {"v1", "v1beta1"}
    assert w["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "Namespaced"}]
    assert w["objectSelector"]["matchExpressions"][0]["key"] == "spark-role"
    excluded = w["namespaceSelector"]["matchExpressions"][0]
    assert excluded["operator"] == "NotIn" and {"sparkhook-system", "kube-system"} <= set(excluded["values"])
    assert w["sideEffects"] == "None" and w["reinvocationPolicy"] == "IfNeeded"
    assert w["timeoutSeconds"] <= 5 and w["failurePolicy"] in ("Ignore", "Fail")
    assert w["clientConfig"]["service"] == {"name": "sparkhook", "namespace": "sparkhook-system", "path": "/mutate", "port": 443}
    assert base64.b64decode(w["clientConfig"]["caBundle"]) == (certs / "ca.crt").read_bytes()


def test_policy_configmap_is_the_production_example_and_valid(base, tmp_path):
    policy = by_kind(base, "ConfigMap")["data"]["policy.yaml"]
    assert policy == (ROOT / "examples" / "production.yaml").read_text()
    f = tmp_path / "policy.yaml"
    f.write_text(policy)
    subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(f)], check=True, capture_output=True)


def test_priority_classes_put_drivers_above_executors(base):
    classes = {d["metadata"]["name"]: d["value"] for d in base if d["kind"] == "PriorityClass"}
    assert classes["spark-driver-critical"] > classes["spark-executor"]


def test_executors_never_preempt_and_drivers_do(base):
    # A class is cluster-wide: an executor class that preempts lets every Spark job evict other
    # teams' pods with no class (Tests/e2e/scenarios/production-preemption-other-teams.yaml).
    policies = {d["metadata"]["name"]: d.get("preemptionPolicy", "PreemptLowerPriority") for d in base if d["kind"] == "PriorityClass"}
    assert policies == {"spark-driver-critical": "PreemptLowerPriority", "spark-executor": "Never"}


def test_the_deployment_names_the_priority_classes_the_manifests_create(base):
    deployment = by_kind(base, "Deployment")
    [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "sparkhook"]
    [flag] = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--priority-classes=")]
    assert set(flag.split(",")) == {d["metadata"]["name"] for d in base if d["kind"] == "PriorityClass"}


def test_cert_manager_overlay(certs):
    docs = render(ROOT / "manifests" / "overlays" / "cert-manager")
    for doc in docs:
        if doc["apiVersion"].startswith("cert-manager.io/"):
            continue  # a CRD: not in the Kubernetes schema
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
    webhook = by_kind(docs, "MutatingWebhookConfiguration")
    assert webhook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "sparkhook-system/sparkhook-tls"
    assert "caBundle" not in webhook["webhooks"][0]["clientConfig"]
    cert = next(d for d in docs if d["kind"] == "Certificate" and d["metadata"]["name"] == "sparkhook-tls")
    assert cert["spec"]["secretName"] == "sparkhook-tls"
    assert "sparkhook.sparkhook-system.svc" in cert["spec"]["dnsNames"]


def test_inject_ca_refuses_a_missing_ca(tmp_path):
    out = subprocess.run([str(ROOT / "certs" / "inject-ca.sh"), str(tmp_path / "none.crt")], input="caBundle: \"\"\n",
                         capture_output=True, text=True)
    assert out.returncode == 1 and "no CA certificate" in out.stderr


def test_without_the_certificates_the_manifests_refuse_to_render_naming_the_file(tmp_path):
    """The plain `kubectl apply -k manifests` of a fresh checkout fails, naming manifests/tls/,
    instead of registering webhooks with an empty caBundle that every call fails open on."""
    import shutil
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests", ignore=shutil.ignore_patterns("*.crt", "*.key"))
    out = subprocess.run(["kubectl", "kustomize", str(tmp_path / "manifests")], capture_output=True, text=True)
    assert out.returncode != 0
    assert "tls/tls.crt" in out.stderr or "tls/ca.crt" in out.stderr, out.stderr


def test_the_ca_and_the_serving_pair_go_where_the_apiserver_and_the_pods_read_them(base, certs):
    secret = by_kind(base, "Secret")
    assert (secret["metadata"]["name"], secret["metadata"]["namespace"]) == ("sparkhook-tls", "sparkhook-system")
    assert secret["type"] == "kubernetes.io/tls"
    for name in ("tls.crt", "tls.key", "ca.crt"):
        assert base64.b64decode(secret["data"][name]) == (certs / name).read_bytes()
    deployment = by_kind(base, "Deployment")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert {"name": "tls", "secret": {"secretName": "sparkhook-tls"}} in volumes
    bundles = [w["clientConfig"]["caBundle"] for d in base if d["kind"].endswith("WebhookConfiguration") for w in d["webhooks"]]
    assert len(bundles) == 4
    for bundle in bundles:
        assert base64.b64decode(bundle) == (certs / "ca.crt").read_bytes()


def test_the_image_tag_is_the_version_the_source_declares(base):
    import re
    version = re.search(r'version = "([^"]+)"', (ROOT / "Sources/Webhook/Build.swift").read_text()).group(1)
    [container] = by_kind(base, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"sparkhook:{version}"
    out = subprocess.run([str(BIN / "sparkhook"), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == version
    # The cert-manager overlay runs the same image.
    overlay = by_kind(render(ROOT / "manifests" / "overlays" / "cert-manager"), "Deployment")
    assert overlay["spec"]["template"]["spec"]["containers"][0]["image"] == container["image"]
