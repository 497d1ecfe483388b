// What sparkhook reads of a pod: its Spark role, executor id, app name, Spark's container, and
// which fields its creator set (metadata.managedFields) as opposed to built-in admission.
import JSON

struct SparkPod {
    let pod: JSONObject
    /// The pod's metadata and spec, decoded once (their own children stay lazy).
    let metadata: JSONObject
    let spec: JSONObject
    let role: SparkRole
    let labels: JSONObject?
    let ownership: Ownership
    /// What rules match on, prepared once per pod (see RuleMatcher): a policy of hundreds of
    /// rules then costs a few byte compares per rule.
    let facts: MatchFacts

    /// nil when the pod is not a Spark pod (no or unknown `spark-role` label). Throws when a
    /// Spark pod is not shaped like a Pod, so that nothing is decided on a misread object.
    init?(_ pod: JSON, namespace: String?, keys: MatchKeys) throws {
        guard let object = pod.objectValue, var metadata = object["metadata"]?.objectValue else { return nil }
        let labels = metadata["labels"]?.objectValue
        guard let role = SparkRole(labels: labels) else { return nil }
        // Decoded here to match on, and put back decoded: a rule that sets a label, the diff and
        // the patch check then find it decoded instead of each decoding it again.
        if let labels { metadata["labels"] = .object(labels) }
        guard var spec = object["spec"]?.objectValue else { throw MutationError("pod spec is missing or not an object") }
        guard let containers = spec["containers"]?.arrayValue, containers.allSatisfy(\.isObject) else {
            throw MutationError("pod spec.containers is missing or not a list of objects")
        }
        for field in Self.placementFields {
            guard let value = spec[field], !value.isNull else { continue }
            let wellTyped = field == "nodeSelector" ? value.isObject : value.isArray
            if !wellTyped { throw MutationError("pod spec.\(field) has the wrong type") }
        }
        // A few bytes that nearly every policy sets: decoded here, in the spec that both the
        // original and the mutated pod start from, so that rules, the diff and the patch check
        // find it decoded instead of each decoding it again.
        if let selector = spec["nodeSelector"], selector.isObject { spec["nodeSelector"] = selector.resolved }
        let annotations = metadata["annotations"]
        if let annotations, !annotations.isObject, !annotations.isNull {
            throw MutationError("pod metadata.annotations is not an object")
        }
        self.pod = object
        self.metadata = metadata
        self.spec = spec
        self.role = role
        self.labels = labels
        ownership = Ownership(metadata["managedFields"])
        facts = MatchFacts(
            role: role, namespace: namespace ?? metadata["namespace"]?.stringValue ?? "",
            appNames: Self.appNames(labels),
            serviceAccount: spec["serviceAccountName"]?.stringValue ?? "default",
            labels: labels, annotations: annotations,
            containerList: keys.resources.isEmpty ? nil : spec["containers"], keys: keys)  // looked up only when a rule asks
    }

    static let placementFields = ["nodeSelector", "tolerations", "topologySpreadConstraints"]
    static let appNameLabels = ["spark-app-name", "sparkoperator.k8s.io/app-name"]

    /// The values of the app-name labels the pod has, in one allocation (`compactMap` grows its
    /// result an element at a time).
    static func appNames(_ labels: JSONObject?) -> [String] {
        var names: [String] = []
        guard let labels else { return names }
        names.reserveCapacity(appNameLabels.count)
        for key in appNameLabels { if let name = labels[key]?.stringValue { names.append(name) } }
        return names
    }

    /// The pod with these metadata and spec in place of its own.
    func pod(metadata: JSONObject, spec: JSONObject) -> JSONObject {
        var pod = self.pod
        pod["metadata"] = .object(metadata)
        pod["spec"] = .object(spec)
        return pod
    }

    /// `spark-exec-id` as a positive integer, or nil.
    var executorID: Int? {
        guard let text = labels?["spark-exec-id"]?.stringValue, let id = Int(text), id >= 1 else { return nil }
        return id
    }

    static let sparkContainerNames = ["spark-kubernetes-driver", "spark-kubernetes-executor", "executor"]

    /// The index of Spark's main container: the one named, else Spark's default name, else the
    /// one Spark built (args begin with driver/executor, or SPARK_EXECUTOR_ID in its env; Spark
    /// appends it after a template's sidecars, so the last such). Never a sidecar: nil if none.
    static func mainContainer(in containers: [JSON], named: String?) -> Int? {
        func name(_ c: JSON) -> String? { c["name"]?.stringValue }
        if let named { return containers.firstIndex { name($0) == named } }
        if let i = containers.lastIndex(where: { name($0).map(sparkContainerNames.contains) ?? false }) { return i }
        return containers.lastIndex { c in
            if let first = c["args"]?.arrayValue?.first?.stringValue, first == "driver" || first == "executor" { return true }
            return c["env"]?.arrayValue?.contains { $0["name"]?.stringValue == "SPARK_EXECUTOR_ID" } ?? false
        }
    }
}

/// The fields the pod's creator set. The apiserver records managedFields before admission runs,
/// so a value built-in admission filled in (globalDefault priority class, default tolerations)
/// is absent from them. Without managedFields every present value counts as the creator's.
struct Ownership {
    private let managedFields: JSON?

    /// Decoded only when a rule would change a value that is already there.
    init(_ managedFields: JSON?) { self.managedFields = managedFields }

    private var fields: JSONObject? {
        guard let entries = managedFields?.arrayValue, !entries.isEmpty else { return nil }
        var union = JSONObject()
        for entry in entries {
            if let f = entry["fieldsV1"]?.objectValue { union = Self.merge(union, f) }
        }
        return union
    }

    private static func merge(_ a: JSONObject, _ b: JSONObject) -> JSONObject {
        var result = a
        for entry in b {
            if let mine = result[entry.key]?.objectValue, let theirs = entry.value.objectValue {
                result[entry.key] = .object(merge(mine, theirs))
            } else if result[entry.key] == nil {
                result[entry.key] = entry.value
            }
        }
        return result
    }

    /// Did the creator set this field, which the original pod has? `path` is a list of field
    /// names (`spec`, `nodeSelector`, key), or list entries by their key as managedFields name
    /// them (`k:{"name":"SPARK_USER"}`, see `entryKey`). Callers ask only about a value that is there.
    func creatorSet(_ path: [String]) -> Bool {
        guard var node = fields else { return true }
        for (depth, name) in path.enumerated() {
            guard let next = node[name.hasPrefix("k:{") ? name : "f:" + name]?.objectValue else { return false }
            if Self.isAtomic(path, depth) { return true }
            node = next
        }
        return true
    }

    /// How managedFields name the entry of a list keyed by `field` (`k:{"name":"SPARK_USER"}`).
    static func entryKey(_ field: String, _ value: JSON) -> String {
        "k:{\"" + field + "\":" + value.text + "}"
    }

    /// Fields the Pod schema makes atomic (`x-kubernetes-map-type: atomic`, `list-type: atomic`):
    /// the apiserver records them as a whole (`f:nodeSelector: {}`, never per key), so whoever set
    /// the field set every key in it.
    static func isAtomic(_ path: [String], _ depth: Int) -> Bool {
        depth == 1 && path[0] == "spec" && (path[1] == "nodeSelector" || path[1] == "tolerations")
    }
}

public struct MutationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
