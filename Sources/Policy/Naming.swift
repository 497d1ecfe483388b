// Kubernetes naming rules (apimachinery validation): label keys and values, DNS subdomains.

import JSON

enum Naming {
    /// A label value, a label key's name part, a qualified name: at most 63 characters of
    /// [A-Za-z0-9_.-], beginning and ending with an alphanumeric.
    static func isQualifiedNamePart(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 63, isAlnum(b.first!), isAlnum(b.last!) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func isLabelValue(_ s: String) -> Bool { s.isEmpty || isQualifiedNamePart(s) }

    /// `[prefix/]name`: prefix a DNS subdomain, name a qualified name part.
    /// What a label name (a key's name part, a label value) must be, said once for every message.
    static let qualifiedNameRule = "must be 63 characters or less, of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit"

    /// The problem with `value` as a label value, if any, naming the key it is for.
    static func labelValueProblem(_ value: String, for key: String? = nil) -> String? {
        isLabelValue(value) ? nil : "invalid label value \"\(excerpt(value))\"\(key.map { " for \($0)" } ?? ""): \(qualifiedNameRule)"
    }

    static func labelKeyProblem(_ s: String) -> String? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return isQualifiedNamePart(s) ? nil : qualifiedNameRule
        case 2:
            if !isDNSSubdomain(String(parts[0])) { return "prefix \"\(parts[0])\" must be a lowercase DNS subdomain" }
            if !isQualifiedNamePart(String(parts[1])) {
                return "name \"\(parts[1])\" \(qualifiedNameRule)"
            }
            return nil
        default:
            return "may contain at most one '/'"
        }
    }

    /// RFC 1123 subdomain: at most 253 characters of [a-z0-9.-], alphanumeric at both ends.
    static func isDNSSubdomain(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 253 else { return false }
        for label in s.split(separator: ".", omittingEmptySubsequences: false) {
            let l = Array(label.utf8)
            guard !l.isEmpty, l.count <= 63, isLowerAlnum(l.first!), isLowerAlnum(l.last!) else { return false }
            guard l.allSatisfy({ isLowerAlnum($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return true
    }

    /// RFC 1123 label: one label of a subdomain (a volume's name).
    static func isDNSLabel(_ s: String) -> Bool { !s.contains(".") && isDNSSubdomain(s) && s.utf8.count <= 63 }

    /// IANA service name, as a named container port: 1-15 of [a-z0-9-], a letter, no "--".
    static func isPortName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...15).contains(b.count), !s.contains("--"), b.first != UInt8(ascii: "-"), b.last != UInt8(ascii: "-") else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") } && b.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 122)
    }

    /// Labels Spark and spark-operator keep their books with: how Spark finds its own pods, and
    /// how the operator tracks an application. A policy never sets them.
    static func isSparkBookkeeping(label key: String) -> Bool {
        sparkLabels.contains(key) || key.hasPrefix("sparkoperator.k8s.io/")
    }

    static let sparkLabels: Set<String> = ["spark-role", "spark-app-selector", "spark-app-name", "spark-exec-id", "spark-exec-resourceprofile-id", "spark-version"]
}
