// The fourth round's fields applied to a pod: objects merged field by field (security contexts,
// dnsConfig, lifecycle), lists merged by their key (env and volumes by name, mounts by path, pull
// secrets by name, host aliases by ip), each value the pod's creator set kept under
// `override: false` with a warning, and a creator's lifecycle hook kept under any `override`.
import JSON

extension Mutator.State {
    mutating func applyPodFields(_ f: PodFields, _ rule: Rule, _ changed: inout [String]) {
        if let context = f.securityContext { mergeSpecObject("securityContext", context, rule, &changed) }
        if let name = f.runtimeClassName { setSpecScalar("runtimeClassName", "/spec/runtimeClassName", .string(name), rule, &changed) }
        // Volumes before the mounts that name them.
        if !f.volumes.isEmpty { mergeSpecList("volumes", key: "name", f.volumes, what: "volume", rule, &changed) }
        if !f.imagePullSecrets.isEmpty { mergeSpecList("imagePullSecrets", key: "name", f.imagePullSecrets, what: "image pull secret", rule, &changed) }
        if !f.hostAliases.isEmpty { mergeSpecList("hostAliases", key: "ip", f.hostAliases, what: "host alias", rule, &changed) }
        if let dns = f.dnsConfig { mergeSpecObject("dnsConfig", dns, rule, &changed) }
        if f.containerSecurityContext != nil || !f.env.isEmpty || !f.volumeMounts.isEmpty || f.lifecycle != nil {
            applyToSparkContainer(f, rule, &changed)
        }
    }

    mutating func mergeSpecObject(_ field: String, _ value: JSONObject, _ rule: Rule, _ changed: inout [String]) {
        if let current = spec[field], !current.isObject, !current.isNull {
            warnings.append("rule \(rule.name): the pod's spec.\(field) is not an object; not set")
            return
        }
        var target = spec[field]?.objectValue ?? JSONObject()
        let before = changed.count
        mergeFields(into: &target, value, original: originalSpec[field]?.objectValue, pointer: "/spec/" + field,
                    owner: ["spec", field], what: field, rule, &changed)
        if changed.count > before { spec[field] = .object(target) }
    }

    mutating func mergeSpecList(_ field: String, key: StaticString, _ entries: [JSON], what: String, _ rule: Rule, _ changed: inout [String]) {
        if let current = spec[field], !current.isArray, !current.isNull {
            warnings.append("rule \(rule.name): the pod's spec.\(field) is not a list; not set")
            return
        }
        decodeOnce(field)
        var list = spec[field]?.arrayValue ?? []
        let before = changed.count
        mergeEntries(into: &list, entries, key: key, original: originalSpec[field]?.arrayValue, pointer: "/spec/" + field,
                     owner: ["spec", field], what: what, rule, &changed)
        if changed.count > before { spec[field] = .array(list) }
    }

