// The parts of the Kubernetes Pod schema (core/v1, as kube-apiserver v1.36 serves it at
// /openapi/v3/api/v1) that a policy's `set` writes into a pod. One description drives both the
// check of a policy and how its YAML scalars become JSON: a string field keeps `.5`, `yes` or
// `0x10` as the text the user wrote, an integer field takes decimal integers only, so no value
// reaches a patch in a type the apiserver would refuse. Tests compare it with the apiserver's own
// OpenAPI document.

import JSON

public enum PodSchema {
    /// What the shape does not say: the apiserver's validation of these objects, by object name.
    static let checks: SchemaChecks = PodChecks.all.merging(PodChecks.workload) { first, _ in first }

    static let labelSelectorRequirement = SchemaObject("LabelSelectorRequirement", [
        ("key", .string), ("operator", .string), ("values", .list(.string)),
    ], required: ["key", "operator"], label: "match expression")

    static let labelSelector = SchemaObject("LabelSelector", [
        ("matchExpressions", .list(.object(labelSelectorRequirement))), ("matchLabels", .map(.string)),
    ])

    static let toleration = SchemaObject("Toleration", [
        ("effect", .string), ("key", .string), ("operator", .string), ("tolerationSeconds", .int64), ("value", .string),
    ], label: "toleration")

    static let topologySpreadConstraint = SchemaObject("TopologySpreadConstraint", [
        ("labelSelector", .object(labelSelector)), ("matchLabelKeys", .list(.string)), ("maxSkew", .int32),
        ("minDomains", .int32), ("nodeAffinityPolicy", .string), ("nodeTaintsPolicy", .string),
        ("topologyKey", .string), ("whenUnsatisfiable", .string),
    ], required: ["maxSkew", "topologyKey", "whenUnsatisfiable"], label: "topology spread constraint")

    static let httpHeader = SchemaObject("HTTPHeader", [("name", .string), ("value", .string)], required: ["name", "value"], label: "http header")

    static let execAction = SchemaObject("ExecAction", [("command", .list(.string))], label: "exec")
    static let grpcAction = SchemaObject("GRPCAction", [("port", .int32), ("service", .string)], required: ["port"], label: "grpc")
    static let httpGetAction = SchemaObject("HTTPGetAction", [
        ("host", .string), ("httpHeaders", .list(.object(httpHeader))), ("path", .string), ("port", .intOrString), ("scheme", .string),
    ], required: ["port"], label: "httpGet")
    static let tcpSocketAction = SchemaObject("TCPSocketAction", [("host", .string), ("port", .intOrString)], required: ["port"], label: "tcpSocket")

    static let probe = SchemaObject("Probe", [
        ("exec", .object(execAction)),
        ("failureThreshold", .int32),
        ("grpc", .object(grpcAction)),
        ("httpGet", .object(httpGetAction)),
        ("initialDelaySeconds", .int32), ("periodSeconds", .int32), ("successThreshold", .int32),
        ("tcpSocket", .object(tcpSocketAction)),
        ("terminationGracePeriodSeconds", .int64), ("timeoutSeconds", .int32),
    ])

    /// A probe's handlers (it takes exactly one) and its numbers, as the schema has them.
    static let probeHandlers = probe.fields.compactMap { if case .object = $0.type { return $0.name } else { return nil } }
    static let probeNumbers = probe.fields.compactMap { if case .integer = $0.type { return $0.name } else { return nil } }

    static let nodeSelectorRequirement = SchemaObject("NodeSelectorRequirement", [
        ("key", .string), ("operator", .string), ("values", .list(.string)),
    ], required: ["key", "operator"])

    static let nodeSelectorTerm = SchemaObject("NodeSelectorTerm", [
        ("matchExpressions", .list(.object(nodeSelectorRequirement))), ("matchFields", .list(.object(nodeSelectorRequirement))),
    ])

    static let podAffinityTerm = SchemaObject("PodAffinityTerm", [
        ("labelSelector", .object(labelSelector)), ("matchLabelKeys", .list(.string)), ("mismatchLabelKeys", .list(.string)),
        ("namespaceSelector", .object(labelSelector)), ("namespaces", .list(.string)), ("topologyKey", .string),
    ], required: ["topologyKey"])

    static let weightedPodAffinityTerm = SchemaObject("WeightedPodAffinityTerm", [
        ("podAffinityTerm", .object(podAffinityTerm)), ("weight", .int32),
    ], required: ["weight", "podAffinityTerm"])

    static func podAffinity(_ name: String) -> SchemaObject {
        SchemaObject(name, [
            ("preferredDuringSchedulingIgnoredDuringExecution", .list(.object(weightedPodAffinityTerm))),
            ("requiredDuringSchedulingIgnoredDuringExecution", .list(.object(podAffinityTerm))),
        ])
    }

    static let affinity = SchemaObject("Affinity", [
        ("nodeAffinity", .object(SchemaObject("NodeAffinity", [
            ("preferredDuringSchedulingIgnoredDuringExecution", .list(.object(SchemaObject("PreferredSchedulingTerm", [
                ("preference", .object(nodeSelectorTerm)), ("weight", .int32),
            ], required: ["weight", "preference"])))),
            ("requiredDuringSchedulingIgnoredDuringExecution", .object(SchemaObject("NodeSelector", [
                ("nodeSelectorTerms", .list(.object(nodeSelectorTerm))),
            ], required: ["nodeSelectorTerms"]))),
        ]))),
        ("podAffinity", .object(podAffinity("PodAffinity"))),
        ("podAntiAffinity", .object(podAffinity("PodAntiAffinity"))),
    ])

    /// Every object type above, for the test against the apiserver's OpenAPI document.
    static let objects: [SchemaObject] = {
        var all: [SchemaObject] = []
        func collect(_ type: FieldType) {
            switch type {
            case .object(let o):
                guard !all.contains(where: { $0.name == o.name }) else { return }
                all.append(o)
                for field in o.fields { collect(field.type) }
            case .list(let t), .map(let t): collect(t)
            case .selector(let o): collect(.object(o))
            default: break
            }
        }
        for o in [toleration, topologySpreadConstraint, probe, affinity, podSecurityContext, securityContext, envVar, volume,
                  volumeMount, localObjectReference, podDNSConfig, hostAlias, lifecycle] { collect(.object(o)) }
        return all
    }()
}

extension PodSchema {
    /// The object types as JSON (`{"Probe": {"fields": {"exec": "ExecAction", ...}, "required": [...]}}`),
    /// for `sparkhook schema` and the test against the apiserver's OpenAPI document.
    public static var described: JSON {
        var out = JSONObject()
        for o in objects {
            out[o.name] = ["fields": .object(JSONObject(o.fields.map { .init(key: $0.name, value: $0.type.described) })),
                           "required": .array(o.required.map { .string($0) })]
        }
        return .object(out)
    }
}

extension FieldType {
    /// As the apiserver's OpenAPI document names it: `"int32"`, `{"list": "Toleration"}`.
    var described: JSON {
        switch self {
        case .string: return "string"
        case .integer(let min, _): return min == Int(Int32.min) ? "int32" : "int64"
        case .boolean: return "boolean"
        case .intOrString: return "int-or-string"
        case .list(let t): return ["list": t.described]
        case .map(let t): return ["map": t.described]
        case .object(let o), .selector(let o): return .string(o.name)
        case .any: return "any"
        case .named(let name, _): return .string(name)
        }
    }
}
