// Turns a policy document into rules: typed and checked by the schema first (SchemaReader with
// PolicySchema), then read into the model from the typed values. Only a rule in which no problem
// was found becomes a Rule; the loader refuses the policy when any problem was.
import YAML

struct PolicyDecoder {
    let reader: SchemaReader

    init(_ diagnostics: Diagnostics) { reader = SchemaReader(diagnostics, checks: PolicySchema.checks) }

    /// The document's rules by name, with the name's node (for the loader's repeated-name check,
    /// which counts invalid rules too); `rule` is nil where a problem was found.
    func document(_ node: YAMLNode) -> [(name: String, at: YAMLNode, rule: Rule?)] {
        guard let t = reader.read(node, .object(PolicySchema.document), "policy document") else { return [] }
        let policy = t["metadata"]?["name"]?.string ?? "policy"
        return (t["spec"]?["rules"]?.items ?? []).compactMap { r in
            guard let n = r["name"], let name = n.string else { return nil }
            return (name, n.node, r.complete ? rule(r, name: name, policy: policy) : nil)
        }
    }

    func rule(_ t: Typed, name: String, policy: String) -> Rule {
        Rule(name: name, policy: policy, match: t["match"].map(match) ?? Match(), exclude: t["exclude"].map(match),
             set: t["set"].map(settings) ?? Settings(), split: t["split"].flatMap(split), override: t["override"]?.bool ?? false)
    }

    func match(_ t: Typed) -> Match {
        var m = Match()
        m.roles = t["roles"].map { Set($0.strings.compactMap { SparkRole(rawValue: $0.0) }) }
        func globs(_ field: String) -> [Glob]? { t[field].map { $0.strings.compactMap { try? Glob($0.0) } } }
        m.namespaces = globs("namespaces")
        m.appNames = globs("appNames")
        m.serviceAccounts = globs("serviceAccounts")
        m.podLabels = t["podLabels"].map(selector)
        m.annotations = t["annotations"].map(selector)
        m.resources = t["resources"].map { $0.strings.map(\.0) }
        return m
    }

    func selector(_ t: Typed) -> LabelSelector {
        var selector = LabelSelector()
        selector.matchLabels = t["matchLabels"].map(SetField.pairs) ?? []
        selector.matchExpressions = (t["matchExpressions"]?.items ?? []).compactMap { e in
            guard let key = e["key"]?.string, let op = e["operator"]?.string.flatMap(LabelSelector.Operator.init) else { return nil }
            return .init(key: key, op: op, values: e["values"]?.strings.map(\.0) ?? [])
        }
        return selector
    }

    func settings(_ t: Typed) -> Settings {
        var s = Settings()
        for field in SetField.all { if let value = t[field.name] { field.read(&s, value) } }
        return s
    }

    func split(_ t: Typed) -> Split? {
        let variants = (t["variants"]?.items ?? []).compactMap { v -> Variant? in
            guard let name = v["name"]?.string, let weight = v["weight"]?.int else { return nil }
            return Variant(name: name, weight: weight, set: v["set"].map(settings) ?? Settings())
        }
        // The schedule divides by weights and indexes variants: never build one the checks
        // would have refused.
        guard !variants.isEmpty, variants.allSatisfy({ $0.weight > 0 }),
              SplitSchedule.cycleLength(weights: variants.map(\.weight)) <= SplitSchedule.maxCycle else { return nil }
        let base = t["base"]
        return Split(baseCount: base?["count"]?.int ?? 0, baseVariant: base?["variant"]?.string.flatMap { name in variants.firstIndex { $0.name == name } },
                     variants: variants, schedule: SplitSchedule(weights: variants.map(\.weight)))
    }
}
