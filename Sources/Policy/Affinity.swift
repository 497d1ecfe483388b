// Affinity a rule sets, and how it merges into a pod's. Required node affinity only narrows where
// a pod may run: node selector terms are ORed by Kubernetes, so a rule's terms are ANDed into the
// pod's (every pairing of a pod term with a rule term) rather than appended, which would widen it.
// Preferred terms and pod (anti-)affinity terms are added unless an equal one is there.
import JSON

public struct AffinitySettings: Sendable {
    /// Groups of required node selector terms; each group is ORed within and ANDed into the pod's.
    public var requiredNodeTerms: [[JSON]] = []
    public var preferredNodeTerms: [JSON] = []
    public var requiredPodAffinity: [JSON] = []
    public var preferredPodAffinity: [JSON] = []
    public var requiredPodAntiAffinity: [JSON] = []
    public var preferredPodAntiAffinity: [JSON] = []

    /// Read from the typed `affinity` value of a rule (see PodSchema.affinity).
    init(_ value: JSON) {
        let node = value["nodeAffinity"]
        if let terms = node?["requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]?.arrayValue, !terms.isEmpty {
            requiredNodeTerms = [terms]
        }
        preferredNodeTerms = node?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
        requiredPodAffinity = value["podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
        preferredPodAffinity = value["podAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
        requiredPodAntiAffinity = value["podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
        preferredPodAntiAffinity = value["podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
    }

    /// `later` on top: its required terms ANDed after these, its other terms added after these.
    func merged(with later: AffinitySettings) -> AffinitySettings {
        var result = self
        result.requiredNodeTerms += later.requiredNodeTerms
        result.preferredNodeTerms += later.preferredNodeTerms
        result.requiredPodAffinity += later.requiredPodAffinity
        result.preferredPodAffinity += later.preferredPodAffinity
        result.requiredPodAntiAffinity += later.requiredPodAntiAffinity
        result.preferredPodAntiAffinity += later.preferredPodAntiAffinity
        return result
    }
}

enum NodeTerms {
    /// The pod's terms ANDed with the rule's: every pairing, each pod term gaining the rule term's
    /// requirements it lacks; pairings that can never match are left out (an OR of terms does not
    /// need them). Empty when none can match: a conflict. A pod without terms takes the rule's.
    static func and(_ pod: [JSON], _ rule: [JSON]) -> [JSON] {
        guard !pod.isEmpty else { return rule.filter(canMatch) }
        var out: [JSON] = []
        for p in pod {
            for r in rule {
                let term = and(p, r)
                if canMatch(term) && !out.contains(term) { out.append(term) }
            }
        }
        return out
    }

    static func and(_ p: JSON, _ r: JSON) -> JSON {
        var term = p.objectValue ?? JSONObject()
        for field in ["matchExpressions", "matchFields"] {
            let mine = p[field]?.arrayValue ?? []
            let added = (r[field]?.arrayValue ?? []).filter { requirement in !mine.contains(requirement) }
            if !added.isEmpty { term[field] = .array(mine + added) }
        }
        return .object(term)
    }

    /// False for a term no node can meet: a key required to exist and not to, to be in value sets
    /// that share nothing, or in values it is also required not to be in.
    static func canMatch(_ term: JSON) -> Bool {
        for field in ["matchExpressions", "matchFields"] {
            var inValues: [String: Set<String>] = [:], notIn: [String: Set<String>] = [:]
            var exists = Set<String>(), absent = Set<String>()
            for requirement in term[field]?.arrayValue ?? [] {
                guard let key = requirement["key"]?.stringValue, let op = requirement["operator"]?.stringValue else { continue }
                let values = Set((requirement["values"]?.arrayValue ?? []).compactMap(\.stringValue))
                switch op {
                case "In": inValues[key] = inValues[key].map { $0.intersection(values) } ?? values; exists.insert(key)
                case "NotIn": notIn[key, default: []].formUnion(values)
                case "Exists": exists.insert(key)
                case "DoesNotExist": absent.insert(key)
                default: break  // Gt, Lt: not compared
                }
            }
            if !exists.isDisjoint(with: absent) { return false }
            for (key, allowed) in inValues where allowed.isEmpty || allowed.isSubset(of: notIn[key] ?? []) { return false }
        }
        return true
    }
}

extension Mutator.State {
    /// Merges a rule's affinity into the pod's (see NodeTerms for the required node terms). A
    /// conflict (no pairing of the pod's required terms with the rule's can match) keeps the pod's
    /// own terms with a warning under `override: false`; under `override: true` the rule's replace them.
    mutating func mergeAffinity(_ a: AffinitySettings, _ rule: Rule, _ changed: inout [String]) {
        let original = spec["affinity"]?.objectValue ?? JSONObject()
        var affinity = original
        var node = affinity["nodeAffinity"]?.objectValue ?? JSONObject()
        let requiredField = "requiredDuringSchedulingIgnoredDuringExecution", preferredField = "preferredDuringSchedulingIgnoredDuringExecution"
        let nodePath = "/spec/affinity/nodeAffinity/"
        for group in a.requiredNodeTerms {
            let podTerms = (node[requiredField]?["nodeSelectorTerms"]?.arrayValue ?? []).map(\.resolved)
            var terms = NodeTerms.and(podTerms, group)
            if terms.isEmpty {
                guard rule.override else {
                    warnings.append("rule \(rule.name): kept the pod's required node affinity: ANDed with the rule's, no node could match (override: false)")
                    continue
                }
                terms = group
            }
            if terms != podTerms {
                node[requiredField] = ["nodeSelectorTerms": .array(terms)]
                changed.append(nodePath + requiredField)
            }
        }
        addTerms(a.preferredNodeTerms, to: &node, preferredField, nodePath + preferredField, &changed)
        if !node.isEmpty { affinity["nodeAffinity"] = .object(node) }
        for (kind, required, preferred) in [("podAffinity", a.requiredPodAffinity, a.preferredPodAffinity),
                                            ("podAntiAffinity", a.requiredPodAntiAffinity, a.preferredPodAntiAffinity)] {
            guard !required.isEmpty || !preferred.isEmpty else { continue }
            var level = affinity[kind]?.objectValue ?? JSONObject()
            addTerms(required, to: &level, requiredField, "/spec/affinity/\(kind)/" + requiredField, &changed)
            addTerms(preferred, to: &level, preferredField, "/spec/affinity/\(kind)/" + preferredField, &changed)
            if !level.isEmpty { affinity[kind] = .object(level) }
        }
        if affinity != original { spec["affinity"] = .object(affinity) }
    }

    /// Adds each term to the list `field` of `level` unless an equal one is there.
    private func addTerms(_ terms: [JSON], to level: inout JSONObject, _ field: String, _ pointer: String, _ changed: inout [String]) {
        guard !terms.isEmpty else { return }
        var list = (level[field]?.arrayValue ?? []).map(\.resolved)
        var added = false
        for term in terms where !list.contains(term) {
            list.append(term)
            added = true
        }
        if added {
            level[field] = .array(list)
            changed.append(pointer)
        }
    }
}
