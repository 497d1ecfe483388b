// A node selector requirement read for reasoning: whether a term can match any node, and whether
// one term implies another (every node it matches, the other matches too), as Kubernetes'
// required node affinity evaluates them. Both answers are sound: "implies" is only said when true.
import JSON

struct NodeRequirement: Equatable {
    /// matchFields (node fields, e.g. metadata.name) and matchExpressions (labels) never overlap.
    var isField: Bool
    var key: String
    var op: String
    var values: Set<String>

    /// Gt and Lt take one integer; a node label is compared as Go's ParseInt reads it.
    var bound: Int64? { values.count == 1 ? Int64(values.first!) : nil }

    static func all(of term: JSON) -> [NodeRequirement] {
        var out: [NodeRequirement] = []
        for (field, isField) in [("matchExpressions", false), ("matchFields", true)] {
            for r in term[field]?.arrayValue ?? [] {
                let values = Set((r["values"]?.arrayValue ?? []).compactMap(\.stringValue))
                out.append(NodeRequirement(isField: isField, key: r["key"]?.stringValue ?? "", op: r["operator"]?.stringValue ?? "", values: values))
            }
        }
        return out
    }

    /// Does every value (or absence) of the key that meets `self` meet `other`? Same key only.
    func implies(_ other: NodeRequirement) -> Bool {
        guard isField == other.isField, key == other.key else { return false }
        switch (op, other.op) {
        case ("In", "In"): return values.isSubset(of: other.values)
        case ("In", "NotIn"): return values.isDisjoint(with: other.values)
        case ("In", "Exists"), ("Exists", "Exists"), ("Gt", "Exists"), ("Lt", "Exists"): return true
        case ("DoesNotExist", "DoesNotExist"), ("DoesNotExist", "NotIn"): return true
        case ("NotIn", "NotIn"): return other.values.isSubset(of: values)
        case ("Gt", "Gt"): return bound.flatMap { a in other.bound.map { a >= $0 } } ?? false
        case ("Lt", "Lt"): return bound.flatMap { a in other.bound.map { a <= $0 } } ?? false
        case ("In", "Gt"): return other.bound.map { b in !values.isEmpty && values.allSatisfy { Int64($0).map { $0 > b } ?? false } } ?? false
        case ("In", "Lt"): return other.bound.map { b in !values.isEmpty && values.allSatisfy { Int64($0).map { $0 < b } ?? false } } ?? false
        default: return false
        }
    }

    /// Can one key meet all these requirements at once (all on that key)? Absent meets only NotIn
    /// and DoesNotExist. NotIn never rules out a whole integer range: "5" and "05" are both 5.
    static func satisfiable(_ requirements: [NodeRequirement]) -> Bool {
        let needsKey = requirements.contains { ["In", "Exists", "Gt", "Lt"].contains($0.op) }
        if !needsKey { return requirements.allSatisfy { $0.op == "NotIn" || $0.op == "DoesNotExist" } }
        var low = Int64.min, high = Int64.max, allowed: Set<String>? = nil, excluded = Set<String>()
        for r in requirements {
            switch r.op {
            case "In": allowed = allowed.map { $0.intersection(r.values) } ?? r.values
            case "NotIn": excluded.formUnion(r.values)
            case "Exists": break
            case "Gt": guard let b = r.bound else { return false }; low = max(low, b)
            case "Lt": guard let b = r.bound else { return false }; high = min(high, b)
            default: return false  // DoesNotExist with a requirement that needs the key, or unknown
            }
        }
        let ranged = low != .min || high != .max
        func inRange(_ v: String) -> Bool { !ranged || Int64(v).map { $0 > low && $0 < high } ?? false }
        if let allowed { return allowed.contains { !excluded.contains($0) && inRange($0) } }
        return !ranged || (low < high && low &+ 1 < high)
    }
}

enum NodeTermLogic {
    /// Kubernetes: a term without requirements matches no node.
    static func canMatch(_ requirements: [NodeRequirement]) -> Bool {
        guard !requirements.isEmpty else { return false }
        var byKey: [String: [NodeRequirement]] = [:]
        for r in requirements { byKey[(r.isField ? "f:" : "l:") + r.key, default: []].append(r) }
        return byKey.values.allSatisfy(NodeRequirement.satisfiable)
    }

    /// Every node `a` matches, `b` matches: each of b's requirements follows from one of a's.
    static func implies(_ a: [NodeRequirement], _ b: [NodeRequirement]) -> Bool {
        if !canMatch(a) { return true }
        guard !b.isEmpty else { return false }
        return b.allSatisfy { r in a.contains { $0.implies(r) } }
    }
}
