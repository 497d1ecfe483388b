// What `sparkhook check` reads: what users edit. A policy file or a folder of them (as today), or
// Kubernetes manifests: a file of many documents, kustomize output on standard input, a folder such
// as manifests/base. Policy documents among them form one policy; each policy ConfigMap is a policy
// of its own, read as the apply-time check reads it (ConfigMapPolicy), its problems and warnings
// placed at file:line:column of the manifest. Other objects are not sparkhook's and are skipped.
import JSON
import YAML

public enum PolicyCheck {
    /// One policy found: plain policy documents, or a ConfigMap's data.
    public struct Checked: Sendable {
        /// What the summary line calls it: the path, or the ConfigMap with its file.
        public var name: String
        /// nil when it is invalid: `problems` says why.
        public var set: PolicySet?
        public var problems: [YAMLError] = []
        public var warnings: [PolicyWarning] = []
        /// "2 files", "1 key": where the rules came from.
        public var from: String
        /// A ConfigMap's data as (key, text), in the loader's order: what its hash is made of.
        public var sources: [(file: String, text: String)] = []
    }

    /// Checks everything at `path` ("-": standard input). Throws a PolicyError when the path cannot
    /// be read at all; every other problem is in the results.
    public static func run(path: String, priorityClasses: Set<String>? = nil, priorityValues: [String: Int] = [:]) throws -> [Checked] {
        let files = path == "-" ? ["-"] : try PolicyLoader.files(at: path)
        var documents: [(file: String, node: YAMLNode)] = []
        var policyFiles: [String] = []
        var problems: [YAMLError] = []
        var results: [Checked] = []
        var configMaps = 0
        for file in files {
            let shown = file == "-" ? "<stdin>" : file
            let text = String(decoding: try PolicyLoader.read(file), as: UTF8.self)
            let nodes: [YAMLNode]
            do { nodes = try YAMLParser(text: text, file: shown).documents() } catch let error as YAMLError {
                problems.append(error)
                policyFiles.append(shown)
                continue
            } catch {
                throw PolicyError(file: shown, "cannot read: \(error)")
            }
            var lines: [Substring]?
            for node in nodes {
                switch Kind(node) {
                case .policy:
                    documents.append((shown, node))
                    if policyFiles.last != shown { policyFiles.append(shown) }
                case .configMap:
                    let configMap: JSON
                    do { configMap = try node.json(file: shown) } catch let error as YAMLError {
                        problems.append(error)
                        continue
                    } catch { continue }
                    guard ConfigMapPolicy.isPolicy(configMap) else { continue }
                    configMaps += 1
                    if lines == nil { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }
                    results.append(check(configMap, node, file: shown, lines: lines!, priorityClasses: priorityClasses, priorityValues: priorityValues))
                case .other:
                    continue
                }
            }
        }
        // Plain policy documents, as `check` always read them: and when nothing else was found, the
        // loader's own "no SparkPodPolicy documents found".
        if !documents.isEmpty || !problems.isEmpty || configMaps == 0 {
            var plain = Checked(name: path == "-" ? "<stdin>" : path, from: count(policyFiles.count, "file"))
            do {
                let set = try PolicyLoader.load(documents: documents, files: policyFiles, problems: problems, emptyIs: plain.name)
                plain.set = set
                plain.warnings = PolicyWarnings.located(set, priorityClasses: priorityClasses, priorityValues: priorityValues)
            } catch let error as PolicyError {
                plain.problems = error.problems
            } catch {
                plain.problems = [YAMLError(file: plain.name, mark: Mark(line: 0, column: 0), message: "\(error)")]
            }
            results.insert(plain, at: 0)
        }
        return results
    }

    /// A ConfigMap's policy: read by ConfigMapPolicy and the loader, placed in the manifest.
    static func check(_ configMap: JSON, _ node: YAMLNode, file: String, lines: [Substring], priorityClasses: Set<String>?, priorityValues: [String: Int]) -> Checked {
        let namespace = configMap["metadata", "namespace"]?.stringValue.map { $0 + "/" } ?? ""
        let name = "\(file):\(node.mark): ConfigMap \(namespace)\(configMap["metadata", "name"]?.stringValue ?? "")"
        var result = Checked(name: name, from: "")
        var data: YAMLNode?, binaryData: YAMLNode?
        if case .mapping(let pairs, _) = node {
            data = pairs.first { $0.key.scalarText == "data" }?.value
            binaryData = pairs.first { $0.key.scalarText == "binaryData" }?.value
        }
        let sources: [(file: String, text: String)]
        do { sources = try ConfigMapPolicy.sources(configMap) } catch {
            let within = error.key.map { key in DataPosition(manifest: file, lines: lines, data: data ?? binaryData, key: key).value } ?? nil
            result.problems = [YAMLError(file: file, mark: (within ?? data ?? node).mark, message: error.description)]
            return result
        }
        result.from = count(sources.count, "key")
        result.sources = sources
        let positions = Dictionary(sources.map { ($0.file, DataPosition(manifest: file, lines: lines, data: data, key: $0.file)) },
                                   uniquingKeysWith: { first, _ in first })
        func place(_ problem: YAMLError) -> YAMLError {
            if let position = positions[problem.file] { return position.place(problem) }
            return YAMLError(file: file, mark: (data ?? node).mark, message: "data: \(problem.message)")
        }
        do {
            let set = try PolicyLoader.load(sources: sources, emptyIs: "data")
            result.set = set
            result.warnings = PolicyWarnings.located(set, priorityClasses: priorityClasses, priorityValues: priorityValues).map { warning in
                var placed = warning
                placed.position = warning.position.map { positions[$0.file]?.place($0) ?? $0 }
                return placed
            }
        } catch let error as PolicyError {
            result.problems = error.problems.map(place)
        } catch {
            result.problems = [YAMLError(file: file, mark: node.mark, message: "\(error)")]
        }
        return result
    }

    /// What a document in a checked file is.
    enum Kind {
        case policy, configMap, other

        /// A Kubernetes object that is not sparkhook's (an apiVersion outside sparkhook.io and a
        /// kind other than SparkPodPolicy) is not a policy; everything else is read as one, so that
        /// a policy with a mistake in its kind or apiVersion is reported, never skipped.
        init(_ node: YAMLNode) {
            guard case .mapping(let pairs, _) = node,
                  let kind = pairs.first(where: { $0.key.scalarText == "kind" })?.value.scalarText,
                  let apiVersion = pairs.first(where: { $0.key.scalarText == "apiVersion" })?.value.scalarText,
                  kind != PolicyLoader.kind, !apiVersion.hasPrefix("sparkhook.io/") else { self = .policy; return }
            self = kind == "ConfigMap" && apiVersion == "v1" ? .configMap : .other
        }
    }

    static func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
}
