"""Writes Swift SchemaObject declarations for the Pod types a policy sets, from the apiserver's
/openapi/v3/api/v1 document (a JSON file): exactly its fields, types and required members.

    python3 pod_schema_swift.py openapi-v1.json PodSecurityContext,SecurityContext,EnvVar,...

prints the objects those types need, in dependency order, leaving out the ones PodSchema.swift
declares by hand (EXISTING). Sources/Policy/Schema/PodSchemaTypes.swift is its output."""
import json, sys

doc = json.load(open(sys.argv[1]))["components"]["schemas"]
ROOTS = sys.argv[2].split(",")
EXISTING = {"LabelSelector": "labelSelector", "LabelSelectorRequirement": "labelSelectorRequirement",
            "ExecAction": "execAction", "HTTPGetAction": "httpGetAction", "TCPSocketAction": "tcpSocketAction",
            "HTTPHeader": "httpHeader", "GRPCAction": "grpcAction", "Probe": "probe", "Toleration": "toleration",
            "NodeSelectorRequirement": "nodeSelectorRequirement", "NodeSelectorTerm": "nodeSelectorTerm"}
SCALARS = {"Quantity": ".quantity", "Time": ".time", "FieldsV1": ".fieldsV1"}

def ident(name):
    for i, c in enumerate(name):
        if c.islower():
            k = max(i - 1, 1)
            return name[:k].lower() + name[k:]
    return name.lower()

def find(name):
    for p in ("io.k8s.api.core.v1.", "io.k8s.apimachinery.pkg.apis.meta.v1.", "io.k8s.apimachinery.pkg.api.resource."):
        if p + name in doc:
            return doc[p + name]
    raise KeyError(name)

order, seen = [], set()
def ftype(prop):
    if prop.get("x-kubernetes-int-or-string"):
        return ".intOrString"
    ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("allOf", []) if "$ref" in a), None)
    if ref:
        name = ref.rsplit(".", 1)[1]
        if name == "IntOrString": return ".intOrString"
        if name in SCALARS: return SCALARS[name]
        visit(name)
        return f".object({EXISTING.get(name, ident(name))})"
    t = prop.get("type")
    if t == "string": return ".string"
    if t == "boolean": return ".boolean"
    if t == "integer": return ".int32" if prop.get("format") == "int32" else ".int64"
    if t == "array": return f".list({ftype(prop['items'])})"
    if t == "object": return f".map({ftype(prop['additionalProperties'])})"
    raise ValueError(prop)

def visit(name):
    if name in seen: return
    seen.add(name)
    s = find(name)
    fields = [(f, ftype(p)) for f, p in s["properties"].items()]
    if name not in EXISTING:
        order.append((name, fields, s.get("required", [])))

for r in ROOTS: visit(r)
out = []
for name, fields, required in order:
    head = f'    static let {ident(name)} = SchemaObject("{name}", ['
    req = f", required: {json.dumps(required)}" if required else ""
    items = [f'("{f}", {t})' for f, t in fields]
    one = head + ", ".join(items) + "]" + req + ")"
    if len(one) <= 140:
        out.append(one)
        continue
    lines, line = [head], "       "
    for item in items:
        if len(line) + len(item) + 2 > 130:
            lines.append(line.rstrip())
            line = "       "
        line += " " + item + ","
    lines.append(line)
    lines.append("    ]" + req + ")")
    out.append("\n".join(lines))
print("\n".join(out))
