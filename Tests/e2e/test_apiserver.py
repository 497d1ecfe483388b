"""What a real kube-apiserver stores with sparkhook registered: every example policy on pods shaped
like the fixtures, the split of executors, priority classes resolved (a globalDefault one too),
creators' values kept or replaced, reinvocation behind another mutator, failure policies, and the
manifests. Skipped, saying why, without KUBEBUILDER_ASSETS (see apiserver.py)."""
import json
import subprocess

import pytest
import yaml

from conftest import BIN, FIXTURES, ROOT, counter_sum, metrics_text
from test_webhook import serve

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PODS = ["driver-operator.json", "executor-operator.json", "driver-submit.json", "executor-submit.json", "driver-connect.json"]
# The shipped classes: the stored pods must show what they resolve to (executors never preempt).
CLASSES = {d["metadata"]["name"]: (d["value"], d["preemptionPolicy"])
           for d in yaml.safe_load_all((ROOT / "manifests" / "base" / "priorityclasses.yaml").read_text())}


def creatable(fixture, name=None, exec_id=None):
    """The fixture's pod as its creator sent it: without what the apiserver and built-in admission add."""
    pod = json.loads((FIXTURES / fixture).read_text())["request"]["object"]
    meta = pod["metadata"]
    for key in ("managedFields", "uid", "creationTimestamp", "resourceVersion", "namespace", "generateName"):
        meta.pop(key, None)
    pod.pop("status", None)
    for key in ("priority", "preemptionPolicy"):
        pod["spec"].pop(key, None)
    if name:
        meta["name"] = name
    if exec_id is not None:
        meta["labels"]["spark-exec-id"] = str(exec_id)
    return pod


def review(pod, namespace):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "expected", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": namespace,
                        "operation": "CREATE", "object": pod}}


