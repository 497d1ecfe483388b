// What a SparkApplication's pods get from a policy: per role the rules applied, the fields set and
// the warnings, and what each pod ends with by value (see PodOutcome); for executors 1..N, how many
// land in each split variant (and which ids), where the base ends, and the values of each group
// that ends alike.
import JSON
import Policy
import Webhook

public struct ApplicationPreview {
    /// Executors that end alike: the same rules (and variants) applied.
    struct Group {
        var applied: String
        var ids: [Int]
        var outcome: PodOutcome
    }

    /// Where one split rule placed executors 1..N, in id order.
    struct Placement {
        var rule: String
        var sequence: [String]

        /// Each variant's ids, in the order the variants first appear.
        var ids: [(variant: String, ids: [Int])] {
            var ids: [(variant: String, ids: [Int])] = []
            for (i, v) in sequence.enumerated() {
                if let at = ids.firstIndex(where: { $0.variant == v }) { ids[at].ids.append(i + 1) } else { ids.append((v, [i + 1])) }
            }
            return ids
        }
    }

    let application: String
    let policy: PolicySet
    let driverName: String
    let driver: PreviewOutcome
    let driverOutcome: PodOutcome
    let executorCount: Int
    /// Executor 1's preview: the rules the table and the JSON show for executors.
    let firstExecutor: PreviewOutcome
    let executorWarnings: [String]
    let placements: [Placement]
    let groups: [Group]

    public init(_ app: SparkApplication, policy: PolicySet, executors count: Int) throws {
        func decide(_ pod: JSON) throws -> PreviewOutcome {
            try PreviewOutcome(PreviewInput(pod.serialized(), format: .json, source: app.name), policy: policy)
        }
        application = app.name
        self.policy = policy
        driverName = app.driver["metadata", "name"]?.stringValue ?? ""
        driver = try decide(app.driver)
        driverOutcome = PodOutcome(built: app.driver, preview: driver)
        executorCount = count
        var first: PreviewOutcome?
        var warnings: [String] = []
        var placements: [Placement] = []
        var groups: [Group] = []
        for id in 1...max(count, 1) {
            let built = app.executor(id)
            let result = try decide(built)
            if id == 1 { first = result }
            let applied = result.mutation?.appliedSummary ?? ""
            if let i = groups.firstIndex(where: { $0.applied == applied }) { groups[i].ids.append(id) } else {
                groups.append(Group(applied: applied, ids: [id], outcome: PodOutcome(built: built, preview: result)))
            }
            for w in result.warnings where !warnings.contains(w) { warnings.append(w) }
            // The split's placement, whether or not the variant's values changed the pod.
            for rule in result.applied + result.unchanged {
                guard let variant = rule.variant else { continue }
                if let i = placements.firstIndex(where: { $0.rule == rule.rule }) { placements[i].sequence.append(variant) } else {
                    placements.append(Placement(rule: rule.rule, sequence: [variant]))
                }
            }
        }
        firstExecutor = first!
        executorWarnings = warnings
        self.placements = placements
        self.groups = groups
    }

    /// For `-o json`.
    public var json: JSON {
        let split: [JSON] = placements.map { p in
            var counts = JSONObject()
            for v in p.sequence { counts[v] = .int((counts[v]?.intValue ?? 0) + 1) }
            return ["rule": .string(p.rule), "counts": .object(counts), "sequence": .array(p.sequence.map { .string($0) }),
                    "ids": .object(JSONObject(p.ids.map { .init(key: $0.variant, value: .string(IDRanges.text($0.ids))) }))]
        }
        return [
            "application": .string(application),
            "driver": ["pod": .string(driverName), "applied": PreviewOutcome.json(driver.applied),
                       "warnings": .array(driver.warnings.map { .string($0) }), "set": driverOutcome.setJSON, "kept": driverOutcome.keptJSON],
            "executors": ["count": .int(executorCount), "applied": PreviewOutcome.json(firstExecutor.applied), "split": .array(split),
                          "warnings": .array(executorWarnings.map { .string($0) }),
                          "pods": .array(groups.map { g in
                              ["applied": .string(g.applied), "first": .int(g.ids[0]), "count": .int(g.ids.count),
                               "ids": .string(IDRanges.text(g.ids)), "set": g.outcome.setJSON, "kept": g.outcome.keptJSON]
                          })],
        ]
    }
}
