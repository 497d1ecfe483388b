// The placement fields applied to a pod: priority class, scheduler and grace period, labels and
// annotations, node selector, tolerations and topology spread constraints; each value the pod's
// creator set kept under `override: false` with a warning.
import JSON

extension Mutator.State {
    mutating func setPriorityClass(_ name: String?, _ rule: Rule, _ changed: inout [String]) {
        guard let name else { return }
        if spec["priorityClassName"]?.stringValue == name { return }  // the usual reinvocation: no JSON compare
        setSpecScalar("priorityClassName", "/spec/priorityClassName", .string(name), rule, &changed)
    }

    /// A field of the spec that holds one value, kept when its creator set it. The apiserver
    /// fills in some when they are absent (`schedulerName: default-scheduler`, a grace period
    /// of 30) before it records managedFields, so they are listed as the creator's: a value
    /// equal to that default counts as the apiserver's, not the creator's.
    mutating func setSpecScalar(_ field: String, _ pointer: String, _ value: JSON, _ rule: Rule, _ changed: inout [String], apiserverDefault: JSON? = nil) {
        let current = spec[field]
        if current == value { return }
        let isDefault = apiserverDefault != nil && originalSpec[field] == apiserverDefault
        let creatorSet = originalSpec[field] != nil && !isDefault && spark.ownership.creatorSet(["spec", field])
        guard mayWrite(pointer, creatorSet: creatorSet, rule, what: field, current: current) else { return }
        spec[field] = value
        setByUs.append(pointer)
        changed.append(pointer)
    }

    /// Labels or annotations merged by key; a key the creator set is kept (these maps are
    /// granular in managedFields: one entry per key).
    mutating func mergeMetadata(_ field: String, _ entries: [(key: String, value: String)], _ rule: Rule, _ changed: inout [String]) {
        var map = metadata[field]?.objectValue ?? JSONObject()
        let original = spark.metadata[field]?.objectValue
        var wrote = false
        for (key, value) in entries {
            let current = map[key]
            if current?.stringValue == value { continue }
            let pointer = "/metadata/" + field + "/" + JSONPointer.escape(key)
            let creatorSet = original?[key] != nil && spark.ownership.creatorSet(["metadata", field, key])
            guard mayWrite(pointer, creatorSet: creatorSet, rule, what: "\(field == "labels" ? "label" : "annotation") \(key)", current: current) else { continue }
            map[key] = .string(value)
            wrote = true
            setByUs.append(pointer)
            changed.append(pointer)
        }
        if wrote { metadata[field] = .object(map) }
    }

    mutating func setNodeSelector(_ entries: [(key: String, value: String)], _ rule: Rule, _ changed: inout [String]) {
        guard !entries.isEmpty else { return }
        // Decoded already, in SparkPod, for the original and the mutated spec alike.
        var selector = spec["nodeSelector"]?.objectValue ?? JSONObject()
        let original = originalSpec["nodeSelector"]?.objectValue
        for (key, value) in entries {
            let current = selector[key]
            if current?.stringValue == value { continue }
            let pointer = "/spec/nodeSelector/" + JSONPointer.escape(key)
            let creatorSet = original?[key] != nil && spark.ownership.creatorSet(["spec", "nodeSelector", key])
            guard mayWrite(pointer, creatorSet: creatorSet, rule, what: "nodeSelector \(key)", current: current) else { continue }
            selector[key] = .string(value)
            setByUs.append(pointer)
            changed.append(pointer)
        }
        if !selector.isEmpty { spec["nodeSelector"] = .object(selector) }
    }

    /// Tolerations are added unless an equal one is there (an absent operator means Equal).
    mutating func addTolerations(_ tolerations: [JSON], _ changed: inout [String]) {
        guard !tolerations.isEmpty else { return }
        decodeOnce("tolerations")
        var list = spec["tolerations"]?.arrayValue ?? []
        for toleration in tolerations where !list.contains(where: { Self.sameToleration($0, toleration) }) {
            changed.append("/spec/tolerations/\(list.count)")
            list.append(toleration)
        }
        spec["tolerations"] = .array(list)
    }

    static func sameToleration(_ a: JSON, _ b: JSON) -> Bool {
        func norm(_ t: JSON) -> [String] {
            let t = t.resolved  // decoded once, not per field, if still raw
            return [t["key"]?.stringValue ?? "", t["operator"]?.stringValue ?? "Equal", t["value"]?.stringValue ?? "",
             t["effect"]?.stringValue ?? "", t["tolerationSeconds"].map { $0.text } ?? ""]
        }
        return norm(a) == norm(b)
    }

    /// Kubernetes allows one constraint per (topologyKey, whenUnsatisfiable): a rule's
    /// constraint is added, or replaces the one with the same pair unless the creator's wins.
    mutating func addSpreadConstraints(_ constraints: [JSON], _ rule: Rule, _ changed: inout [String]) {
        guard !constraints.isEmpty else { return }
        decodeOnce("topologySpreadConstraints")
        var list = spec["topologySpreadConstraints"]?.arrayValue ?? []
        for var constraint in constraints {
            if constraint["labelSelector"] == nil { constraint = withOwnApplicationSelector(constraint, rule) }
            let key = constraint["topologyKey"], when = constraint["whenUnsatisfiable"]
            if let i = list.firstIndex(where: { $0["topologyKey"] == key && $0["whenUnsatisfiable"] == when }) {
                if list[i].contains(constraint) { continue }
                let pointer = "/spec/topologySpreadConstraints/\(i)"
                let original = originalSpec["topologySpreadConstraints"]?.arrayValue ?? []
                let creatorSet = original.contains { $0["topologyKey"] == key && $0["whenUnsatisfiable"] == when }
                guard mayWrite(pointer, creatorSet: creatorSet, rule, what: "topology spread constraint for \(key?.stringValue ?? "")", current: nil) else { continue }
                list[i] = constraint
                setByUs.append(pointer)
                changed.append(pointer)
            } else {
                let pointer = "/spec/topologySpreadConstraints/\(list.count)"
                list.append(constraint)
                setByUs.append(pointer)
                changed.append(pointer)
            }
        }
        spec["topologySpreadConstraints"] = .array(list)
    }

    static let ownApplicationLabels = ["spark-app-selector", "spark-role"]

    /// A constraint without a labelSelector spreads the pod's own application and role.
    mutating func withOwnApplicationSelector(_ constraint: JSON, _ rule: Rule) -> JSON {
        var matchLabels = JSONObject()
        for key in Self.ownApplicationLabels {
            if let value = spark.labels?[key] { matchLabels[key] = value }
        }
        if spark.labels?["spark-app-selector"] == nil {
            warnings.append("rule \(rule.name): pod has no spark-app-selector label; spreading on spark-role alone")
        }
        guard var object = constraint.objectValue else { return constraint }
        // Built from its one entry: a dictionary literal goes through a variadic array and a map.
        object["labelSelector"] = .object(JSONObject([JSONObject.Entry(key: "matchLabels", value: .object(matchLabels))]))
        return .object(object)
    }
}
