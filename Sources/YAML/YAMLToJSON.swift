// YAML nodes as JSON values, with the YAML 1.2 core schema for untagged plain scalars
// (true/false, null, integers, floats); quoted scalars stay strings. A float is written as JSON
// writes numbers (`.5` as 0.5); one JSON cannot hold (`.inf`, `.nan`) is an error, never a
// number text that a JSON reader would refuse.
import JSON

extension YAMLNode {
    public func json(file: String) throws -> JSON {
        switch self {
        case .scalar(let text, let style, let tag, let mark):
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:int":
                guard let n = Self.integer(text) else { throw YAMLError(file: file, mark: mark, message: "\(excerpt(text)) is not an integer") }
                return .int(n)
            case nil, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:float": break
            default: throw YAMLError(file: file, mark: mark, message: "unsupported tag \(excerpt(tag!))")
            }
            if style != .plain { return .string(text) }
            if isNull { return .null }
            if let b = Self.bools[text] { return .bool(b) }
            if let n = Self.integer(text) { return .int(n) }
            if Self.isFloat(text) {
                guard let number = Self.jsonNumber(text) else {
                    throw YAMLError(file: file, mark: mark, message: "\(excerpt(text)) is a number JSON cannot hold; quote it to mean the text")
                }
                return .number(number)
            }
            return .string(text)
        case .sequence(let items, _):
            return .array(try items.map { try $0.json(file: file) })
        case .mapping(let pairs, _):
            var entries: [JSONObject.Entry] = []
            entries.reserveCapacity(pairs.count)
            var seen = Set<String>(minimumCapacity: pairs.count)
            for (key, value) in pairs {
                guard let name = key.scalarText else {
                    throw YAMLError(file: file, mark: key.mark, message: "mapping keys must be strings")
                }
                guard seen.insert(name).inserted else { throw YAMLError(file: file, mark: key.mark, message: "duplicate key \(excerpt(name))") }
                entries.append(JSONObject.Entry(key: name, value: try value.json(file: file)))
            }
            return .object(JSONObject(entries))
        }
    }
}
