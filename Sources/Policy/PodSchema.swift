// The parts of the Kubernetes Pod schema (core/v1, as kube-apiserver v1.36 serves it at
// /openapi/v3/api/v1) that a policy's `set` writes into a pod. One description drives both the
// check of a policy and how its YAML scalars become JSON: a string field keeps `.5`, `yes` or
// `0x10` as the text the user wrote, an integer field takes decimal integers only, so no value
// reaches a patch in a type the apiserver would refuse. Tests compare it with the apiserver's own
// OpenAPI document.

import JSON

indirect enum FieldType: Sendable {
    case string
    /// A whole number in this range (the schema's int32 or int64).
    case integer(min: Int, max: Int)
    case boolean
    /// A port: a number, or a name (the schema's int-or-string).
    case intOrString
    case list(FieldType)
    /// A map of arbitrary keys to values of one type.
    case map(FieldType)
    case object(SchemaObject)

    static let int32 = FieldType.integer(min: Int(Int32.min), max: Int(Int32.max))
    static let int64 = FieldType.integer(min: Int(Int64.min), max: Int(Int64.max))

    var name: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .boolean: return "true or false"
        case .intOrString: return "a number or a name"
        case .list: return "a list"
        case .map, .object: return "a mapping"
        }
    }
}

/// An object type: its fields in the schema's order, and the ones it requires.
struct SchemaObject: Sendable {
    let name: String
    let fields: [(name: String, type: FieldType)]
    let required: [String]

    init(_ name: String, _ fields: [(String, FieldType)], required: [String] = []) {
        self.name = name
        self.fields = fields.map { (name: $0.0, type: $0.1) }
        self.required = required
    }

    func type(of field: String) -> FieldType? { fields.first { $0.name == field }?.type }

    /// The fields a policy may write here: the loader's list of known fields, never a copy.
    var fieldNames: [String] { fields.map(\.name) }
}

public enum PodSchema {
    static let labelSelectorRequirement = SchemaObject("LabelSelectorRequirement", [
        ("key", .string), ("operator", .string), ("values", .list(.string)),
    ], required: ["key", "operator"])

    static let labelSelector = SchemaObject("LabelSelector", [
        ("matchExpressions", .list(.object(labelSelectorRequirement))), ("matchLabels", .map(.string)),
    ])

    static let toleration = SchemaObject("Toleration", [
        ("effect", .string), ("key", .string), ("operator", .string), ("tolerationSeconds", .int64), ("value", .string),
    ])

    static let topologySpreadConstraint = SchemaObject("TopologySpreadConstraint", [
        ("labelSelector", .object(labelSelector)), ("matchLabelKeys", .list(.string)), ("maxSkew", .int32),
        ("minDomains", .int32), ("nodeAffinityPolicy", .string), ("nodeTaintsPolicy", .string),
        ("topologyKey", .string), ("whenUnsatisfiable", .string),
    ], required: ["maxSkew", "topologyKey", "whenUnsatisfiable"])

    static let httpHeader = SchemaObject("HTTPHeader", [("name", .string), ("value", .string)], required: ["name", "value"])

    static let execAction = SchemaObject("ExecAction", [("command", .list(.string))])
    static let grpcAction = SchemaObject("GRPCAction", [("port", .int32), ("service", .string)], required: ["port"])
    static let httpGetAction = SchemaObject("HTTPGetAction", [
        ("host", .string), ("httpHeaders", .list(.object(httpHeader))), ("path", .string), ("port", .intOrString), ("scheme", .string),
    ], required: ["port"])
    static let tcpSocketAction = SchemaObject("TCPSocketAction", [("host", .string), ("port", .intOrString)], required: ["port"])

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
            default: break
            }
        }
        for o in [toleration, topologySpreadConstraint, probe, affinity] { collect(.object(o)) }
        return all
    }()
}

extension PodSchema {
    /// The object types as JSON (`{"Probe": {"fields": {"exec": "ExecAction", ...}, "required": [...]}}`),
    /// for `sparkhook schema` and the test against the apiserver's OpenAPI document.
    public static var described: JSON {
        func describe(_ type: FieldType) -> JSON {
            switch type {
            case .string: return "string"
            case .integer(let min, _): return min == Int(Int32.min) ? "int32" : "int64"
            case .boolean: return "boolean"
            case .intOrString: return "int-or-string"
            case .list(let t): return ["list": describe(t)]
            case .map(let t): return ["map": describe(t)]
            case .object(let o): return .string(o.name)
            }
        }
        var out = JSONObject()
        for o in objects {
            out[o.name] = ["fields": .object(JSONObject(o.fields.map { .init(key: $0.name, value: describe($0.type)) })),
                           "required": .array(o.required.map { .string($0) })]
        }
        return .object(out)
    }
}
