// What a mutation did: the pod before and after, the rules applied (and the fields each set), the
// rules that matched and changed nothing, and what to warn about.
import JSON

public struct AppliedRule: Sendable, Equatable {
    public var rule: String
    public var variant: String?
    public var fields: [String]

    /// `rule` or `rule/variant`: how the applied annotation, the audit annotation, the preview's
    /// tables and policy tests name it.
    public var label: String {
        var text = ""
        appendLabel(to: &text)
        return text
    }

    /// Appends `label`. Appended rather than interpolated: it runs for every rule applied to every pod.
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
