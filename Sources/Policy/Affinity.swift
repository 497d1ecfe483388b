// Affinity a rule sets, and how it merges into a pod's. Required node affinity only narrows where
// a pod may run: node selector terms are ORed by Kubernetes, so a rule's terms are ANDed into the
// pod's (every pairing of a pod term with a rule term) rather than appended, which would widen it.
// Preferred terms and pod (anti-)affinity terms are added unless an equal one is there.
import JSON

public struct AffinitySettings: Sendable {
    /// Groups of required node selector terms; each group is ORed within and ANDed into the pod's.
    var requiredNodeTerms: [NodeTermGroup] = []
    public var preferredNodeTerms: [JSON] = []
    public var requiredPodAffinity: [JSON] = []
    public var preferredPodAffinity: [JSON] = []
    public var requiredPodAntiAffinity: [JSON] = []
    public var preferredPodAntiAffinity: [JSON] = []

    /// Read from the typed `affinity` value of a rule (see PodSchema.affinity).
    init(_ value: JSON) {
        let node = value["nodeAffinity"]
        if let terms = node?["requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]?.arrayValue, !terms.isEmpty {
            requiredNodeTerms = [NodeTermGroup(terms)]
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

/// A rule's required node terms, reduced once when the policy loads (a pod without terms of its
/// own takes them as they are, at no cost per decision).
struct NodeTermGroup: Sendable {
    /// Without the terms that imply another, when `canMatch`; else as written.
    var terms: [JSON]
    /// Whether any of the terms can match a node.
    var canMatch: Bool

    init(_ written: [JSON]) {
        let kept = NodeTerms.minimal(written.map { ($0, NodeRequirement.all(of: $0)) })
        canMatch = !kept.isEmpty
        terms = canMatch ? kept : written
    }
}

enum NodeTerms {
    /// The pod's terms ANDed with the rule's: every pairing, each pod term gaining the rule term's
    /// requirements it does not already imply; pairings that can never match are left out, and so
    /// is a term that implies another one kept (it adds nothing to an OR). Empty when none can
    /// match: a conflict. A pod without terms takes the rule's. ANDing the same rule into the
    /// result again gives the result: each pairing with another rule term implies its own term.
    static func and(_ pod: [JSON], _ rule: [JSON]) -> [JSON] {
        let ruleTerms = rule.map { ($0, NodeRequirement.all(of: $0)) }
        guard !pod.isEmpty else { return minimal(ruleTerms) }
        var out: [(JSON, [NodeRequirement])] = []
        for p in pod {
            let mine = NodeRequirement.all(of: p)
            // A term no node meets (an empty one among them) stays so when ANDed: gaining the
            // rule's requirements would make the pod schedulable where its creator's forbade it.
            guard NodeTermLogic.canMatch(mine) else { continue }
            for (r, theirs) in ruleTerms {
                out.append(and(p, mine, r, theirs))
            }
        }
        return minimal(out)
    }

    static func and(_ p: JSON, _ mine: [NodeRequirement], _ r: JSON, _ theirs: [NodeRequirement]) -> (JSON, [NodeRequirement]) {
        var term = p.objectValue ?? JSONObject()
        var requirements = mine
        for (field, isField) in [("matchExpressions", false), ("matchFields", true)] {
            let own = p[field]?.arrayValue ?? []
            var added: [JSON] = []
            for (json, requirement) in zip(r[field]?.arrayValue ?? [], theirs.filter { $0.isField == isField })
            where !mine.contains(where: { $0.implies(requirement) }) {
                added.append(json)
                requirements.append(requirement)
            }
            if !added.isEmpty { term[field] = .array(own + added) }
        }
        return (.object(term), requirements)
    }

    /// The terms that can match and imply no other kept term, in order; of equivalent terms, the first.
    static func minimal(_ terms: [(JSON, [NodeRequirement])]) -> [JSON] {
        let live = terms.filter { NodeTermLogic.canMatch($0.1) }
        var out: [JSON] = []
        for (i, (json, requirements)) in live.enumerated() {
            let redundant = live.indices.contains { j in
                j != i && NodeTermLogic.implies(requirements, live[j].1) && (j < i || !NodeTermLogic.implies(live[j].1, requirements))
            }
            if !redundant { out.append(json) }
        }
        return out
    }

    /// False for a term no node can meet (see NodeTermLogic.canMatch).
    static func canMatch(_ term: JSON) -> Bool { NodeTermLogic.canMatch(NodeRequirement.all(of: term)) }
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
            var terms = podTerms.isEmpty ? (group.canMatch ? group.terms : []) : NodeTerms.and(podTerms, group.terms)
            if terms.isEmpty {
                guard rule.override else {
                    warnings.append("rule \(rule.name): kept the pod's required node affinity: ANDed with the rule's, no node could match (override: false)")
                    continue
                }
                terms = group.terms
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
