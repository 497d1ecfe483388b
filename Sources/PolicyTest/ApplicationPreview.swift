// What a SparkApplication's pods get from a policy: per role the rules applied, the fields set and
// the warnings, and what each pod ends with by value (see PodOutcome); for executors 1..N, how many
// land in each split variant (and which ids), where the base ends, and the values of each group
// that ends alike.
import JSON
import Policy
import Webhook

public enum ApplicationPreview {
    public static func run(_ app: SparkApplication, policy: PolicySet, executors count: Int) throws -> JSON {
        func decide(_ pod: JSON) throws -> JSON {
            try Decision.preview(PreviewInput(pod.serialized(), format: .json, source: app.name), policy: policy)
        }
        let driver = try decide(app.driver)
        var variants: [(rule: String, sequence: [String])] = []
        var first: JSON = .null
        var warnings: [String] = []
        var groups: [(applied: String, ids: [Int], outcome: JSON)] = []
        for id in 1...max(count, 1) {
            let built = app.executor(id)
            let result = try decide(built)
            if id == 1 { first = result }
            let applied = (result["applied"]?.arrayValue ?? []).map { a in
                (a["rule"]?.stringValue ?? "") + (a["variant"]?.stringValue.map { "/" + $0 } ?? "")
            }.joined(separator: ",")
            if let i = groups.firstIndex(where: { $0.applied == applied }) { groups[i].ids.append(id) } else {
                groups.append((applied, [id], PodOutcome.of(built: built, preview: result)))
            }
            for w in result["warnings"]?.arrayValue ?? [] where !warnings.contains(w.stringValue ?? "") { warnings.append(w.stringValue ?? "") }
            // The split's placement, whether or not the variant's values changed the pod.
            for applied in (result["applied"]?.arrayValue ?? []) + (result["matchedUnchanged"]?.arrayValue ?? []) {
                guard let rule = applied["rule"]?.stringValue, let variant = applied["variant"]?.stringValue else { continue }
                if let i = variants.firstIndex(where: { $0.rule == rule }) { variants[i].sequence.append(variant) } else { variants.append((rule, [variant])) }
            }
        }
        let split: [JSON] = variants.map { rule, sequence in
            var counts = JSONObject()
            var ids: [(variant: String, ids: [Int])] = []
            for (i, v) in sequence.enumerated() {
                counts[v] = .int((counts[v]?.intValue ?? 0) + 1)
                if let at = ids.firstIndex(where: { $0.variant == v }) { ids[at].ids.append(i + 1) } else { ids.append((v, [i + 1])) }
            }
            return ["rule": .string(rule), "counts": .object(counts), "sequence": .array(sequence.map { .string($0) }),
                    "ids": .object(JSONObject(ids.map { .init(key: $0.variant, value: .string(IDRanges.text($0.ids))) }))]
        }
        let driverOutcome = PodOutcome.of(built: app.driver, preview: driver)
        return [
            "application": .string(app.name),
            "driver": ["pod": .string(app.driver["metadata", "name"]?.stringValue ?? ""), "applied": driver["applied"] ?? [],
                       "warnings": driver["warnings"] ?? [], "set": driverOutcome["set"] ?? [], "kept": driverOutcome["kept"] ?? []],
            "executors": ["count": .int(count), "applied": first["applied"] ?? [], "split": .array(split),
                          "warnings": .array(warnings.map { .string($0) }),
                          "pods": .array(groups.map { g in
                              ["applied": .string(g.applied), "first": .int(g.ids[0]), "count": .int(g.ids.count),
                               "ids": .string(IDRanges.text(g.ids)),
                               "set": g.outcome["set"] ?? [], "kept": g.outcome["kept"] ?? []]
                          })],
        ]
    }

    /// For a person at a terminal.
    public static func table(_ result: JSON, policy: PolicySet) -> String {
        var out = "SparkApplication \(result["application"]?.stringValue ?? "")\n"
        func section(_ title: String, _ part: JSON?) {
            out += "\n\(title)\n"
            let applied = part?["applied"]?.arrayValue ?? []
            if applied.isEmpty { out += "  no rule applies\n" }
            for a in applied {
                let label = (a["rule"]?.stringValue ?? "") + (a["variant"]?.stringValue.map { "/" + $0 } ?? "")
                let fields = (a["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                out += "  \(label): \(fields.isEmpty ? "nothing to change" : fields)\n"
            }
            for w in part?["warnings"]?.arrayValue ?? [] { out += "  warning: \(w.stringValue ?? "")\n" }
        }
        section("driver \(result["driver", "pod"]?.stringValue ?? "")", result["driver"])
        out += "  the driver ends with:\n" + PodOutcome.lines(result["driver"], indent: "    ")
        let executors = result["executors"]
        section("executors 1-\(executors?["count"]?.intValue ?? 0) (the first shown)", executors)
        for s in executors?["split"]?.arrayValue ?? [] {
            out += "  \(s["rule"]?.stringValue ?? ""): " + describe(split: s, policy: policy) + "\n"
            for entry in s["ids"]?.objectValue?.entries ?? [] {
                let ids = entry.value.stringValue ?? ""
                out += "    \(entry.key): executor\(ids.contains(where: { $0 == "," || $0 == "-" }) ? "s" : "") \(IDRanges.short(ids))\n"
            }
        }
        let groups = executors?["pods"]?.arrayValue ?? []
        for g in groups {
            let count = g["count"]?.intValue ?? 0
            let applied = g["applied"]?.stringValue ?? ""
            let ids = IDRanges.short(g["ids"]?.stringValue ?? "")
            let who = groups.count == 1 ? "every executor" : count == 1 ? "1 executor (\(ids))" : "\(count) executors (\(ids); the first: \(g["first"]?.intValue ?? 0))"
            out += "  \(who) with \(applied.isEmpty ? "no rule" : applied) ends with:\n" + PodOutcome.lines(g, indent: "    ")
        }
        return out
    }

    /// "1-2 on-demand (base), then 38 spot / 60 on-demand".
    static func describe(split s: JSON, policy: PolicySet) -> String {
        let sequence = (s["sequence"]?.arrayValue ?? []).compactMap(\.stringValue)
        let rule = policy.rules.first { $0.name == s["rule"]?.stringValue }
        let base = min(rule?.split?.baseCount ?? 0, sequence.count)
        var parts: [String] = []
        if base > 0 { parts.append("\(base == 1 ? "1" : "1-\(base)") \(sequence[0]) (base)") }
        var counts: [(String, Int)] = []
        for v in sequence.dropFirst(base) {
            if let i = counts.firstIndex(where: { $0.0 == v }) { counts[i].1 += 1 } else { counts.append((v, 1)) }
        }
        if !counts.isEmpty { parts.append((base > 0 ? "then " : "") + counts.map { "\($0.1) \($0.0)" }.joined(separator: " / ")) }
        return parts.joined(separator: ", ")
    }
}
