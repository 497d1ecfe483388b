// What a valid policy may still get wrong, as far as the policy (and the manifests' priority
// classes, when given) can tell: `sparkhook check` prints these and the apply-time check
// (/validate/policy) returns them as warnings. The ones at a place come from the schema checks
// (Diagnostics.warn), the others from here.
public enum PolicyWarnings {
    /// Applications up to this many executors are "small": a split variant that none of their
    /// executors reach is worth a word.
    public static let smallApplication = 10

    /// Every warning: those at a place in a file (the schema checks', such as a probe Spark
    /// never passes) as `file:line:column: message`, then those about the policy as a whole.
    public static func of(_ set: PolicySet, priorityClasses: Set<String>? = nil, priorityValues: [String: Int] = [:]) -> [String] {
        set.warnings.map(\.description) + whole(set, priorityClasses: priorityClasses, priorityValues: priorityValues).map(\.message)
    }

    /// Every warning with its place: the schema checks' at theirs, those about a rule at its name
    /// (when the set knows where that is). `check` prints these.
    public static func located(_ set: PolicySet, priorityClasses: Set<String>? = nil, priorityValues: [String: Int] = [:]) -> [PolicyWarning] {
        set.warnings.map { PolicyWarning(Position(file: $0.file, mark: $0.mark), $0.message) }
            + whole(set, priorityClasses: priorityClasses, priorityValues: priorityValues)
    }

    /// The warnings about the policy as a whole, each at the name of the rule it is about.
    /// `priorityClasses`: the classes the cluster has (the manifests' and the flag's), when known;
    /// `priorityValues`: the values of those the manifests give (`check --manifests`).
    static func whole(_ set: PolicySet, priorityClasses: Set<String>? = nil, priorityValues: [String: Int] = [:]) -> [PolicyWarning] {
        var warnings: [PolicyWarning] = []
        func at(_ index: Int?) -> Position? { index.flatMap { $0 < set.positions.count ? set.positions[$0] : nil } }
        if let known = priorityClasses {
            for (name, rules) in PriorityClasses.missing(in: set, known: known) {
                let first = rules.first.flatMap { rule in set.rules.firstIndex { $0.name == rule } }
                warnings.append(PolicyWarning(at(first), "priority class \"\(name)\" (set by \(rules.map { "rule \"\($0)\"" }.joined(separator: ", "))) is not created by the manifests: the apiserver refuses every pod given it until the class exists"))
            }
        }
        for (i, driver, executor, by) in PriorityClasses.driversNotAbove(in: set, values: priorityValues) {
            let rule = set.rules[i].name
            warnings.append(PolicyWarning(at(i), "rule \"\(rule)\" gives drivers priority class \"\(driver)\" (value \(priorityValues[driver]!)), not above \"\(executor)\" (value \(priorityValues[executor]!)) that \(by == rule ? "it" : "rule \"\(by)\"") gives executors: under pressure the scheduler should preempt an executor, never the driver whose loss fails the whole job"))
        }
        for (i, rule) in set.rules.enumerated() {
            if let reason = neverMatches(rule) { warnings.append(PolicyWarning(at(i), "rule \"\(rule.name)\" can never match: \(reason)")) }
            if let split = rule.split { warnings += splitWarnings(split, rule: rule.name).map { PolicyWarning(at(i), $0) } }
        }
        return warnings
    }

    static func neverMatches(_ rule: Rule) -> String? {
        if rule.match.roles?.isEmpty == true { return "its match lists no roles" }
        guard let exclude = rule.exclude else { return nil }
        if exclude.matchesEverything { return "its exclude has no condition, so it skips every pod" }
        var rolesOnly = exclude
        rolesOnly.roles = nil
        if let excluded = exclude.roles, rolesOnly.matchesEverything,
           (rule.match.roles ?? Set(SparkRole.allCases)).isSubset(of: excluded) {
            return "its exclude skips every role it matches"
        }
        return nil
    }

    /// A variant whose first executor comes only after `smallApplication` executors: the split
    /// reads as a share, but small applications never get one.
    static func splitWarnings(_ split: Split, rule: String) -> [String] {
        var first = [Int?](repeating: nil, count: split.variants.count)
        let limit = split.baseCount + split.schedule.cycle.count
        var id = 1
        while id <= limit, first.contains(where: { $0 == nil }) {
            let v = split.variant(forExecutorID: id)
            if first[v] == nil { first[v] = id }
            id += 1
        }
        return split.variants.indices.compactMap { i in
            guard let at = first[i] else {
                return "rule \"\(rule)\": split variant \"\(split.variants[i].name)\" never gets an executor (weight \(split.variants[i].weight))"
            }
            guard at > smallApplication else { return nil }
            return "rule \"\(rule)\": split variant \"\(split.variants[i].name)\" gets no executor in applications of fewer than \(at) executors"
        }
    }
}

extension Match {
    /// No condition at all: matches every pod.
    var matchesEverything: Bool {
        roles == nil && namespaces == nil && podLabels == nil && annotations == nil && appNames == nil && serviceAccounts == nil && resources == nil
    }
}

/// A warning about a valid policy, and where: `file:line:column: warning: message` in `check`.
public struct PolicyWarning: Sendable, Equatable, CustomStringConvertible {
    public var position: Position?
    public var message: String
    public init(_ position: Position?, _ message: String) { self.position = position; self.message = message }
    public var description: String { "\(position.map { "\($0): " } ?? "")warning: \(message)" }
}
