// The typed policy: rules with what they match, what they set, and how they split executors.
import JSON
import YAML

public enum SparkRole: String, Sendable, CaseIterable {
    case driver
    case executor
    case connectServer = "connect-server"

    var bit: UInt8 {
        switch self {
        case .driver: return 1
        case .executor: return 2
        case .connectServer: return 4
        }
    }

    static let allBits: UInt8 = 7
}

public struct PolicySet: Sendable {
    public let rules: [Rule]
    /// The files the rules came from, in load order.
    public let files: [String]
    /// The rules' matches, compiled.
    let matcher: RuleMatcher
    /// The priority classes the rules set: the bounded label set of the per-class counts.
    public let priorityClasses: Set<String>
    /// What the schema checks found valid but likely wrong, each at its file:line:column.
    public let warnings: [YAMLError]
    /// Where each rule's name is written, in the order of `rules` (empty for a set built in code):
    /// what `check` puts before a warning about the rule.
    public let positions: [Position]

    public init(rules: [Rule], files: [String], positions: [Position] = [], warnings: [YAMLError] = []) {
        self.rules = rules
        self.files = files
        self.positions = positions
        self.warnings = warnings
        priorityClasses = Set(rules.flatMap { [$0.set.priorityClassName] + $0.variantSettings.map(\.priorityClassName) }.compactMap { $0 })
        matcher = RuleMatcher(rules.map(\.match), excludes: rules.map(\.exclude))
    }
}

/// A rule as loaded. Its match is compiled into the policy's RuleMatcher; the rule itself is read
/// only when it matches.
public final class Rule: Sendable {
    public let name: String
    public let policy: String
    public let match: Match
    /// Pods the rule skips even when `match` takes them.
    public let exclude: Match?
    public let set: Settings
    public let split: Split?
    public let override: Bool
    /// For each split variant, `set` with the variant's own settings on top: merged once here,
    /// not for every executor.
    let variantSettings: [Settings]

    init(name: String, policy: String, match: Match, exclude: Match? = nil, set: Settings, split: Split?, override: Bool) {
        self.name = name
        self.policy = policy
        self.match = match
        self.exclude = exclude
        self.set = set
        self.split = split
        self.override = override
        variantSettings = split?.variants.map { set.merged(with: $0.set) } ?? []
    }
}

/// What a rule matches, as written; nil matches anything. Compiled into a Matcher for use.
public struct Match: Sendable {
    public var roles: Set<SparkRole>?
    public var namespaces: [Glob]?
    public var podLabels: LabelSelector?
    public var annotations: LabelSelector?
    public var appNames: [Glob]?
    public var serviceAccounts: [Glob]?
    /// Resource names (`nvidia.com/gpu`): the pod's Spark container requests or limits one of
    /// them above zero.
    public var resources: [String]?

    public init() {}
}

public struct Settings: Sendable {
    public var priorityClassName: String?
    public var schedulerName: String?
    public var terminationGracePeriodSeconds: Int?
    public var labels: [(key: String, value: String)] = []
    public var annotations: [(key: String, value: String)] = []
    public var nodeSelector: [(key: String, value: String)] = []
    public var tolerations: [JSON] = []
    public var topologySpreadConstraints: [JSON] = []
    public var affinity: AffinitySettings?
    public var probes: Probes?
    /// The fourth round's fields, together: a rule that sets none of them (every rule of the
    /// production example) carries one nil here, and applying it costs one test.
    public var pod: PodFields?

    /// `later` on top of self, by each field's own rule (SetField): scalars replace, maps merge
    /// by key, lists gain entries, affinity's required terms are ANDed.
    func merged(with later: Settings) -> Settings {
        var result = self
        for field in SetField.all { field.merge(&result, later) }
        return result
    }
}

/// What a rule sets in the pod's security, environment, storage, DNS and hooks. Objects are kept
/// as JSON objects, lists as the entries written (merged into the pod by their key).
public struct PodFields: Sendable {
    public var securityContext: JSONObject?
    public var containerSecurityContext: JSONObject?
    public var env: [JSON] = []
    public var volumes: [JSON] = []
    public var volumeMounts: [JSON] = []
    public var runtimeClassName: String?
    public var imagePullSecrets: [JSON] = []
    public var dnsConfig: JSONObject?
    public var hostAliases: [JSON] = []
    public var lifecycle: JSONObject?
}

extension Settings {
    /// The pod fields, created on first write (for the loader and merging, never per decision).
    var fields: PodFields {
        get { pod ?? PodFields() }
        set { pod = newValue }
    }
}

public struct Probes: Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case liveness, readiness, startup
        /// The container field it sets.
        public var field: String { rawValue + "Probe" }
    }

    public var container: String?
    public var liveness: JSON?
    public var readiness: JSON?
    public var startup: JSON?

    public subscript(kind: Kind) -> JSON? {
        get {
            switch kind {
            case .liveness: return liveness
            case .readiness: return readiness
            case .startup: return startup
            }
        }
        set {
            switch kind {
            case .liveness: liveness = newValue
            case .readiness: readiness = newValue
            case .startup: startup = newValue
            }
        }
    }
}

public struct Variant: Sendable {
    public var name: String
    public var weight: Int
    public var set: Settings
}

public struct Split: Sendable {
    public var baseCount: Int
    public var baseVariant: Int?
    public var variants: [Variant]
    /// One cycle of the weighted sequence (see SplitSchedule); built once at load time.
    public var schedule: SplitSchedule
}
