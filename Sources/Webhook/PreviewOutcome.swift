// The preview's decision as values: the mutation, the pod as it ends and what to warn about. The
// /preview endpoint and `sparkhook preview` print it as JSON; policy tests read it as it is.
import JSON
import Policy

public struct PreviewOutcome: Sendable {
    /// nil when the input is not a Pod, which /mutate lets through untouched.
    public let mutation: Mutation?
    /// The pod as it ends (the input's object when it is not a Pod).
    public let pod: JSON
    public let warnings: [String]

    /// The rules (and variants) that changed the pod, with the fields each set.
    public var applied: [AppliedRule] { mutation?.applied ?? [] }
    /// The rules that matched and changed nothing.
    public var unchanged: [AppliedRule] { mutation?.unchanged ?? [] }

    public init(_ input: PreviewInput, policy: PolicySet) throws {
        guard let pod = input.pod else {
            (mutation, self.pod, warnings) = (nil, input.object, input.notes)
            return
        }
        let mutation = try Mutator.mutate(pod: pod, namespace: input.namespace, policy: policy)
        var warnings = mutation.warnings
        if !mutation.isSparkPod { warnings.append("not a Spark pod (no spark-role label of driver, executor or connect-server): passed through untouched") }
        (self.mutation, self.pod, self.warnings) = (mutation, mutation.pod, warnings)
    }

    /// {"patch", "applied", "matchedUnchanged", "pod", "warnings"} (README, "Preview before you deploy").
    public var json: JSON {
        let patch = mutation.map { JSONPatch.encode(JSONPatch.diff(from: $0.original, to: $0.pod)) } ?? []
        return [
            "patch": patch,
            "applied": Self.json(applied),
            "matchedUnchanged": .array(unchanged.map { Self.json($0, fields: false) }),
            "pod": pod,
            "warnings": .array(warnings.map { .string($0) }),
        ]
    }

    /// Applied rules as the preview shows them: {"rule", "variant" (null without a split), "fields"}.
    public static func json(_ applied: [AppliedRule]) -> JSON { .array(applied.map { json($0, fields: true) }) }

    static func json(_ rule: AppliedRule, fields: Bool) -> JSON {
        var object: JSONObject = ["rule": .string(rule.rule), "variant": rule.variant.map { .string($0) } ?? .null]
        if fields { object["fields"] = .array(rule.fields.map { .string($0) }) }
        return .object(object)
    }
}
