// Applies the matching rules to a pod, in order, and records what each changed. Pure: the same
// pod and policy always give the same result, and a mutated pod passed again changes nothing.
import Admission
import JSON

public struct AppliedRule: Sendable, Equatable {
    public var rule: String
    public var variant: String?
    public var fields: [String]

    /// Appends `rule` or `rule/variant`, as the applied annotation and the audit annotation name it.
    /// Appended rather than interpolated: it runs for every rule applied to every pod.
    func appendLabel(to text: inout String) {
        text += rule
        if let variant { text += "/"; text += variant }
    }
}

public struct Mutation: Sendable {
    /// The original pod, with the levels the mutation decoded shared: diff against this one.
    public var original: JSON
    public var pod: JSON
    /// The rules (and variants) that changed the pod, with the fields each set. On a later pass
    /// over a mutated pod (reinvocation) a rule that an earlier pass named in the applied
    /// annotation stays named while its values are still in place, with no fields of its own.
    public var applied: [AppliedRule]
    /// The applied rules' labels, comma-separated: the value of the applied annotation.
    public var appliedSummary: String
    /// The rules that matched and changed nothing (every value in place already, or kept under
    /// `override: false`, or nowhere to put it: probes without Spark's container).
    public var unchanged: [AppliedRule] = []
    /// Their labels, comma-separated: the value of the matched-unchanged annotation. Computed,
    /// not stored: read only when there are some, and a Mutation copied per decision stays small.
    public var unchangedSummary: String { Mutator.State.labels(unchanged) }
    public var warnings: [String]
    public var isSparkPod: Bool
    /// Executors a split placed on its fallback variant for want of a usable id (SplitFallback).
    public var fallbacks: [SplitFallback] = []

    /// The pod as it came: nothing applied, nothing to say.
    static func untouched(_ pod: JSON, isSparkPod: Bool) -> Mutation {
        Mutation(original: pod, pod: pod, applied: [], appliedSummary: "", warnings: [], isSparkPod: isSparkPod)
    }
}

public enum Mutator {
    public static let appliedAnnotation = "sparkhook.io/applied"
    /// Rules that matched the pod and changed nothing: not in the applied annotation, named here.
    public static let unchangedAnnotation = "sparkhook.io/matched-unchanged"

    public static func mutate(pod original: JSON, namespace: String?, policy: PolicySet) throws -> Mutation {
        guard let spark = try SparkPod(original, namespace: namespace, keys: policy.matcher.keys) else {
            return .untouched(original, isSparkPod: false)
        }
        let matching = policy.matcher.matching(spark.facts)
        // No rule for this pod: it goes through as it came, without the copies of its metadata
        // and spec that a mutation starts with (the diff then sees one value on both sides).
        if matching.isEmpty { return .untouched(original, isSparkPod: true) }
        var state = State(spark: spark)
        for index in matching {
            state.apply(policy.rules[index])
        }
        let (summary, unchanged) = state.finish()
        return Mutation(original: .object(state.originalPod), pod: .object(state.pod), applied: state.applied,
                        appliedSummary: summary, unchanged: unchanged, warnings: state.warnings, isSparkPod: true, fallbacks: state.fallbacks)
    }

    struct State {
        let spark: SparkPod
        var metadata: JSONObject
        var spec: JSONObject
        /// The original spec, with the fields rules change decoded as in `spec` (see `decodeOnce`):
        /// read the original's values here, not from `spark.spec`.
        var originalSpec: JSONObject
        var applied: [AppliedRule] = []
        var warnings: [String] = []
        var fallbacks: [SplitFallback] = []
        /// Whether a matching rule changed nothing: only then are the two records told apart
        /// (a flag set in `apply`, not a second walk over `applied` that copies each element).
        var anyUnchanged = false
        /// Fields a rule of this pass has set: a later rule may replace them whatever `override` says.
        /// A handful per pod: a list searched in order costs less than hashing every insert.
        var setByUs: [String] = []

        init(spark: SparkPod) {
            self.spark = spark
            self.metadata = spark.metadata
            self.spec = spark.spec
            self.originalSpec = spark.spec
            // The first change copies the pod's levels (they are shared with the original); copy
            // them now with room for what rules add, not once to change and again to grow.
            metadata.reserveCapacity(extra: 2)
            spec.reserveCapacity(extra: 6)
            // Room for a few rules and fields at once: grown an element at a time, these lists
            // took an allocation per rule applied and per field set.
            applied.reserveCapacity(4)
            setByUs.reserveCapacity(8)
        }

        /// The mutated pod: the original with the new metadata and spec in their places.
        var pod: JSONObject { spark.pod(metadata: metadata, spec: spec) }

