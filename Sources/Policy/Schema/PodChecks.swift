// What the apiserver's validation refuses in the Pod objects a policy writes, beyond their shape:
// checked once the schema has typed them, keyed by object name. A policy `check` accepts is one
// whose patch the apiserver takes.

import JSON
import YAML

enum PodChecks {
    static let all: SchemaChecks = [
        "Toleration": toleration,
        "TopologySpreadConstraint": spreadConstraint,
        "LabelSelector": { t, d in labelSelector(t, d, labelValues: true) },
        "LabelSelectorRequirement": { t, d in setOperator(t, d, nodeOperators: false) },
        "NodeSelectorRequirement": { t, d in setOperator(t, d, nodeOperators: true) },
        "NodeSelector": { t, d in
            if let terms = t["nodeSelectorTerms"], terms.whole?.isEmpty == true { d.error(terms.node, "\(terms.path) must not be empty") }
        },
        "NodeSelectorTerm": nodeSelectorTerm,
        "PreferredSchedulingTerm": { t, d in range(t["weight"], d, "preferred term weight", 1, 100) },
        "WeightedPodAffinityTerm": { t, d in range(t["weight"], d, "\(affinityKind(t)) weight", 1, 100) },
        "PodAffinityTerm": podAffinityTerm,
        "Probe": probe,
        "HTTPGetAction": { t, d in
            port(t["port"], d, "httpGet")
            if let p = t["path"], let path = p.string, !path.hasPrefix("/") { d.error(p.node, "httpGet.path must begin with /") }
            if let s = t["scheme"], let scheme = s.string, scheme != "HTTP" && scheme != "HTTPS" {
                d.error(s.node, "httpGet.scheme must be HTTP or HTTPS, got \"\(excerpt(scheme))\"")
            }
        },
        "TCPSocketAction": { t, d in port(t["port"], d, "tcpSocket") },
        "ExecAction": { t, d in
            if let c = t["command"] {
                if c.whole?.isEmpty == true { d.error(c.node, "exec.command must not be empty") }
            } else if !t.has("command") {
                d.error(t.node, "exec needs a command")
            }
        },
        "GRPCAction": { t, d in range(t["port"], d, "grpc.port (a number: gRPC probes take no port names)", 1, 65535) },
    ]

    /// "`what` must be at least `min`, got n" (or at most `max`), at the value.
    static func range(_ t: Typed?, _ d: Diagnostics, _ what: String, _ min: Int, _ max: Int? = nil) {
        guard let t, let n = t.int else { return }
        if n < min { d.error(t.node, "\(what) must be at least \(min), got \(n)") }
        if let max, n > max { d.error(t.node, "\(what) must be at most \(max), got \(n)") }
    }

    static func labelKey(_ t: Typed?, _ d: Diagnostics, _ what: String = "label key") {
        guard let t, let key = t.string, let problem = Naming.labelKeyProblem(key) else { return }
        d.error(t.node, "\(what) \"\(excerpt(key))\" \(problem)")
    }

    /// A label map: keys as Kubernetes names them, and (for labels, not annotations) values too.
    static func labelMap(_ t: Typed?, _ d: Diagnostics, what: String = "label", labelValues: Bool) {
        for entry in t?.entries ?? [] {
            if let problem = Naming.labelKeyProblem(entry.key) { d.error(entry.keyNode, "\(what) key \"\(excerpt(entry.key))\" \(problem)") }
            if labelValues, let value = entry.value?.string, let problem = Naming.labelValueProblem(value, for: entry.key) {
                d.error(entry.keyNode, problem)
            }
        }
    }

    static func labelSelector(_ t: Typed, _ d: Diagnostics, labelValues: Bool) {
        guard labelValues else { return }
        labelMap(t["matchLabels"], d, labelValues: true)
        for requirement in t["matchExpressions"]?.items ?? [] {
            labelKey(requirement["key"], d)
            for (value, at) in requirement["values"]?.strings ?? [] {
                if let problem = Naming.labelValueProblem(value) { d.error(at.node, problem) }
            }
        }
    }

    /// The values a set-based requirement's operator takes, for label selectors and node
    /// selectors alike; node selectors also know Gt and Lt.
    static func setOperator(_ t: Typed, _ d: Diagnostics, nodeOperators: Bool) {
        guard let o = t["operator"], let op = o.string, let values = t.has("values") ? t["values"]?.whole : [] else { return }
        switch op {
        case "In", "NotIn":
            if values.isEmpty { d.error(o.node, "operator \(op) needs a non-empty values list") }
        case "Exists", "DoesNotExist":
            if !values.isEmpty { d.error(t["values"]?.node ?? o.node, "operator \(op) takes no values") }
        case "Gt" where nodeOperators, "Lt" where nodeOperators:
            if values.count != 1 || values.first?.string.flatMap(YAMLNode.decimalInteger) == nil {
                d.error(t["values"]?.node ?? o.node, "operator \(op) takes exactly one value, a decimal integer")
            }
        default:
            let known = nodeOperators ? "In, NotIn, Exists, DoesNotExist, Gt or Lt" : "In, NotIn, Exists or DoesNotExist"
            d.error(o.node, "\(nodeOperators ? "node selector operator" : "operator") must be \(known), got \"\(excerpt(op))\"")
        }
    }

