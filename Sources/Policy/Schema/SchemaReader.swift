// The one way sparkhook reads a YAML document it is given (a policy, a policy test suite, the
// apply-time check's ConfigMap data): typed by a schema first, every problem at its
// file:line:column, then the semantic checks of each object, keyed by the object's name, on the
// typed value. Nothing reads the YAML nodes after this.
//
// The recursion follows the schema, not the document: a document nested deeper than its schema
// is refused at the first level the schema does not describe (and the YAML parser bounds depth).

import JSON
import YAML

/// Semantic checks by schema object name: run on each object typed, with what it contains.
public typealias SchemaChecks = [String: @Sendable (Typed, Diagnostics) -> Void]

public struct SchemaReader {
    public let d: Diagnostics
    let checks: SchemaChecks

    public init(_ diagnostics: Diagnostics, checks: SchemaChecks) {
        d = diagnostics
        self.checks = checks
    }

    /// `node` as `type`, or nil when it is not even the right kind of value. A value with problems
    /// inside it is returned with `complete` false, so that the checks of what did type still run.
    public func read(_ node: YAMLNode, _ type: FieldType, _ path: String) -> Typed? {
        let before = d.count
        func done(_ value: Typed.Value) -> Typed { Typed(node: node, path: path, value: value, complete: d.count == before) }
        switch type {
        case .string:
            return d.string(node, path).map { done(.string($0)) }
        case .integer(let min, let max):
            return d.int(node, path, min: min, max: max).map { done(.int($0)) }
        case .boolean:
            return d.bool(node, path).map { done(.bool($0)) }
        case .intOrString:
            if case .scalar(let text, .plain, nil, _) = node, let n = YAMLNode.decimalInteger(text) { return done(.int(n)) }
            return d.string(node, path).map { done(.string($0)) }
        case .any:
            do { return done(.any(try node.json(file: d.file))) } catch let problem as YAMLError {
                d.add(problem)
            } catch {
                d.error(node, "\(path): \(excerpt("\(error)", max: 300))")
            }
            return nil
        case .list(let element):
            guard let items = d.list(node, path) else { return nil }
            let typed = items.enumerated().compactMap { i, item in read(item, element, "\(path)[\(i)]") }
            return done(.list(typed))
        case .map(let valueType):
            guard case .mapping(let pairs, _) = node else {
                d.error(node, "\(path) must be a mapping, not \(node.describedForError)")
                return nil
            }
            var entries: [Typed.Entry] = []
            var seen = Set<String>()
            for (key, item) in pairs {
                guard let name = d.string(key, "a key of \(path)") else { continue }
                guard seen.insert(name).inserted else { d.error(key, "duplicate key \"\(excerpt(name))\" in \(path)"); continue }
                entries.append(.init(key: name, keyNode: key, value: read(item, valueType, "\(path).\(name)")))
            }
            return done(.map(entries))
        case .object(let schema):
            guard let fields = d.mapping(node, schema.label ?? path, known: schema.fieldNames), case .mapping(let pairs, _) = node else { return nil }
            for name in schema.required where fields[name] == nil { d.error(node, "\(schema.label ?? path) needs \(name)") }
            var entries: [Typed.Entry] = []
            var seen = Set<String>()
            // In the order written: a patch then reads like the policy. Unknown and repeated
            // fields were reported by `mapping`; the first of a repeated one is kept.
            for (key, item) in pairs {
                guard let name = key.scalarText, let fieldType = schema.type(of: name), seen.insert(name).inserted else { continue }
                let childPath = schema.flat || path.isEmpty ? name : "\(path).\(name)"
                entries.append(.init(key: name, keyNode: key, value: read(item, fieldType, childPath)))
            }
            return checked(done(.object(schema, entries)), schema, before)
        case .named(let name, let inner):
            guard let typed = read(node, inner, path) else { return nil }
            guard let check = checks[name], typed.complete else { return typed }
            check(typed, d)
            return Typed(node: typed.node, path: typed.path, value: typed.value, complete: d.count == before)
        case .selector(let schema):
            if case .mapping(let pairs, _) = node, !pairs.isEmpty,
               pairs.allSatisfy({ $0.key.scalarText.map(schema.fieldNames.contains) ?? false }) {
                return read(node, .object(schema), path)
            }
            let labels = read(node, .map(.string), path)
            guard let labels else { return nil }
            return checked(done(.object(schema, [.init(key: "matchLabels", keyNode: node, value: labels)])), schema, before)
        }
    }

    /// The object after its own check: complete only if neither its typing nor its check found a problem.
    private func checked(_ typed: Typed, _ schema: SchemaObject, _ before: Int) -> Typed {
        guard let check = checks[schema.name] else { return typed }
        check(typed, d)
        return Typed(node: typed.node, path: typed.path, value: typed.value, complete: d.count == before)
    }
}
