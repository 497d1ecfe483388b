// Where the one reader of sparkhook's YAML documents (SchemaReader: policies, policy test suites,
// the apply-time check) puts its problems: every one at its file:line:column, instead of stopping
// at the first, with the same rules everywhere: a field twice is an error (the first is kept), a
// tag must fit the field, at most `maxProblems` per file. The scalar readers here are SchemaReader's.
import JSON
import YAML

public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public let problems: [YAMLError]
    public init(problems: [YAMLError]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "\n") }

    /// A problem with a whole file (it cannot be listed or read): at line 0, which prints as
    /// `file: message`, with no position.
    public init(file: String, _ message: String) {
        self.init(problems: [YAMLError(file: file, mark: Mark(line: 0, column: 0), message: message)])
    }
}

public final class Diagnostics {
    public let file: String
    public private(set) var problems: [YAMLError] = []

    public init(file: String) { self.file = file }

    /// Problems kept per file: a file of a hundred thousand bad keys says so in a screenful.
    public static let maxProblems = 50
    private(set) var dropped = 0
    /// Every problem found, the ones not kept too: a check of "no problem since" compares this.
    public var count: Int { problems.count + dropped }

    public func error(_ node: YAMLNode, _ message: String) {
        add(YAMLError(file: file, mark: node.mark, message: message))
    }

    /// What is valid but will not do what its writer meant (a probe Spark never passes): said,
    /// at its place, without refusing the file. Capped like the problems.
    public private(set) var warnings: [YAMLError] = []

    public func warn(_ node: YAMLNode, _ message: String) {
        guard warnings.count < Self.maxProblems else { return }
        warnings.append(YAMLError(file: file, mark: node.mark, message: message))
    }

    /// A problem found by another reader (a value's conversion to JSON), under the same cap.
    public func add(_ problem: YAMLError) {
        guard problems.count < Self.maxProblems else { dropped += 1; return }
        problems.append(problem)
    }

    /// The problems, with a last line for those left out.
    public var report: [YAMLError] {
        guard dropped > 0, let last = problems.last else { return problems }
        return problems + [YAMLError(file: file, mark: last.mark, message: "and \(dropped) more problems")]
    }

    /// Reads a mapping's fields by name and reports unknown and duplicate ones.
    func mapping(_ node: YAMLNode, _ what: String, known: [String]) -> Fields? {
        guard case .mapping(let pairs, _) = node else {
            error(node, "\(what) must be a mapping, not \(node.kindWithArticle)")
            return nil
        }
        var fields = Fields(node: node)
        for (key, value) in pairs {
            guard let name = key.scalarText else {
                error(key, "\(what) keys must be strings")
                continue
            }
            if fields.values[name] != nil {
                error(key, "duplicate field \"\(name)\" in \(what)")
                continue
            }
            if !known.contains(name) {
                error(key, "unknown field \"\(excerpt(name))\" in \(what); expected one of: \(known.joined(separator: ", "))")
                continue
            }
            fields.values[name] = value
            fields.keys[name] = key
        }
        return fields
    }

    /// A scalar's text, whatever it looks like (`.5`, `yes`, `0x10` are text in a string field),
    /// but not a null: an empty value is a mistake more often than an empty string.
    func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let text, _, let tag, _) = node, !node.isNull, tag == nil || tag == "tag:yaml.org,2002:str" else {
            var found = node.isNull ? "null" : node.kindWithArticle
            if case .scalar(_, _, let tag?, _) = node { found = "tagged \(excerpt(tag))" }
            error(node, "\(what) must be a string, not \(found)")
            return nil
        }
        return text
    }

    /// A decimal integer: `0x10`, `010`, `1_000` and `1e3` are not, in a policy (YAML readers
    /// disagree on what they mean).
    func int(_ node: YAMLNode, _ what: String, min: Int? = nil, max: Int? = nil) -> Int? {
        guard case .scalar(let text, .plain, let tag, _) = node, tag == nil || tag == "tag:yaml.org,2002:int",
              let n = YAMLNode.decimalInteger(text) else {
            error(node, "\(what) must be a decimal integer, not \(node.describedForError)")
            return nil
        }
        if let min, n < min { error(node, "\(what) must be at least \(min), got \(n)"); return nil }
        if let max, n > max { error(node, "\(what) must be at most \(max), got \(n)"); return nil }
        return n
    }

    func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        guard case .scalar(let text, .plain, _, _) = node, let b = YAMLNode.bools[text] else {
            error(node, "\(what) must be true or false, not \(node.kindWithArticle)")
            return nil
        }
        return b
    }

    func list(_ node: YAMLNode, _ what: String) -> [YAMLNode]? {
        guard case .sequence(let items, _) = node else {
            error(node, "\(what) must be a list, not \(node.kindWithArticle)")
            return nil
        }
        return items
    }
}

struct Fields {
    let node: YAMLNode
    var values: [String: YAMLNode] = [:]
    /// Each field's key node, for a problem about the field rather than its value.
    var keys: [String: YAMLNode] = [:]

    subscript(name: String) -> YAMLNode? { values[name] }
}

