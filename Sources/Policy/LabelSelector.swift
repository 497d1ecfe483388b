// Kubernetes label selectors: matchLabels plus matchExpressions (In, NotIn, Exists, DoesNotExist).
import Admission

public struct LabelSelector: Sendable {
    public enum Operator: String, Sendable { case `in` = "In", notIn = "NotIn", exists = "Exists", doesNotExist = "DoesNotExist" }

    public struct Requirement: Sendable {
        public var key: String
        public var op: Operator
        public var values: [String]
    }

    public var matchLabels: [(key: String, value: String)] = []
    public var matchExpressions: [Requirement] = []

    /// Labels (or annotations) by key.
    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels where labels[key] != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]
            switch requirement.op {
            case .in: guard let value, requirement.values.contains(value) else { return false }
            case .notIn: if let value, requirement.values.contains(value) { return false }
            case .exists: if value == nil { return false }
            case .doesNotExist: if value != nil { return false }
            }
        }
        return true
    }
}
