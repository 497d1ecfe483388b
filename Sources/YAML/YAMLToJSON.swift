// YAML nodes as JSON values, with the YAML 1.2 core schema for untagged plain scalars
// (true/false, null, integers, floats); quoted scalars stay strings.
import Admission

extension YAMLNode {
    public func json(file: String) throws -> JSON {
        switch self {
        case .scalar(let text, let style, let tag, let mark):
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:int":
                guard let n = Self.integer(text) else { throw YAMLError(file: file, mark: mark, message: "\(text) is not an integer") }
                return .int(n)
            case nil, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:float": break
            default: throw YAMLError(file: file, mark: mark, message: "unsupported tag \(tag!)")
            }
            if style != .plain { return .string(text) }
            if isNull { return .null }
            if let b = Self.bools[text] { return .bool(b) }
            if let n = Self.integer(text) { return .int(n) }
            if Self.isFloat(text) { return .number(text.hasPrefix("+") ? String(text.dropFirst()) : text) }
            return .string(text)
        case .sequence(let items, _):
            return .array(try items.map { try $0.json(file: file) })
        case .mapping(let pairs, _):
            var object = JSONObject()
            for (key, value) in pairs {
                guard let name = key.scalarText else {
                    throw YAMLError(file: file, mark: key.mark, message: "mapping keys must be strings")
                }
                if object[name] != nil { throw YAMLError(file: file, mark: key.mark, message: "duplicate key \(name)") }
                object[name] = try value.json(file: file)
            }
            return .object(object)
        }
    }
}
