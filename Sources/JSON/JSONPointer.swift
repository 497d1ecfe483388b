// RFC 6901 JSON pointers, built token by token with `~` and `/` escaped.

public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    public private(set) var tokens: [String]

    public init(_ tokens: [String] = []) { self.tokens = tokens }

    public init(parsing text: String) throws {
        guard text.isEmpty || text.hasPrefix("/") else { throw JSONParseError(offset: 0, message: "pointer must start with /") }
        tokens = text.isEmpty ? [] : text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
        }
    }

    public var description: String {
        var out = ByteWriter(capacity: tokens.reduce(0) { $0 + $1.utf8.count + 2 })
        for token in tokens {
            out.append(UInt8(ascii: "/"))
            var token = token
            token.withUTF8 { Self.appendEscaped($0, to: &out) }
        }
        return out.string
    }

    public static func escape(_ token: String) -> String {
        // Read as a buffer: iterating `utf8` goes a byte at a time through generic code.
        var text = token
        return text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
            var out = ByteWriter(capacity: bytes.count + 8)
            appendEscaped(bytes, to: &out)
            return out.string
        }
    }

    /// A token escaped as a pointer and then as JSON string content, for writing patches.
    static func appendEscapedJSON(_ token: String, to out: inout ByteWriter) {
        var token = token
        token.withUTF8 { JSON.appendEscaped($0, pointerToken: true, to: &out) }
    }

    /// `~` becomes `~0` and `/` becomes `~1` (RFC 6901 section 3), by the JSON writer's escaping
    /// loop with JSON's own escapes off: the pointer as plain text.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout ByteWriter) {
        JSON.appendEscaped(bytes, json: false, pointerToken: true, to: &out)
    }
}

extension StringProtocol {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func range(of target: String) -> Range<Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

extension JSON {
    /// The value `pointer` names (RFC 6901), or nil when there is none.
    public func value(at pointer: JSONPointer) -> JSON? {
        var current = self
        for token in pointer.tokens {
            guard let next = JSONPatch.member(token, of: current) else { return nil }
            current = next
        }
        return current
    }
}
