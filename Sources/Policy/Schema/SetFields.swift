// What a rule's `set` (and a split variant's) may write, one entry per field: its name and type
// (the schema object `Set` is built from these), what Kubernetes would refuse in it, where it goes
// in Settings, and how a later value combines with an earlier one. A new field is an entry here,
// its place in Settings, its step in Mutator.apply, its line in docs/policy.md, and its value in
// the comparison of Tests/e2e/test_apiserver.py (which fails until it is there).

import JSON
import YAML

struct SetField: Sendable {
    /// Where a field's value goes in the pod.
    enum Lands: Sendable {
        /// A field of the spec that decides where and how the pod is scheduled and stopped: an
        /// application decides it too, and its preview shows the application's value where kept.
        case placement
        /// Another field of the spec.
        case spec
        case metadata
        /// A field of Spark's container.
        case sparkContainer
    }

    let name: String
    let lands: Lands
    let type: FieldType
    /// What the apiserver would refuse in a value the schema typed.
    var check: @Sendable (Typed, Diagnostics) -> Void = { _, _ in }
    /// Stores a typed, checked value.
    let read: @Sendable (inout Settings, Typed) -> Void
    /// `later`'s value on top of `result`'s.
    let merge: @Sendable (_ result: inout Settings, _ later: Settings) -> Void

    static let all: [SetField] = [
        SetField(name: "priorityClassName", lands: .placement, type: .string, check: { t, d in dnsSubdomain(t, d) },
                 read: { $0.priorityClassName = $1.string }, merge: { $0.priorityClassName = $1.priorityClassName ?? $0.priorityClassName }),
        SetField(name: "schedulerName", lands: .placement, type: .string, check: { t, d in dnsSubdomain(t, d) },
                 read: { $0.schedulerName = $1.string }, merge: { $0.schedulerName = $1.schedulerName ?? $0.schedulerName }),
        SetField(name: "terminationGracePeriodSeconds", lands: .placement, type: .int64, check: { t, d in PodChecks.range(t, d, t.path, 0) },
                 read: { $0.terminationGracePeriodSeconds = $1.int },
                 merge: { $0.terminationGracePeriodSeconds = $1.terminationGracePeriodSeconds ?? $0.terminationGracePeriodSeconds }),
        SetField(name: "labels", lands: .metadata, type: .map(.string), check: labels,
                 read: { $0.labels = pairs($1) }, merge: { mergeByKey(&$0.labels, $1.labels) }),
        SetField(name: "annotations", lands: .metadata, type: .map(.string), check: annotations,
                 read: { $0.annotations = pairs($1) }, merge: { mergeByKey(&$0.annotations, $1.annotations) }),
        SetField(name: "nodeSelector", lands: .placement, type: .map(.string), check: { t, d in PodChecks.labelMap(t, d, labelValues: true) },
                 read: { $0.nodeSelector = pairs($1) }, merge: { mergeByKey(&$0.nodeSelector, $1.nodeSelector) }),
        SetField(name: "tolerations", lands: .placement, type: .list(.object(PodSchema.toleration)),
                 read: { $0.tolerations = $1.items.map(\.json) }, merge: { $0.tolerations += $1.tolerations }),
        SetField(name: "topologySpreadConstraints", lands: .placement, type: .list(.object(PodSchema.topologySpreadConstraint)),
                 read: { $0.topologySpreadConstraints = $1.items.map(\.json) },
                 merge: { $0.topologySpreadConstraints += $1.topologySpreadConstraints }),
        SetField(name: "affinity", lands: .placement, type: .object(PodSchema.affinity),
                 read: { $0.affinity = AffinitySettings($1.json) },
                 merge: { result, later in
                     if let a = later.affinity { result.affinity = result.affinity.map { $0.merged(with: a) } ?? a }
                 }),
        SetField(name: "probes", lands: .sparkContainer, type: .object(PolicySchema.probes),
                 read: { settings, t in
                     var probes = Probes()
                     probes.container = t["container"]?.string
                     for kind in Probes.Kind.allCases { probes[kind] = t[kind.rawValue]?.json }
                     settings.probes = probes
                 },
                 merge: { result, later in
                     guard let probes = later.probes else { return }
                     var merged = result.probes ?? Probes()
                     merged.container = probes.container ?? merged.container
                     for kind in Probes.Kind.allCases where probes[kind] != nil { merged[kind] = probes[kind] }
                     result.probes = merged
                 }),
        SetField(name: "securityContext", lands: .spec, type: .object(PodSchema.podSecurityContext),
                 read: { $0.fields.securityContext = $1.json.objectValue },
                 merge: { mergeObject(&$0, $1, \.securityContext) }),
        SetField(name: "containerSecurityContext", lands: .sparkContainer, type: .object(PodSchema.securityContext),
                 read: { $0.fields.containerSecurityContext = $1.json.objectValue },
                 merge: { mergeObject(&$0, $1, \.containerSecurityContext) }),
        SetField(name: "env", lands: .sparkContainer, type: .list(.object(PodSchema.envVar)), check: SparkOwned.env,
                 read: { $0.fields.env = $1.items.map(\.json) }, merge: { mergeList(&$0, $1, \.env, key: "name") }),
        SetField(name: "volumes", lands: .spec, type: .list(.object(PodSchema.volume)), check: SparkOwned.volumes,
                 read: { $0.fields.volumes = $1.items.map(\.json) }, merge: { mergeList(&$0, $1, \.volumes, key: "name") }),
        SetField(name: "volumeMounts", lands: .sparkContainer, type: .list(.object(PodSchema.volumeMount)), check: SparkOwned.volumeMounts,
                 read: { $0.fields.volumeMounts = $1.items.map(\.json) },
                 merge: { mergeList(&$0, $1, \.volumeMounts, key: "mountPath") }),
        SetField(name: "runtimeClassName", lands: .spec, type: .string, check: { t, d in dnsSubdomain(t, d) },
                 read: { $0.fields.runtimeClassName = $1.string },
                 merge: { result, later in
                     if let name = later.pod?.runtimeClassName { result.fields.runtimeClassName = name }
                 }),
        SetField(name: "imagePullSecrets", lands: .spec, type: .list(.object(PodSchema.localObjectReference)), check: PodChecks.imagePullSecrets,
                 read: { $0.fields.imagePullSecrets = $1.items.map(\.json) },
                 merge: { mergeList(&$0, $1, \.imagePullSecrets, key: "name") }),
        SetField(name: "dnsConfig", lands: .spec, type: .object(PodSchema.podDNSConfig),
                 read: { $0.fields.dnsConfig = $1.json.objectValue }, merge: { mergeObject(&$0, $1, \.dnsConfig) }),
        SetField(name: "hostAliases", lands: .spec, type: .list(.object(PodSchema.hostAlias)),
                 read: { $0.fields.hostAliases = $1.items.map(\.json) }, merge: { mergeList(&$0, $1, \.hostAliases, key: "ip") }),
        SetField(name: "lifecycle", lands: .sparkContainer, type: .object(PodSchema.lifecycle),
                 read: { $0.fields.lifecycle = $1.json.objectValue }, merge: { mergeObject(&$0, $1, \.lifecycle) }),
    ]

