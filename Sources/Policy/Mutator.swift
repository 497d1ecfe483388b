// Applies the matching rules to a pod, in order, and records what each changed. Pure: the same
// pod and policy always give the same result, and a mutated pod passed again changes nothing.
import JSON

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
    }
}
