// A YAML document as a tree whose every node knows where it stands (line:column, 1-based).
import JSON

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

    /// "a list", "an integer": the kind as a message says it.
    public var kindWithArticle: String {
        let kind = kindName
        return ("aeiou".contains(kind.first ?? " ") ? "an " : "a ") + kind
    }

    public var isNull: Bool {
        if case .scalar(let text, .plain, let tag, _) = self, tag == nil || tag == "tag:yaml.org,2002:null" {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    public static let bools: [String: Bool] = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false]

    /// `[-+]?(0|[1-9][0-9]*)`: the integers every YAML reader reads the same way.
    public static func decimalInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard let first = digits.first, digits.allSatisfy({ $0.isASCII && $0.isNumber }), first != "0" || digits.count == 1 else { return nil }
        return Int(text)
    }

    /// What a value is, for an error: the scalar's text in quotes, else its kind.
    public var describedForError: String {
        switch self {
        case .scalar(let text, _, _, _): return isNull ? "null" : "\"\(excerpt(text, max: 40))\""
        default: return kindWithArticle
        }
    }

    public static func integer(_ text: String) -> Int? {
        if let n = Int(text) { return n }
        if text.hasPrefix("0x"), let n = Int(text.dropFirst(2), radix: 16) { return n }
        if text.hasPrefix("0o"), let n = Int(text.dropFirst(2), radix: 8) { return n }
        return nil
    }

}

extension YAMLNode {
    /// A YAML 1.2 core-schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, or
    /// an infinity or NaN (`.inf`, `-.Inf`, `.NaN`, ...). Hex floats and `1_000` are strings there.
    static func isFloat(_ text: String) -> Bool {
        var b = Array(text.utf8)[...]
        if b.first == UInt8(ascii: "+") || b.first == UInt8(ascii: "-") { b = b.dropFirst() }
        if [".inf", ".Inf", ".INF"].contains(where: { b.elementsEqual($0.utf8) }) { return true }
        if text == ".nan" || text == ".NaN" || text == ".NAN" { return true }
        let digits = b.prefix { isDigit($0) }
        b = b.dropFirst(digits.count)
        var fraction = 0
        if b.first == UInt8(ascii: ".") {
            b = b.dropFirst()
            fraction = b.prefix { isDigit($0) }.count
            b = b.dropFirst(fraction)
            if digits.isEmpty && fraction == 0 { return false }
        } else if digits.isEmpty {
            return false
        }
        if b.first == UInt8(ascii: "e") || b.first == UInt8(ascii: "E") {
            b = b.dropFirst()
            if b.first == UInt8(ascii: "+") || b.first == UInt8(ascii: "-") { b = b.dropFirst() }
            let exponent = b.prefix { isDigit($0) }.count
            if exponent == 0 { return false }
            b = b.dropFirst(exponent)
        }
        return b.isEmpty
    }

    /// A core-schema float as JSON writes numbers (`+.5e3` as `0.5e3`, `1.` as `1.0`, `007.5`
    /// as `7.5`), keeping every digit; nil for an infinity or NaN, which JSON has no text for.
    static func jsonNumber(_ text: String) -> String? {
        var b = Array(text.utf8)[...]
        var out = ""
        if b.first == UInt8(ascii: "-") { out = "-"; b = b.dropFirst() } else if b.first == UInt8(ascii: "+") { b = b.dropFirst() }
        if b.first == UInt8(ascii: ".") && b.dropFirst().first.map(isDigit) != true { return nil }  // .inf, .nan
        var digits = String(decoding: b.prefix { isDigit($0) }, as: UTF8.self)
        b = b.dropFirst(digits.utf8.count)
        while digits.count > 1 && digits.hasPrefix("0") { digits.removeFirst() }
        out += digits.isEmpty ? "0" : digits
        if b.first == UInt8(ascii: ".") {
            b = b.dropFirst()
            let fraction = String(decoding: b.prefix { isDigit($0) }, as: UTF8.self)
            b = b.dropFirst(fraction.utf8.count)
            out += "." + (fraction.isEmpty ? "0" : fraction)
        }
        out += String(decoding: b, as: UTF8.self)  // the exponent, already JSON's form
        return out
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
