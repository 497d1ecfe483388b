// Loads a policy path (a file, or a folder such as a mounted ConfigMap) into a PolicySet,
// reporting every problem as file:line:column.
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
        var problems: [YAMLError] = []
        var documents: [(file: String, node: YAMLNode)] = []
        for (file, text) in sources {
            do {
                documents += try YAMLParser(text: text, file: file).documents().map { (file, $0) }
            } catch let error as YAMLError {
                problems.append(error)
            }
        }
        return try load(documents: documents, files: sources.map(\.file), problems: problems, emptyIs: path)
    }

    /// Validates policy documents parsed already (`check` parses manifests and keeps their policy
    /// documents), in order; `problems` are the ones found reading them, reported with the rest.
    public static func load(documents: [(file: String, node: YAMLNode)], files: [String], problems found: [YAMLError] = [],
                            emptyIs path: String = "policy") throws -> PolicySet {
        var problems = found, warnings: [YAMLError] = []
        var rules: [Rule] = []
        var positions: [Position] = []
        var seen: [String: Position] = [:]
        var file = "", diagnostics: Diagnostics? = nil
        for (documentFile, node) in documents {
            // One Diagnostics per file, for its cap on problems: the documents come file by file.
            if diagnostics == nil || documentFile != file {
                problems += diagnostics?.report ?? []
                warnings += diagnostics?.warnings ?? []
                file = documentFile
                diagnostics = Diagnostics(file: file)
            }
            for (name, nameNode, rule) in PolicyDecoder(diagnostics!).document(node) {
                if let first = seen[name] {
                    diagnostics!.error(nameNode, "duplicate rule name \"\(excerpt(name))\"; first defined at \(first)")
                } else {
                    seen[name] = Position(file: file, mark: nameNode.mark)
                    if let rule { rules.append(rule); positions.append(Position(file: file, mark: nameNode.mark)) }
                }
            }
        }
        problems += diagnostics?.report ?? []
        warnings += diagnostics?.warnings ?? []
        if documents.isEmpty && problems.isEmpty {
            problems.append(YAMLError(file: path, mark: Mark(line: 1, column: 1), message: "no \(kind) documents found"))
        }
        // File by file, as the files were given: a file that did not parse among the others.
        let order = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        problems = problems.enumerated().sorted { (order[$0.1.file] ?? Int.max, $0.0) < (order[$1.1.file] ?? Int.max, $1.0) }.map(\.1)
        guard problems.isEmpty else { throw PolicyError(problems: problems) }
        return PolicySet(rules: rules, files: files, positions: positions, warnings: warnings)
    }
}

/// Where something in a policy is written: a rule's name, for the warnings about that rule.
public struct Position: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var mark: Mark
    public init(file: String, mark: Mark) { self.file = file; self.mark = mark }
    public var description: String { "\(file):\(mark)" }
}
