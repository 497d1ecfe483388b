// A policy's values read as the Pod schema types their fields (see PodSchema): the one way a
// YAML scalar under `set` becomes JSON. A field's path names it in every problem.
import Admission
import JSON
import YAML

extension PolicyDecoder {
    /// `node` as `type`, or nil with what is wrong reported at its line and column.
    func typed(_ node: YAMLNode, _ type: FieldType, _ path: String) -> JSON? {
        switch type {
        case .string:
            return d.string(node, path).map(JSON.string)
        case .integer(let min, let max):
            return d.int(node, path, min: min, max: max).map(JSON.int)
        case .boolean:
            return d.bool(node, path).map(JSON.bool)
        case .intOrString:
            if case .scalar(let text, .plain, nil, _) = node, let n = YAMLNode.decimalInteger(text) { return .int(n) }
            return d.string(node, path).map(JSON.string)
        case .list(let element):
            guard let items = d.list(node, path) else { return nil }
            var out: [JSON] = []
            var ok = true
            for (i, item) in items.enumerated() {
                if let value = typed(item, element, "\(path)[\(i)]") { out.append(value) } else { ok = false }
            }
            return ok ? .array(out) : nil
        case .map(let value):
            guard case .mapping(let pairs, _) = node else {
                d.error(node, "\(path) must be a mapping, not \(node.describedForError)")
                return nil
            }
            var entries: [JSONObject.Entry] = []
            var seen = Set<String>()
            var ok = true
            for (key, item) in pairs {
                guard let name = d.string(key, "a key of \(path)") else { ok = false; continue }
                guard seen.insert(name).inserted else { d.error(key, "duplicate key \"\(excerpt(name))\" in \(path)"); ok = false; continue }
                if let v = typed(item, value, "\(path).\(name)") { entries.append(.init(key: name, value: v)) } else { ok = false }
            }
            return ok ? .object(JSONObject(entries)) : nil
        case .object(let schema):
            guard let fields = d.mapping(node, path, known: schema.fields.map(\.name)) else { return nil }
            for name in schema.required where fields[name] == nil { d.error(node, "\(path) needs \(name)") }
            var entries: [JSONObject.Entry] = []
            var ok = true
            // In the order written: the patch then reads like the policy.
            guard case .mapping(let pairs, _) = node else { return nil }
            for (key, item) in pairs {
                guard let name = key.scalarText, let fieldType = schema.type(of: name) else { continue }
                if let v = typed(item, fieldType, "\(path).\(name)") { entries.append(.init(key: name, value: v)) } else { ok = false }
            }
            return ok && schema.required.allSatisfy({ fields[$0] != nil }) ? .object(JSONObject(entries)) : nil
        }
    }
}