    /// An object's fields: the later value's replace the earlier's one by one.
    static func mergeObject(_ result: inout Settings, _ later: Settings, _ field: WritableKeyPath<PodFields, JSONObject?>) {
        guard let more = later.pod?[keyPath: field] else { return }
        var merged = result.pod?[keyPath: field] ?? JSONObject()
        for entry in more { merged[entry.key] = entry.value }
        result.fields[keyPath: field] = merged
    }

    /// A list merged by each entry's key: a later entry replaces the earlier one with its key.
    static func mergeList(_ result: inout Settings, _ later: Settings, _ field: WritableKeyPath<PodFields, [JSON]>, key: String) {
        guard let more = later.pod?[keyPath: field], !more.isEmpty else { return }
        var merged = result.pod?[keyPath: field] ?? []
        for entry in more {
            if let i = merged.firstIndex(where: { $0[key] == entry[key] }) { merged[i] = entry } else { merged.append(entry) }
        }
        result.fields[keyPath: field] = merged
    }

    static func dnsSubdomain(_ t: Typed, _ d: Diagnostics) {
        guard let name = t.string, !Naming.isDNSSubdomain(name) else { return }
        d.error(t.node, "\(t.path) \"\(excerpt(name))\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)")
    }

    /// A rule's labels: as Kubernetes allows them, and none of Spark's bookkeeping.
    static func labels(_ t: Typed, _ d: Diagnostics) {
        PodChecks.labelMap(t, d, what: "labels", labelValues: true)
        for entry in t.entries where Naming.isSparkBookkeeping(label: entry.key) {
            d.error(entry.keyNode, "label \(entry.key) is Spark's bookkeeping (spark-role, spark-app-selector, spark-app-name, spark-exec-id, spark-exec-resourceprofile-id, spark-version, sparkoperator.k8s.io/*): a rule may not set it")
        }
    }

    /// A rule's annotations: keys as Kubernetes names them, and not sparkhook's own record.
    static func annotations(_ t: Typed, _ d: Diagnostics) {
        PodChecks.labelMap(t, d, what: "annotations", labelValues: false)
        for entry in t.entries where entry.key == Mutator.appliedAnnotation || entry.key == Mutator.unchangedAnnotation {
            d.error(entry.keyNode, "annotation \(entry.key) is sparkhook's record of what it applied: a rule may not set it")
        }
    }

    static func pairs(_ t: Typed) -> [(key: String, value: String)] { t.stringMap.map { ($0.key, $0.value) } }

    static func mergeByKey(_ map: inout [(key: String, value: String)], _ more: [(key: String, value: String)]) {
        for (key, value) in more {
            if let i = map.firstIndex(where: { $0.key == key }) { map[i].value = value } else { map.append((key, value)) }
        }
    }
}

/// What a rule may set, for those outside the policy loader.
public enum SetFields {
    /// `{"priorityClassName": "string", ...}`, in order: for `sparkhook schema --set` and the test
    /// that what the apiserver stores is compared field by field.
    public static var described: JSON {
        .object(JSONObject(SetField.all.map { .init(key: $0.name, value: $0.type.described) }))
    }

    /// The placement fields (SetField.Lands) by name, in order; maps and lists by member, so that
    /// a kept entry is told from an added one.
    public static var placement: [(name: String, byMember: Bool)] {
        SetField.all.filter { $0.lands == .placement }.map { field in
            switch field.type {
            case .map, .list: return (field.name, true)
            default: return (field.name, false)
            }
        }
    }
}