def preview(policy, pod, namespace):
    out = subprocess.run([str(BIN / "sparkhook"), "preview", "--policy", str(policy), "-"], input=json.dumps(review(pod, namespace)),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main_container(pod):
    containers = pod["spec"]["containers"]
    named = [c for c in containers if c["name"] in ("spark-kubernetes-driver", "spark-kubernetes-executor")]
    return (named or containers)[-1]


def spec(field):
    return lambda pod: pod["spec"].get(field)


def spark_container(field):
    return lambda pod: main_container(pod).get(field)


# Where each field a rule may set (`sparkhook schema --set`, SetField in Sources) is stored, to
# compare stored pods with what preview says; a test below fails while a field is missing here.
SET_FIELDS = {
    "priorityClassName": spec("priorityClassName"),
    "schedulerName": spec("schedulerName"),
    "terminationGracePeriodSeconds": spec("terminationGracePeriodSeconds"),
    "labels": lambda pod: pod["metadata"].get("labels"),
    "annotations": lambda pod: pod["metadata"].get("annotations"),
    "nodeSelector": spec("nodeSelector"),
    "tolerations": spec("tolerations"),
    "topologySpreadConstraints": spec("topologySpreadConstraints"),
    "affinity": spec("affinity"),
    "probes": lambda pod: {k: main_container(pod).get(k) for k in ("livenessProbe", "readinessProbe", "startupProbe")},
    "securityContext": spec("securityContext"),
    "containerSecurityContext": spark_container("securityContext"),
    "env": spark_container("env"),
    "volumes": spec("volumes"),
    "volumeMounts": spark_container("volumeMounts"),
    "runtimeClassName": spec("runtimeClassName"),
    "imagePullSecrets": spec("imagePullSecrets"),
    "dnsConfig": spec("dnsConfig"),
    "hostAliases": spec("hostAliases"),
    "lifecycle": spark_container("lifecycle"),
}
# Those the apiserver completes with its defaults after us (a probe's periodSeconds, a volume's
# defaultMode, a fieldRef's apiVersion, a hook's scheme): what preview says must be in what it stores.
DEFAULTED = {"probes", "env", "volumes", "lifecycle"}


def placement(pod):
    """The fields sparkhook promises, as stored."""
    return {field: read(pod) for field, read in SET_FIELDS.items()} | {
        "applied": pod["metadata"].get("annotations", {}).get("sparkhook.io/applied")}


def test_every_field_a_rule_sets_is_compared_as_stored():
    """SET_FIELDS names exactly the fields a rule may set: a field added to sparkhook is compared
    with what the apiserver stores before this passes."""
    out = subprocess.run([str(BIN / "sparkhook"), "schema", "--set"], capture_output=True, text=True, check=True).stdout
    assert sorted(SET_FIELDS) == sorted(json.loads(out))


@pytest.fixture(scope="module")
def cluster(apiserver):
    for name, (value, preemption) in CLASSES.items():
        apiserver.create("/apis/scheduling.k8s.io/v1/priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, "preemptionPolicy": preemption}, expect=(201, 409))
    apiserver.namespace("spark-jobs")
    apiserver.namespace("unhooked", hooked=False)
    return apiserver


def hooked(cluster, certs, policy, failure_policy="Fail"):
    """sparkhook serving `policy`, registered with the apiserver, and known to be in effect."""
    server = serve(certs, policy)
    registration = cluster.webhook(server.port, certs / "ca.crt", failure_policy=failure_policy)
    registration.__enter__()
    probe = creatable("driver-submit.json", name="probe")
    cluster.wait_for_webhook("spark-jobs", probe, lambda: mutate_calls(server, certs) > 0)
    return server, registration


def mutate_calls(server, certs):
    return counter_sum(metrics_text(server, certs), 'sparkhook_requests_total{endpoint="mutate"')


def subset(small, big):
    """True when every field of `small` is in `big` with the same value (the apiserver adds defaults)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list):
        return isinstance(big, list) and len(small) == len(big) and all(subset(a, b) for a, b in zip(small, big))
    return small == big


def unhook(server, registration):
    registration.__exit__(None, None, None)
    assert server.stop() == 0


def as_admission_sees_it(cluster, pod):
    """The pod after built-in admission alone (dry run in a namespace the webhook skips)."""
    status, out, _ = cluster.create_pod("unhooked", pod, dry_run=True)
    assert status == 201, out
    return out


@pytest.mark.parametrize("policy", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_stored_as_preview_says(cluster, certs, policy):
    server, registration = hooked(cluster, certs, policy)
    try:
        for i, fixture in enumerate(PODS):
            pod = creatable(fixture, name=f"{policy.stem}-{i}")
            expected = preview(policy, as_admission_sees_it(cluster, pod), "spark-jobs")
            status, stored, warnings = cluster.create_pod("spark-jobs", pod)
            assert status == 201, stored
            mine, theirs = placement(stored), placement(expected["pod"])
            for field in DEFAULTED:
                assert subset(theirs.pop(field), mine.pop(field)), (fixture, field)
            assert mine == theirs, fixture
            applied = ",".join(a["rule"] + (f"/{a['variant']}" if a["variant"] else "") for a in expected["applied"])
            assert stored["metadata"].get("annotations", {}).get("sparkhook.io/applied") == (applied or None)
            name = stored["spec"].get("priorityClassName")
            if name in CLASSES:  # the apiserver resolved the new class after us
                assert (stored["spec"]["priority"], stored["spec"]["preemptionPolicy"]) == CLASSES[name]
            assert [w for w in warnings if "sparkhook" in w] == expected["warnings"]
    finally:
        unhook(server, registration)


def test_executors_split_by_exec_id_as_stored(cluster, certs):
    policy = ROOT / "examples" / "production.yaml"
    server, registration = hooked(cluster, certs, policy)
    try:
        variants = []
        for exec_id in range(1, 31):
            status, stored, _ = cluster.create_pod("spark-jobs", creatable("executor-operator.json", name=f"split-exec-{exec_id}", exec_id=exec_id))
            assert status == 201, stored
            variant = stored["metadata"]["annotations"]["sparkhook.io/applied"].split("executor-mix/")[1].split(",")[0]
            variants.append(variant)
            assert (stored["spec"]["priorityClassName"], stored["spec"]["priority"]) == ("spark-executor", 1000)
            if variant == "spot":  # spot preferred, on-demand as the fallback: no hard selector
                assert "nodeSelector" not in stored["spec"], stored["spec"]["nodeSelector"]
                preferred = stored["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
                assert preferred[0]["preference"]["matchExpressions"][0]["values"] == ["spot"]
                assert any(t.get("value") == "spot" for t in stored["spec"]["tolerations"])
            else:
                assert stored["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "on-demand"}
            assert stored["spec"]["terminationGracePeriodSeconds"] == 120
        assert variants[:2] == ["on-demand", "on-demand"], "the base: the first two executors on on-demand"
        for n in range(1, len(variants) - 1):
            spot = variants[2:2 + n].count("spot")
            assert abs(spot - 0.4 * n) <= 1, (n, variants)
    finally:
        unhook(server, registration)


def test_executors_of_sparks_deployment_allocator_are_stored_on_the_fallback_and_counted(cluster, certs):
    """Spark 4.2's deployment allocator: a ReplicaSet creates every executor from one template,
    `spark-exec-id: EXECID`, by generateName. Each one is created (never refused), stored on the
    split's base variant with a warning saying why, and counted in sparkhook_split_fallbacks_total."""
    policy = ROOT / "examples" / "production.yaml"
    server, registration = hooked(cluster, certs, policy)
    try:
        template = creatable("allocators/executor-deployment.json")
        template["metadata"].pop("name", None)
        template["metadata"]["generateName"] = json.loads((FIXTURES / "allocators" / "executor-deployment.json").read_text())[
            "request"]["object"]["metadata"]["generateName"]
        names = set()
        for _ in range(5):
            status, stored, warnings = cluster.create_pod("spark-jobs", template)
            assert status == 201, stored
            names.add(stored["metadata"]["name"])
            assert stored["metadata"]["labels"]["spark-exec-id"] == "EXECID"
            assert stored["metadata"]["annotations"]["sparkhook.io/applied"] == "executor-priority,executor-mix/on-demand,executor-zone-spread"
            assert stored["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "on-demand"}
            assert any("Spark's deployment allocator gives an executor its id only when it starts" in w for w in warnings), warnings
        assert len(names) == 5
        text = metrics_text(server, certs)
        assert 'sparkhook_split_fallbacks_total{rule="executor-mix",variant="on-demand"} 5' in text.splitlines()
    finally:
        unhook(server, registration)


def test_creators_values_are_kept_with_a_warning_unless_override(cluster, certs, tmp_path):
    keep = tmp_path / "keep.yaml"
    rules = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: t}
spec:
  rules:
    - name: place
      match: {roles: [driver]}
      OVERRIDE
      set:
        priorityClassName: spark-driver-critical
        nodeSelector: {karpenter.sh/capacity-type: on-demand, pool: spark}
        topologySpreadConstraints:
          - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
        probes:
          liveness: {tcpSocket: {port: 7078}, periodSeconds: 20}
"""
    keep.write_text(rules.replace("OVERRIDE", "override: false"))
    force = tmp_path / "force.yaml"
    force.write_text(rules.replace("OVERRIDE", "override: true"))
    pod = creatable("driver-operator.json")
    pod["spec"]["priorityClassName"] = "spark-executor"
    pod["spec"]["nodeSelector"] = {"karpenter.sh/capacity-type": "spot"}
    pod["spec"]["topologySpreadConstraints"] = [{"maxSkew": 3, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}]
    main_container(pod)["livenessProbe"] = {"httpGet": {"path": "/mine", "port": 4040}}

    server, registration = hooked(cluster, certs, keep)
    try:
        pod["metadata"]["name"] = "creator-keep"
        status, stored, warnings = cluster.create_pod("spark-jobs", pod)
        assert status == 201, stored
        assert stored["spec"]["priorityClassName"] == "spark-executor" and stored["spec"]["priority"] == 1000
        # nodeSelector is atomic: every key the creator set is the creator's.
        assert stored["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "spot", "pool": "spark"}
        assert stored["spec"]["topologySpreadConstraints"][0]["maxSkew"] == 3
        assert main_container(stored)["livenessProbe"]["httpGet"]["path"] == "/mine"
        kept = [w for w in warnings if w.startswith("sparkhook: rule place: kept")]
        assert len(kept) == 4 and any('nodeSelector karpenter.sh/capacity-type "spot"' in w for w in kept), warnings
    finally:
        unhook(server, registration)
    server, registration = hooked(cluster, certs, force)
    try:
        pod["metadata"]["name"] = "creator-force"
        status, stored, warnings = cluster.create_pod("spark-jobs", pod)
        assert status == 201, stored
        assert stored["spec"]["priorityClassName"] == "spark-driver-critical" and stored["spec"]["priority"] == 1_000_000
        assert stored["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "on-demand", "pool": "spark"}
        assert main_container(stored)["livenessProbe"]["tcpSocket"]["port"] == 7078
        assert not [w for w in warnings if "kept" in w]
    finally:
        unhook(server, registration)


def test_a_global_default_class_is_replaced_and_resolved(cluster, certs):
    path = "/apis/scheduling.k8s.io/v1/priorityclasses"
    cluster.create(path, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "spark-default"},
                          "value": 100, "preemptionPolicy": "Never", "globalDefault": True}, expect=(201, 409))
    server, registration = hooked(cluster, certs, ROOT / "examples" / "priorities.yaml")
    try:
        for fixture, cls in [("driver-submit.json", "spark-driver-critical"), ("executor-submit.json", "spark-executor")]:
            pod = creatable(fixture, name=f"globaldefault-{cls}")
            assert as_admission_sees_it(cluster, pod)["spec"]["priorityClassName"] == "spark-default"
            status, stored, warnings = cluster.create_pod("spark-jobs", pod)
            assert status == 201, stored
            assert stored["spec"]["priorityClassName"] == cls
            assert (stored["spec"]["priority"], stored["spec"]["preemptionPolicy"]) == CLASSES[cls]
            assert not [w for w in warnings if "sparkhook" in w]
    finally:
        unhook(server, registration)
        cluster.delete(f"{path}/spark-default")


def test_reinvocation_behind_another_mutator_keeps_our_placement(cluster, certs):
    api = "/apis/admissionregistration.k8s.io/v1"
    cluster.create(f"{api}/mutatingadmissionpolicies", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicy", "metadata": {"name": "team-label"},
        "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]},
                 "matchConditions": [{"name": "spark", "expression": "has(object.metadata.labels) && 'spark-role' in object.metadata.labels"}],
                 "failurePolicy": "Fail", "reinvocationPolicy": "IfNeeded",
                 "mutations": [{"patchType": "ApplyConfiguration", "applyConfiguration": {
                     "expression": "Object{metadata: Object.metadata{labels: {'team': 'data'}}}"}}]}})
    cluster.create(f"{api}/mutatingadmissionpolicybindings", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicyBinding", "metadata": {"name": "team-label"},
        "spec": {"policyName": "team-label"}})
    server, registration = hooked(cluster, certs, ROOT / "examples" / "production.yaml")
    try:
        import time
        deadline = time.monotonic() + 20
        while True:  # the policy takes effect within a second or so
            status, out, _ = cluster.create_pod("spark-jobs", creatable("driver-operator.json", name="reinvoke-probe"), dry_run=True)
            if out.get("metadata", {}).get("labels", {}).get("team") == "data" or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        status, stored, _ = cluster.create_pod("spark-jobs", creatable("driver-operator.json", name="reinvoked"))
        assert status == 201, stored
        assert stored["metadata"]["labels"]["team"] == "data"
        assert stored["spec"]["priorityClassName"] == "spark-driver-critical" and stored["spec"]["priority"] == 1_000_000
        assert stored["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
        assert stored["spec"]["nodeSelector"] == {"karpenter.sh/capacity-type": "on-demand"}
        assert stored["metadata"]["annotations"]["sparkhook.io/applied"].startswith("driver-priority,driver-on-demand")
    finally:
        unhook(server, registration)
        cluster.delete(f"{api}/mutatingadmissionpolicybindings/team-label")
        cluster.delete(f"{api}/mutatingadmissionpolicies/team-label")


@pytest.mark.parametrize("failure_policy", ["Ignore", "Fail"])
def test_a_stopped_sparkhook_under_each_failure_policy(cluster, certs, failure_policy):
    server, registration = hooked(cluster, certs, ROOT / "examples" / "production.yaml", failure_policy=failure_policy)
    try:
        assert server.stop() == 0
        status, out, _ = cluster.create_pod("spark-jobs", creatable("driver-submit.json", name=f"stopped-{failure_policy.lower()}"))
        if failure_policy == "Ignore":
            assert status == 201 and "sparkhook.io/applied" not in out["metadata"].get("annotations", {})
            assert "priorityClassName" not in out["spec"]
        else:
            assert status == 500 and 'failed calling webhook "sparkhook.sparkhook.io"' in out["message"], out
        # The apiserver's own view, which manifests/monitoring alerts on: these names, this label.
        metric = "apiserver_admission_webhook_fail_open_count" if failure_policy == "Ignore" else "apiserver_admission_webhook_rejection_count"
        _, text = cluster.request("GET", "/metrics", content_type="text/plain")
        assert any(line.startswith(metric + "{") and 'name="sparkhook.sparkhook.io"' in line for line in text.splitlines()), metric
    finally:
        registration.__exit__(None, None, None)


LOOKALIKES = [".5", "1e3", "0x10", "0o17", "+inf", ".nan", "yes", "no", "on", "off", "~", "null", "010", "1_000",
              "1e999", "0x1p3", '"with \\"escapes\\" and é"', "'single é'"]


def test_lookalike_scalars_are_refused_by_check_or_stored_as_written(cluster, certs, tmp_path):
    """Bug 1 as a family: a YAML scalar that looks like another type, in a string or an integer
    field of `set`, is either refused by `check` at its file:line:column, or reaches the stored
    pod as the value written. Never a pod the apiserver refuses."""
    folder = tmp_path / "policy"
    folder.mkdir()
    template = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: lookalikes}
spec:
  rules:
    - name: probes
      match: {roles: [driver]}
      set:
        probes:
          liveness: {httpGet: {path: /, port: 4040, host: @S@, httpHeaders: [{name: x, value: @S@}]}, periodSeconds: @N@}
          readiness: {exec: {command: [sh, @S@]}}
"""
    (folder / "policy.yaml").write_text(template.replace("@S@", "x").replace("@N@", "10"))
    server = serve(certs, folder)
    registration = cluster.webhook(server.port, certs / "ca.crt")
    registration.__enter__()
    try:
        cluster.wait_for_webhook("spark-jobs", creatable("driver-submit.json", name="probe"), lambda: mutate_calls(server, certs) > 0)
        generation = 1
        accepted = refused = 0
        for i, s in enumerate(LOOKALIKES):
            for field, text in [("string", template.replace("@S@", s).replace("@N@", "10")), ("integer", template.replace("@S@", "x").replace("@N@", s))]:
                candidate = tmp_path / f"candidate-{i}-{field}.yaml"
                candidate.write_text(text)
                check = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(candidate)], capture_output=True, text=True)
                if check.returncode != 0:
                    refused += 1
                    assert check.stderr.startswith(f"{candidate}:10:") or check.stderr.startswith(f"{candidate}:11:"), check.stderr
                    continue
                accepted += 1
                written = s[1:-1].replace('\\"', '"') if s[0] in "\"'" else s  # the text as written
                (folder / "policy.yaml").write_text(text)
                generation += 1
                server.wait_for_log(lambda e: e.get("msg") == "policy reloaded" and e.get("generation") == str(generation))
                status, stored, warnings = cluster.create_pod("spark-jobs", creatable("driver-submit.json", name=f"lookalike-{i}-{field}"))
                assert status == 201, (s, field, stored)
                c = main_container(stored)
                assert c["livenessProbe"]["httpGet"]["host"] == (written if field == "string" else "x"), s
                assert c["livenessProbe"]["httpGet"]["httpHeaders"][0]["value"] == (written if field == "string" else "x"), s
                assert c["readinessProbe"]["exec"]["command"] == ["sh", written if field == "string" else "x"], s
                assert not [w for w in warnings if "internal error" in w], warnings
        # Strings keep every lookalike but a null; integer fields take none of them.
        assert accepted == len(LOOKALIKES) - 2 and refused == len(LOOKALIKES) + 2, (accepted, refused)
    finally:
        registration.__exit__(None, None, None)
        assert server.stop() == 0