    static func nodeSelectorTerm(_ t: Typed, _ d: Diagnostics) {
        let expressions = t["matchExpressions"]?.items ?? [], fields = t["matchFields"]?.items ?? []
        if expressions.isEmpty && fields.isEmpty && t.complete {
            d.error(t.node, "a node selector term needs matchExpressions or matchFields: an empty term matches no node")
        }
        for requirement in expressions { labelKey(requirement["key"], d) }
    }

    /// podAffinity or podAntiAffinity, from where the term is.
    static func affinityKind(_ t: Typed) -> String { t.path.contains("podAntiAffinity") ? "podAntiAffinity" : "podAffinity" }

    static func podAffinityTerm(_ t: Typed, _ d: Diagnostics) {
        let kind = affinityKind(t)
        labelKey(t["topologyKey"], d, "\(kind) topologyKey")
        for name in ["matchLabelKeys", "mismatchLabelKeys"] where t.has(name) {
            // The apiserver folds these into the labelSelector after admission: on reinvocation
            // the stored term would no longer equal the rule's, and it would be added again.
            d.error(t.keyNode(name)!, "\(kind) \(name) is not for a policy: the apiserver rewrites the term after admission; write the labelSelector out instead")
        }
    }

    static func toleration(_ t: Typed, _ d: Diagnostics) {
        let key = t["key"]?.string ?? ""
        if !key.isEmpty { labelKey(t["key"], d, "toleration key") }
        var op = "Equal"
        if let o = t["operator"], let text = o.string {
            if text == "Equal" || text == "Exists" { op = text } else { d.error(o.node, "toleration operator must be Exists or Equal, got \"\(excerpt(text))\"") }
        }
        if key.isEmpty && op != "Exists" { d.error(t.node, "a toleration without a key must have operator Exists") }
        if let v = t["value"], let value = v.string {
            if op == "Exists" && !value.isEmpty { d.error(v.node, "a toleration with operator Exists must not have a value") }
            if !Naming.isLabelValue(value) { d.error(v.node, "invalid toleration value \"\(excerpt(value))\": must be a valid label value") }
        }
        var effect = ""
        if let e = t["effect"], let text = e.string {
            if ["", "NoSchedule", "PreferNoSchedule", "NoExecute"].contains(text) { effect = text } else {
                d.error(e.node, "toleration effect must be NoSchedule, PreferNoSchedule or NoExecute, got \"\(excerpt(text))\"")
            }
        }
        if let s = t["tolerationSeconds"], effect != "NoExecute" { d.error(s.node, "tolerationSeconds is only valid with effect NoExecute") }
    }

    static func spreadConstraint(_ t: Typed, _ d: Diagnostics) {
        range(t["maxSkew"], d, "maxSkew", 1)
        labelKey(t["topologyKey"], d, "topologyKey")
        let when = t["whenUnsatisfiable"]?.string
        if let w = t["whenUnsatisfiable"], let when, when != "DoNotSchedule" && when != "ScheduleAnyway" {
            d.error(w.node, "whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway, got \"\(excerpt(when))\"")
        }
        if let m = t["minDomains"] {
            range(m, d, "minDomains", 1)
            if when == "ScheduleAnyway" { d.error(m.node, "minDomains is only valid with whenUnsatisfiable: DoNotSchedule") }
        }
        for (_, key) in t["matchLabelKeys"]?.strings ?? [] { labelKey(key, d) }
        for name in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
            if let p = t[name], let text = p.string, text != "Honor" && text != "Ignore" {
                d.error(p.node, "\(name) must be Honor or Ignore, got \"\(excerpt(text))\"")
            }
        }
    }

    /// A probe's numbers (the ones counting periods or attempts start at 1). The handler count and
    /// successThreshold depend on which probe it is: the policy's Probes check has them.
    static func probe(_ t: Typed, _ d: Diagnostics) {
        for name in PodSchema.probeNumbers {
            let minimum = ["periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"].contains(name) ? 1 : 0
            range(t[name], d, t[name]?.path ?? name, minimum)
        }
    }

    /// A probe port: a number 1-65535 or a container port name. `0x10` is neither (YAML readers
    /// disagree on whether it is a number).
    static func port(_ t: Typed?, _ d: Diagnostics, _ what: String) {
        guard let t else { return }
        switch t.value {
        case .int:
            range(t, d, "\(what).port", 1, 65535)
        case .string(let text):
            if case .scalar(_, .plain, _, _) = t.node, YAMLNode.integer(text) != nil {
                d.error(t.node, "\(what).port must be a decimal integer, not \(t.node.describedForError)")
            } else if !Naming.isPortName(text) {
                d.error(t.node, "\(what).port \"\(excerpt(text))\" is neither a port number nor a valid port name (1-15 lowercase letters, digits and '-')")
            }
        default: break
        }
    }
}