    /// Spark's container (as for probes): its securityContext, env, volumeMounts and lifecycle.
    mutating func applyToSparkContainer(_ f: PodFields, _ rule: Rule, _ changed: inout [String]) {
        decodeOnce("containers")
        var containers = spec["containers"]?.arrayValue ?? []
        guard let index = SparkPod.mainContainer(in: containers, named: nil), var container = containers[index].objectValue else {
            warnings.append("rule \(rule.name): Spark's container not found in the pod; containerSecurityContext, env, volumeMounts and lifecycle not set")
            return
        }
        let name = container["name"]?.stringValue ?? ""
        let original = originalSpec["containers"]?.arrayValue?.first { $0["name"]?.stringValue == name }?.objectValue
        let owner = ["spec", "containers", Ownership.entryKey("name", .string(name))]
        let pointer = "/spec/containers/\(index)/"
        let before = changed.count
        if let context = f.containerSecurityContext {
            var target = container["securityContext"]?.objectValue ?? JSONObject()
            let start = changed.count
            mergeFields(into: &target, context, original: original?["securityContext"]?.objectValue, pointer: pointer + "securityContext",
                        owner: owner + ["securityContext"], what: "securityContext of \(name):", rule, &changed)
            if changed.count > start { container["securityContext"] = .object(target) }
        }
        if !f.env.isEmpty {
            var env = container["env"]?.arrayValue ?? []
            let start = changed.count
            mergeEntries(into: &env, f.env, key: "name", original: original?["env"]?.arrayValue, pointer: pointer + "env",
                         owner: owner + ["env"], what: "env of \(name):", rule, &changed)
            if changed.count > start { container["env"] = .array(env) }
        }
        if !f.volumeMounts.isEmpty {
            // A mount of a volume the pod does not have gets the pod refused: skipped, with a warning.
            let volumes = (spec["volumes"]?.arrayValue ?? []).map(Self.member("name"))
            let mounts = f.volumeMounts.filter { mount in
                if volumes.contains(mount["name"]) { return true }
                warnings.append("rule \(rule.name): the pod has no volume \(mount["name"]?.stringValue ?? ""); volumeMount \(mount["mountPath"]?.stringValue ?? "") not set")
                return false
            }
            var list = container["volumeMounts"]?.arrayValue ?? []
            let start = changed.count
            mergeEntries(into: &list, mounts, key: "mountPath", original: original?["volumeMounts"]?.arrayValue, pointer: pointer + "volumeMounts",
                         owner: owner + ["volumeMounts"], what: "volumeMount of \(name):", rule, &changed)
            if changed.count > start { container["volumeMounts"] = .array(list) }
        }
        if let lifecycle = f.lifecycle {
            var target = container["lifecycle"]?.objectValue ?? JSONObject()
            let start = changed.count
            mergeFields(into: &target, lifecycle, original: original?["lifecycle"]?.objectValue, pointer: pointer + "lifecycle",
                        owner: owner + ["lifecycle"], what: "lifecycle of \(name):", rule, &changed, neverReplaceCreators: true)
            if changed.count > start { container["lifecycle"] = .object(target) }
        }
        guard changed.count > before else { return }
        containers[index] = .object(container)
        spec["containers"] = .array(containers)
    }

    /// Each of `value`'s fields into `target`, unless equal already (apiserver defaults around it
    /// allowed) or its creator's value is there and the rule does not override. A creator's
    /// lifecycle hook is never replaced: Spark's preStop decommissions the executor.
    mutating func mergeFields(into target: inout JSONObject, _ value: JSONObject, original: JSONObject?, pointer: String, owner: [String],
                              what: String, _ rule: Rule, _ changed: inout [String], neverReplaceCreators: Bool = false) {
        for entry in value {
            let current = target[entry.key]
            if let current, current.contains(entry.value) { continue }
            let path = pointer + "/" + entry.key
            if let current {
                let creatorSet = original?[entry.key] != nil && spark.ownership.creatorSet(owner + [entry.key])
                let shown = current.isObject || current.isArray ? nil : current
                if neverReplaceCreators && creatorSet {
                    warnings.append("rule \(rule.name): kept \(what) \(entry.key) set by the pod's creator (a rule never replaces a lifecycle hook)")
                    continue
                }
                guard mayWrite(path, creatorSet: creatorSet, rule, what: "\(what) \(entry.key)", current: shown) else { continue }
            }
            target[entry.key] = entry.value
            setByUs.append(path)
            changed.append(path)
        }
    }

    /// Each entry into `list` by its key: added, or replacing the entry with its key unless that
    /// is equal already or its creator's and the rule does not override.
    mutating func mergeEntries(into list: inout [JSON], _ entries: [JSON], key: StaticString, original: [JSON]?, pointer: String, owner: [String],
                               what: String, _ rule: Rule, _ changed: inout [String]) {
        // Each entry's key read once, and without building the entry (Spark's env is long).
        var keys = list.map(Self.member(key))
        let name = key.description
        for entry in entries {
            guard let value = entry[name] else { continue }
            guard let i = keys.firstIndex(where: { $0 == value }) else {
                let path = pointer + "/\(list.count)"
                list.append(entry)
                keys.append(value)
                setByUs.append(path)
                changed.append(path)
                continue
            }
            if list[i].contains(entry) { continue }
            let path = pointer + "/\(i)"
            let creatorSet = original?.contains { Self.member(key)($0) == value } == true
                && spark.ownership.creatorSet(owner + [Ownership.entryKey(name, value)])
            guard mayWrite(path, creatorSet: creatorSet, rule, what: "\(what) \(value.stringValue ?? value.text)", current: nil) else { continue }
            list[i] = entry
            setByUs.append(path)
            changed.append(path)
        }
    }

    /// A member of an object, read in one pass over its top level; nil for anything else.
    static func member(_ key: StaticString) -> (JSON) -> JSON? {
        { value in ((try? value.members([key])) ?? nil)?.first ?? nil }
    }
}
