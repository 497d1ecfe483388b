// A YAML document as a tree whose every node knows where it stands (line:column, 1-based).

public struct Mark: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

public enum ScalarStyle: Sendable { case plain, quoted, block }

public indirect enum YAMLNode: Sendable {
    case scalar(String, ScalarStyle, tag: String?, Mark)
    case sequence([YAMLNode], Mark)
    case mapping([(key: YAMLNode, value: YAMLNode)], Mark)

    public var mark: Mark {
        switch self {
        case .scalar(_, _, _, let m), .sequence(_, let m), .mapping(_, let m): return m
        }
    }

    /// The scalar's text, nil for collections.
    public var scalarText: String? {
        if case .scalar(let s, _, _, _) = self { return s }
        return nil
    }

    public var kindName: String {
        switch self {
        case .scalar(let text, let style, let tag, _):
            if isNull { return "null" }
            if style == .plain && tag == nil {
                if Self.bools[text] != nil { return "boolean" }
                if Self.integer(text) != nil { return "integer" }
            }
            return "string"
        case .sequence: return "list"
        case .mapping: return "mapping"
        }
    }

    public var isNull: Bool {
        if case .scalar(let text, .plain, let tag, _) = self, tag == nil || tag == "tag:yaml.org,2002:null" {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    public static let bools: [String: Bool] = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false]

    public static func integer(_ text: String) -> Int? {
        if let n = Int(text) { return n }
        if text.hasPrefix("0x"), let n = Int(text.dropFirst(2), radix: 16) { return n }
        if text.hasPrefix("0o"), let n = Int(text.dropFirst(2), radix: 8) { return n }
        return nil
    }

    static func isFloat(_ text: String) -> Bool {
        guard let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return false }
        return Double(text) != nil
    }
}
