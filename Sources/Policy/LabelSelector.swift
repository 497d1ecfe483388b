// Kubernetes label selectors: matchLabels plus matchExpressions (In, NotIn, Exists, DoesNotExist).

public struct LabelSelector: Sendable {
    public enum Operator: String, Sendable { case `in` = "In", notIn = "NotIn", exists = "Exists", doesNotExist = "DoesNotExist" }

    public struct Requirement: Sendable {
        public var key: String
        public var op: Operator
        public var values: [String]
    }

    public var matchLabels: [(key: String, value: String)] = []
    public var matchExpressions: [Requirement] = []
}
