// Loads a policy path (a file, or a folder such as a mounted ConfigMap) into a PolicySet,
// reporting every problem as file:line:column.
import Admission
import JSON
import Posix
import YAML

public enum PolicyLoader {
    public static let apiVersion = PolicySchema.apiVersion
    public static let kind = PolicySchema.kind
    /// The largest policy file read. A ConfigMap holds at most 1 MiB in all.
    public static let maxFileBytes = 4 * 1024 * 1024

    /// The policy files under `path`: the file itself, or a folder's regular files in name order,
    /// skipping hidden entries (a ConfigMap volume's `..data` and `..2024_...` folders among them).
    public static func files(at path: String, what: String = "policy") throws -> [String] {
        do { return try FileInput.files(at: path) } catch { throw PolicyError(file: path, "cannot read \(what): \(error)") }
    }

    /// A file's bytes, at most maxFileBytes (policies, suites, manifests): a PolicyError naming it
    /// when it cannot be read.
    public static func read(_ file: String) throws -> [UInt8] {
        do { return try FileInput.read(file, max: maxFileBytes) } catch { throw PolicyError(file: file, "cannot read file: \(error)") }
    }

    public static func load(path: String) throws -> PolicySet {
        let paths = try files(at: path)
        var sources: [(file: String, text: String)] = []
        for file in paths { sources.append((file, String(decoding: try read(file), as: UTF8.self))) }
        return try load(sources: sources, emptyIs: path)
    }

    /// Parses and validates policy texts given as (file name, YAML text), in order.
    public static func load(sources: [(file: String, text: String)], emptyIs path: String = "policy") throws -> PolicySet {
        var problems: [YAMLError] = [], warnings: [YAMLError] = []
        var rules: [Rule] = []
        var seen: [String: (file: String, mark: Mark)] = [:]
        var documents = 0
        for (file, text) in sources {
            let diagnostics = Diagnostics(file: file)
            let nodes: [YAMLNode]
            do {
                nodes = try YAMLParser(text: text, file: file).documents()
            } catch let error as YAMLError {
                problems.append(error)
                continue
            }
            for node in nodes {
                documents += 1
                for (name, nameNode, rule) in PolicyDecoder(diagnostics).document(node) {
                    if let first = seen[name] {
                        diagnostics.error(nameNode, "duplicate rule name \"\(excerpt(name))\"; first defined at \(first.file):\(first.mark)")
                    } else {
                        seen[name] = (file, nameNode.mark)
                        if let rule { rules.append(rule) }
                    }
                }
            }
            problems += diagnostics.report
            warnings += diagnostics.warnings
        }
        if documents == 0 && problems.isEmpty {
            problems.append(YAMLError(file: path, mark: Mark(line: 1, column: 1), message: "no \(kind) documents found"))
        }
        guard problems.isEmpty else { throw PolicyError(problems: problems) }
        return PolicySet(rules: rules, files: sources.map(\.file), warnings: warnings)
    }
}