def test_the_manifests_pass_the_apiserver_and_apply(cluster, certs, tmp_path):
    """`kubectl kustomize manifests` with manifests/tls filled, and the cert-manager overlay without its
    cert-manager kinds: accepted by --dry-run=server, then applied for real (the Deployment stays
    unscheduled: there is no kubelet), and the webhook configuration stored with its caBundle."""
    import base64
    import shutil
    import yaml
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with kustomize) is not installed")
    kubectl = ["kubectl", "--kubeconfig", str(cluster.kubeconfig())]
    from conftest import render_manifests
    base = render_manifests(certs, tmp_path)
    overlay = subprocess.run(["kubectl", "kustomize", str(ROOT / "manifests" / "overlays" / "cert-manager")], check=True,
                             capture_output=True, text=True).stdout
    overlay_docs = [d for d in yaml.safe_load_all(overlay) if d and not d["apiVersion"].startswith("cert-manager.io/")]
    assert len(overlay_docs) < len([d for d in yaml.safe_load_all(overlay) if d]), "the overlay has cert-manager kinds to leave out"
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "overlay.yaml").write_text(yaml.safe_dump_all(overlay_docs))
    # As the README deploys: the namespace first (a server dry run creates nothing, so objects in a
    # namespace the same file creates would not be found).
    cluster.namespace("sparkhook-system")
    try:
        for name in ("base.yaml", "overlay.yaml"):
            out = subprocess.run(kubectl + ["apply", "--dry-run=server", "-f", str(tmp_path / name)], capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
            assert "(server dry run)" in out.stdout
        out = subprocess.run(kubectl + ["apply", "-f", str(tmp_path / "base.yaml")], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        status, config = cluster.request("GET", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sparkhook")
        assert status == 200, config
        assert base64.b64decode(config["webhooks"][0]["clientConfig"]["caBundle"]) == (certs / "ca.crt").read_bytes()
        status, deployment = cluster.request("GET", "/apis/apps/v1/namespaces/sparkhook-system/deployments/sparkhook")
        assert status == 200 and deployment["spec"]["replicas"] == 2
    finally:
        # The configuration calls a Service with no endpoints: leave no webhook behind for other tests.
        subprocess.run(kubectl + ["delete", "--ignore-not-found", "mutatingwebhookconfiguration", "sparkhook"], capture_output=True)
        subprocess.run(kubectl + ["delete", "--ignore-not-found", "validatingwebhookconfiguration", "sparkhook-policy"], capture_output=True)


def test_the_pod_schema_we_check_against_is_the_apiservers(cluster):
    """Every object type sparkhook types policy values by has exactly the apiserver's fields, types
    and required members (its /openapi/v3/api/v1): the authority, for the Kubernetes version the
    tests run."""
    status, document = cluster.request("GET", "/openapi/v3/api/v1")
    assert status == 200
    schemas = document["components"]["schemas"]
    ours = json.loads(subprocess.run([str(BIN / "sparkhook"), "schema"], capture_output=True, text=True, check=True).stdout)

    def find(name):
        for prefix in ("io.k8s.api.core.v1.", "io.k8s.apimachinery.pkg.apis.meta.v1."):
            if prefix + name in schemas:
                return schemas[prefix + name]
        raise AssertionError(f"no {name} in the apiserver's schema")

    def theirs(prop):
        if prop.get("x-kubernetes-int-or-string"):
            return "int-or-string"
        ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("allOf", []) if "$ref" in a), None)
        if ref:
            name = ref.rsplit(".", 1)[1]
            return "int-or-string" if name == "IntOrString" else name
        kind = prop.get("type")
        if kind == "integer":
            return prop.get("format", "int64")
        if kind == "array":
            return {"list": theirs(prop["items"])}
        if kind == "object":
            return {"map": theirs(prop["additionalProperties"])}
        return kind

    assert set(ours) >= {"Probe", "Toleration", "TopologySpreadConstraint", "LabelSelector", "HTTPGetAction", "PodSecurityContext",
                         "SecurityContext", "EnvVar", "Volume", "VolumeMount", "LocalObjectReference", "PodDNSConfig", "HostAlias", "Lifecycle"}
    for name, ours_object in ours.items():
        schema = find(name)
        expected = {field: theirs(prop) for field, prop in schema["properties"].items()}
        assert ours_object["fields"] == expected, name
        assert sorted(ours_object["required"]) == sorted(schema.get("required", [])), name


def test_scheduler_labels_annotations_grace_and_exclude_as_stored(cluster, certs, tmp_path):
    """The second round's simple fields through the real apiserver: its own defaults
    (default-scheduler, a grace period of 30) are replaced though managedFields list them as the
    creator's; a creator's own values are kept with a warning; `exclude` skips opted-out pods."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("""apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: batch}