        /// The original pod, sharing every level the mutation decoded: the diff and the patch
        /// check compare against this one and skip what both share.
        var originalPod: JSONObject { spark.pod(metadata: spark.metadata, spec: originalSpec) }

        /// Decodes a list in the spec that rules read and change (containers, tolerations, spread
        /// constraints), and each of its elements, once per pod, in the original spec as well as in
        /// `spec`: left raw, it would be decoded again by every rule that looks, by the diff and by
        /// the patch check; this way they all find it decoded, and the elements no rule changed
        /// shared. (nodeSelector, small and nearly always set, is decoded in SparkPod.)
        mutating func decodeOnce(_ field: String) {
            // Absent, decoded already, or not a list (SparkPod refuses such a pod): nothing to do.
            guard let value = originalSpec[field], case .raw = value, let items = value.arrayValue else { return }
            let decoded = JSON.array(items.map(\.resolved))
            originalSpec[field] = decoded
            if spec[field] == value { spec[field] = decoded }  // unchanged: same range, no compare of bytes
        }

        mutating func apply(_ rule: Rule) {
            var variantName: String? = nil
            var changed: [String] = []
            changed.reserveCapacity(4)
            if let split = rule.split {
                let index: Int
                if let id = spark.executorID {
                    index = split.variant(forExecutorID: id)
                } else {
                    index = split.fallbackVariant
                    let variant = split.variants[index].name
                    warnings.append(SplitFallback.warning(rule: rule.name, variant: variant, labels: spark.labels, metadata: spark.metadata))
                    fallbacks.append(SplitFallback(rule: rule.name, variant: variant))
                }
                variantName = split.variants[index].name
                set(rule.variantSettings[index], rule, &changed)
            } else {
                set(rule.set, rule, &changed)
            }
            if changed.isEmpty { anyUnchanged = true }
            applied.append(AppliedRule(rule: rule.name, variant: variantName, fields: changed))
        }

        /// Each field `settings` gives, in turn. Passed from the rule, not copied into a local: a
        /// copy of Settings retains (and then releases) every one of its fields, for every rule applied.
        mutating func set(_ settings: Settings, _ rule: Rule, _ changed: inout [String]) {
            setPriorityClass(settings.priorityClassName, rule, &changed)
            if let name = settings.schedulerName {
                setSpecScalar("schedulerName", "/spec/schedulerName", .string(name), rule, &changed, apiserverDefault: "default-scheduler")
            }
            if let seconds = settings.terminationGracePeriodSeconds {
                setSpecScalar("terminationGracePeriodSeconds", "/spec/terminationGracePeriodSeconds", .int(seconds), rule, &changed, apiserverDefault: 30)
            }
            if !settings.labels.isEmpty { mergeMetadata("labels", settings.labels, rule, &changed) }
            if !settings.annotations.isEmpty { mergeMetadata("annotations", settings.annotations, rule, &changed) }
            setNodeSelector(settings.nodeSelector, rule, &changed)
            addTolerations(settings.tolerations, &changed)
            addSpreadConstraints(settings.topologySpreadConstraints, rule, &changed)
            if let affinity = settings.affinity { mergeAffinity(affinity, rule, &changed) }
            if let probes = settings.probes { setProbes(probes, rule, &changed) }
            if let fields = settings.pod { applyPodFields(fields, rule, &changed) }
        }

        /// May `rule` write this field? Not when the creator set it and the rule does not override.
        mutating func mayWrite(_ pointer: String, creatorSet: Bool, _ rule: Rule, what: @autoclosure () -> String, current: JSON?) -> Bool {
            if rule.override || !creatorSet || setByUs.contains(where: { sameText($0, pointer) }) { return true }
            warnings.append("rule \(rule.name): kept \(what())\(current.map { " " + describe($0) } ?? "") set by the pod's creator (override: false)")
            return false
        }

        func describe(_ value: JSON) -> String {
            if let s = value.stringValue { return "\"\(s)\"" }
            return value.text
        }

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
            object["labelSelector"] = .object(["matchLabels": .object(matchLabels)])
            return .object(object)
        }

