// An application's preview for a person at a terminal: per role the rules and the fields they
// set, where each split placed executors, and what each group of executors ends with.
import Policy

extension ApplicationPreview {
    public var table: String {
        var out = "SparkApplication \(application)\n"
        func section(_ title: String, _ applied: [AppliedRule], _ warnings: [String]) {
            out += "\n\(title)\n"
            if applied.isEmpty { out += "  no rule applies\n" }
            for a in applied {
                let fields = a.fields.joined(separator: ", ")
                out += "  \(a.label): \(fields.isEmpty ? "nothing to change" : fields)\n"
            }
            for w in warnings { out += "  warning: \(w)\n" }
        }
        section("driver \(driverName)", driver.applied, driver.warnings)
        out += "  the driver ends with:\n" + driverOutcome.lines(indent: "    ")
        section("executors 1-\(executorCount) (the first shown)", firstExecutor.applied, executorWarnings)
        for p in placements {
            out += "  \(p.rule): " + describe(p) + "\n"
            for (variant, ids) in p.ids {
                let text = IDRanges.text(ids)
                out += "    \(variant): executor\(text.contains(where: { $0 == "," || $0 == "-" }) ? "s" : "") \(IDRanges.short(text))\n"
            }
        }
        for g in groups {
            let count = g.ids.count
            let ids = IDRanges.short(IDRanges.text(g.ids))
            let who = groups.count == 1 ? "every executor" : count == 1 ? "1 executor (\(ids))" : "\(count) executors (\(ids); the first: \(g.ids[0]))"
            out += "  \(who) with \(g.applied.isEmpty ? "no rule" : g.applied) ends with:\n" + g.outcome.lines(indent: "    ")
        }
        return out
    }

    /// "1-2 on-demand (base), then 38 spot / 60 on-demand".
    func describe(_ p: Placement) -> String {
        let sequence = p.sequence
        let rule = policy.rules.first { $0.name == p.rule }
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