spec:
  rules:
    - name: queue
      match: {roles: [driver]}
      exclude: {podLabels: {sparkhook.io/opt-out: "true"}}
      set:
        schedulerName: volcano
        terminationGracePeriodSeconds: 120
        labels: {team: payments, sparkhook.io/protected: "true"}
        annotations: {scheduling.volcano.sh/queue-name: spark}
""")
    server, registration = hooked(cluster, certs, policy)
    try:
        plain = creatable("driver-operator.json", name="batch-plain")
        assert "schedulerName" not in plain["spec"] or plain["spec"]["schedulerName"] == "default-scheduler"
        plain["spec"].pop("schedulerName", None)
        plain["spec"].pop("terminationGracePeriodSeconds", None)
        status, stored, warnings = cluster.create_pod("spark-jobs", plain)
        assert status == 201, stored
        assert stored["spec"]["schedulerName"] == "volcano" and stored["spec"]["terminationGracePeriodSeconds"] == 120
        assert stored["metadata"]["labels"]["team"] == "payments" and stored["metadata"]["labels"]["sparkhook.io/protected"] == "true"
        assert stored["metadata"]["annotations"]["scheduling.volcano.sh/queue-name"] == "spark"
        assert not [w for w in warnings if "sparkhook" in w], warnings

        own = creatable("driver-operator.json", name="batch-own")
        own["spec"]["schedulerName"] = "yunikorn"
        own["spec"]["terminationGracePeriodSeconds"] = 45
        own["metadata"]["labels"]["team"] = "search"
        status, stored, warnings = cluster.create_pod("spark-jobs", own)
        assert status == 201, stored
        assert stored["spec"]["schedulerName"] == "yunikorn" and stored["spec"]["terminationGracePeriodSeconds"] == 45
        assert stored["metadata"]["labels"]["team"] == "search" and stored["metadata"]["labels"]["sparkhook.io/protected"] == "true"
        assert sorted(w.split(": kept ")[1].split(" ")[0] for w in warnings if ": kept " in w) == ["label", "schedulerName", "terminationGracePeriodSeconds"]

        opted = creatable("driver-operator.json", name="batch-opted-out")
        opted["metadata"]["labels"]["sparkhook.io/opt-out"] = "true"
        status, stored, _ = cluster.create_pod("spark-jobs", opted)
        assert status == 201, stored
        assert stored["spec"]["schedulerName"] == "default-scheduler"
        assert "sparkhook.io/applied" not in stored["metadata"].get("annotations", {})
    finally:
        unhook(server, registration)


def test_required_node_affinity_only_narrows_as_stored(cluster, certs, tmp_path):
    """A creator's required node affinity ANDed with the rule's, as the apiserver stores it; a
    conflict keeps the creator's (override: false) with the warning the client sees, or takes the
    rule's (override: true)."""
    rule = """apiVersion: sparkhook.io/v1alpha1
kind: SparkPodPolicy
metadata: {name: pool}
spec:
  rules:
    - name: pool
      match: {roles: [driver]}
      override: OVERRIDE
      set:
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms: [{matchExpressions: [{key: node-pool, operator: In, values: [spark]}]}]
"""
    def with_terms(name, *zones):
        pod = creatable("driver-operator.json", name=name)
        pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [z]}]} for z in zones]}}}
        return pod

    def terms(stored):
        return stored["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]

    pool = {"key": "node-pool", "operator": "In", "values": ["spark"]}
    for override in ("false", "true"):
        policy = tmp_path / f"pool-{override}.yaml"
        policy.write_text(rule.replace("OVERRIDE", override))
        server, registration = hooked(cluster, certs, policy)
        try:
            status, stored, _ = cluster.create_pod("spark-jobs", with_terms(f"narrow-{override}", "a", "b"))
            assert status == 201, stored
            assert terms(stored) == [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [z]}, pool]}
                                     for z in ("a", "b")], "each of the creator's terms gains the rule's requirement"
            conflicting = with_terms(f"conflict-{override}", "a")
            conflicting["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
                "matchExpressions"].append({"key": "node-pool", "operator": "In", "values": ["other"]})
            status, stored, warnings = cluster.create_pod("spark-jobs", conflicting)
            assert status == 201, stored
            if override == "false":
                assert terms(stored) == terms(conflicting)
                assert any("kept the pod's required node affinity" in w for w in warnings), warnings
            else:
                assert terms(stored) == [{"matchExpressions": [pool]}]
        finally:
            unhook(server, registration)
