// What a pass leaves in the pod's annotations: the rules that changed it (the applied record) and
// those that matched and changed nothing; and priority re-resolved when the class changed.
import JSON

extension Mutator.State {
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
            let label = rule.label
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