        mutating func setProbes(_ probes: Probes, _ rule: Rule, _ changed: inout [String]) {
            let kinds = Probes.Kind.allCases.filter { probes[$0] != nil }
            guard !kinds.isEmpty else { return }
            decodeOnce("containers")
            var containers = spec["containers"]?.arrayValue ?? []
            guard let index = SparkPod.mainContainer(in: containers, named: probes.container),
                  var container = containers[index].objectValue else {
                let which = probes.container.map { "container \"\($0)\"" } ?? "Spark's container"
                warnings.append("rule \(rule.name): \(which) not found in the pod; probes not set")
                return
            }
            let name = container["name"]?.stringValue ?? ""
            let original = originalSpec["containers"]?.arrayValue?.first { $0["name"]?.stringValue == name }
            for kind in kinds {
                let probe = probes[kind]!
                let current = container[kind.field]
                if let current, current.contains(probe) { continue }
                if let port = Self.namedPort(probe), !Self.containerHasPort(container, named: port) {
                    warnings.append("rule \(rule.name): container \(name) has no port named \"\(port)\"; \(kind.field) not set")
                    continue
                }
                let pointer = "/spec/containers/\(index)/\(kind.field)"
                let creatorSet = original?[kind.field] != nil
                guard mayWrite(pointer, creatorSet: creatorSet, rule, what: "\(kind.field) of \(name)", current: nil) else { continue }
                container[kind.field] = probe
                setByUs.append(pointer)
                changed.append(pointer)
            }
            containers[index] = .object(container)
            spec["containers"] = .array(containers)
        }

        static func namedPort(_ probe: JSON) -> String? {
            for handler in ["httpGet", "tcpSocket"] {
                if let port = probe[handler]?["port"]?.stringValue { return port }
            }
            return nil
        }

        static func containerHasPort(_ container: JSONObject, named name: String) -> Bool {
            container["ports"]?.arrayValue?.contains { $0["name"]?.stringValue == name } ?? false
        }

        /// After all rules: re-resolve priority when the class changed, and record in the pod's
        /// annotations which rules changed it (`applied`, left holding those) and which matched
        /// and changed nothing; returns the applied record ("" for none) and the unchanged rules.
        mutating func finish() -> (applied: String, unchanged: [AppliedRule]) {
            let before = originalSpec["priorityClassName"]
            if spec["priorityClassName"] != before {
                // The apiserver resolved priority and preemptionPolicy from the old class; left in
                // place they get the pod rejected. Removed, they are resolved again from the new one.
                spec["priority"] = nil
                spec["preemptionPolicy"] = nil
            }
            // Usually every matching rule changed something: no second list, no annotation read.
            var unchanged: [AppliedRule] = []
            if anyUnchanged { unchanged = separateUnchanged() }
            let value = Self.labels(applied)
            let unchangedValue = unchanged.isEmpty ? "" : Self.labels(unchanged)
            var annotations = metadata["annotations"]?.objectValue ?? JSONObject()
            // A flag, not the old object kept: holding it would copy the annotations on the first write.
            let hadAnnotations = !annotations.isEmpty
            var wrote = false
            if !value.isEmpty { annotations[Mutator.appliedAnnotation] = .string(value); wrote = true }
            if !unchangedValue.isEmpty { annotations[Mutator.unchangedAnnotation] = .string(unchangedValue); wrote = true }
            // A record this pass does not repeat (an earlier pass's, a copied pod's) is removed; a
            // pod that came without annotations has none to look for.
            if hadAnnotations {
                if value.isEmpty, annotations[Mutator.appliedAnnotation] != nil { annotations[Mutator.appliedAnnotation] = nil; wrote = true }
                if unchangedValue.isEmpty, annotations[Mutator.unchangedAnnotation] != nil { annotations[Mutator.unchangedAnnotation] = nil; wrote = true }
            }
            if wrote { metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations) }
            return (value, unchanged)
        }

        /// Takes the rules that changed nothing out of `applied`, except those an earlier pass named
        /// in the applied annotation: their values are in place because that pass set them, and a
        /// second pass must leave the annotation as the first wrote it (reinvocation).
        mutating func separateUnchanged() -> [AppliedRule] {
            let earlier = spark.metadata["annotations"]?[Mutator.appliedAnnotation]?.stringValue?.split(separator: ",") ?? []
            var unchanged: [AppliedRule] = []
            applied.removeAll { rule in
                guard rule.fields.isEmpty else { return false }
                var label = ""
                rule.appendLabel(to: &label)
                if earlier.contains(where: { $0 == label }) { return false }
                unchanged.append(rule)
                return true
            }
            return unchanged
        }

        /// `rule` or `rule/variant`, comma-separated. Appended in place rather than labels joined:
        /// interpolation and `joined` cost more than the rest of `finish` on every admission.
        @inline(__always)
        static func labels(_ rules: [AppliedRule]) -> String {
            guard !rules.isEmpty else { return "" }
            var value = ""
            value.reserveCapacity(rules.reduce(0) { $0 + $1.rule.utf8.count + ($1.variant?.utf8.count ?? 0) + 2 })
            for (i, rule) in rules.enumerated() {
                if i > 0 { value += "," }
                rule.appendLabel(to: &value)
            }
            return value
        }
    }
}
