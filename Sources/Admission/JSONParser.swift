// Parses JSON text (RFC 8259). One structural pass over the bytes checks strings (terminated, no
// raw control characters) and bracket balance, and records where each string and container ends.
// Values are then decoded one level at a time: a container's children stay `.raw` byte ranges
// until read, so the parts of a pod no rule looks at cost one pass and nothing more.

public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parsed input shared by the raw values that point into it.
public final class JSONDocument: @unchecked Sendable {
    let bytes: [UInt8]
    /// For a `"`, `{` or `[` at index i: the index just past its end. Other slots are unused.
    private(set) var ends: [Int32]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        ends = []
        ends = try bytes.withUnsafeBufferPointer { try Self.index($0) }
    }

    static let maxDepth = 256
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080
    private static let controls: UInt64 = 0x2020_2020_2020_2020

    /// Byte classes outside strings: 1 quote, 2 open bracket, 3 close bracket, 0 anything else.
    private static let classes: [UInt8] = (0..<256).map { c in
        switch c {
        case 0x22: return 1
        case 0x7B, 0x5B: return 2
        case 0x7D, 0x5D: return 3
        default: return 0
        }
    }

    private static func index(_ b: UnsafeBufferPointer<UInt8>) throws -> [Int32] {
        let n = b.count
        let base = UnsafeRawPointer(b.baseAddress ?? UnsafePointer(bitPattern: 1)!)
        return try classes.withUnsafeBufferPointer { cls in
            try [Int32](unsafeUninitializedCapacity: max(n, 1)) { ends, count in
                count = max(n, 1)
                var stack = [Int](repeating: 0, count: maxDepth + 1)
                var depth = 0
                var i = 0
                while i < n {
                    let c = b[i]
                    switch cls[Int(c)] {
                    case 0:
                        i += 1
                    case 1:
                        let end = try stringEnd(b, base, from: i + 1)
                        ends[i] = Int32(end)
                        i = end
                    case 2:
                        guard depth < maxDepth else { throw JSONParseError(offset: i, message: "nesting deeper than \(maxDepth)") }
                        stack[depth] = i
                        depth += 1
                        i += 1
                    default:
                        guard depth > 0 else { throw JSONParseError(offset: i, message: "unbalanced '\(Character(Unicode.Scalar(c)))'") }
                        depth -= 1
                        let open = stack[depth]
                        guard (b[open] == 0x7B) == (c == 0x7D) else { throw JSONParseError(offset: i, message: "mismatched brackets") }
                        ends[open] = Int32(i + 1)
                        i += 1
                    }
                }
                if depth > 0 { throw JSONParseError(offset: stack[depth - 1], message: "unexpected end of input") }
            }
        }
    }

    /// The index just past the quote that closes the string whose contents start at `from`.
    /// Eight bytes at a time: a word's quotes, backslashes and control bytes are flagged with the
    /// has-zero-byte bit trick, and the lowest flag is the first such byte.
    @inline(__always)
    private static func stringEnd(_ b: UnsafeBufferPointer<UInt8>, _ base: UnsafeRawPointer, from start: Int) throws -> Int {
        let n = b.count
        var j = start
        while true {
            if j + 8 <= n {
                let w = base.loadUnaligned(fromByteOffset: j, as: UInt64.self)
                let quote = w ^ 0x2222_2222_2222_2222
                let slash = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let special = (((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | ((w &- controls) & ~w)) & highs
                if special == 0 { j += 8; continue }
                j += special.trailingZeroBitCount >> 3
            } else {
                while j < n && b[j] != 0x22 && b[j] != 0x5C && b[j] >= 0x20 { j += 1 }
                guard j < n else { throw JSONParseError(offset: start - 1, message: "unterminated string") }
            }
            let d = b[j]
            if d == 0x22 { return j + 1 }
            if d == 0x5C { j += 2; continue }
            throw JSONParseError(offset: j, message: "control character in string")
        }
    }

    func end(of index: Int) -> Int { Int(ends[index]) }
}

/// A container in a parsed document, not decoded yet.
public struct RawJSON: Sendable {
    let document: JSONDocument
    let start: Int32
    let end: Int32

    var isObject: Bool { document.bytes[Int(start)] == 0x7B }

    func sameBytes(as other: RawJSON) -> Bool {
        if document === other.document && start == other.start { return true }
        guard end - start == other.end - other.start else { return false }
        return document.bytes[Int(start)..<Int(end)].elementsEqual(other.document.bytes[Int(other.start)..<Int(other.end)])
    }

    /// Decodes this container's top level; its children stay raw.
    func materialize() -> JSON {
        document.bytes.withUnsafeBufferPointer { b in
            var reader = JSONParser.Reader(bytes: b, document: document, index: Int(start))
            // The structural pass already vouched for this range's strings and brackets; what
            // can still be wrong (a missing comma, a bad number) was checked when the parent
            // level was decoded or is reported here as null.
            return (try? reader.value()) ?? .null
        }
    }

    func write(to out: inout [UInt8]) {
        out.append(contentsOf: document.bytes[Int(start)..<Int(end)])
    }
}

public enum JSONParser {
    /// The value, with containers below the top level left raw until read.
    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        let document = try JSONDocument(bytes)
        return try bytes.withUnsafeBufferPointer { b in
            var reader = Reader(bytes: b, document: document, index: 0)
            reader.skipSpace()
            let value = try reader.value()
            reader.skipSpace()
            if reader.index != b.count { throw reader.error("unexpected data after the value") }
            return value
        }
    }

    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    /// Parses and decodes every level, checking the whole text: for input from people (preview).
    public static func parseFully(_ bytes: [UInt8]) throws -> JSON {
        try materializeAll(parse(bytes))
    }

    static func materializeAll(_ value: JSON) throws -> JSON {
        switch value {
        case .raw(let raw):
            // Decoded with errors reported, unlike `materialize`, which trusts the structural pass.
            let level = try raw.document.bytes.withUnsafeBufferPointer { b in
                var reader = Reader(bytes: b, document: raw.document, index: Int(raw.start))
                return try reader.value()
            }
            return try materializeAll(level)
        case .array(let elements): return .array(try elements.map(materializeAll))
        case .object(let object):
            return .object(JSONObject(try object.entries.map { JSONObject.Entry(key: $0.key, value: try materializeAll($0.value)) }))
        default: return value
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let document: JSONDocument
        var index: Int

        func error(_ message: String) -> JSONParseError { JSONParseError(offset: index, message: message) }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// The value at `index`, its top level decoded and nested containers raw.
        mutating func value() throws -> JSON {
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character")
            }
        }

        /// A child value: containers stay raw, scalars are decoded.
        mutating func child() throws -> JSON {
            guard index < bytes.count else { throw error("unexpected end of input") }
            let c = bytes[index]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                let end = document.end(of: index)
                let raw = RawJSON(document: document, start: Int32(index), end: Int32(end))
                index = end
                return .raw(raw)
            }
            return try value()
        }

        mutating func literal(_ word: StaticString) throws {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("unexpected end of input") }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw error("invalid literal") }
            index += count
        }

        mutating func object() throws -> JSON {
            index += 1
            var entries: [JSONObject.Entry] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return .object(JSONObject(entries)) }
            // Kubernetes objects mostly have a handful to a few dozen fields: start with room for
            // eight rather than growing 1, 2, 4, 8 (an allocation and a copy each time).
            entries.reserveCapacity(8)
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                skipSpace()
                entries.append(JSONObject.Entry(key: key, value: try child()))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(JSONObject(entries)) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func array() throws -> JSON {
            index += 1
            var elements: [JSON] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipSpace()
                elements.append(try child())
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func number() throws -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

        mutating func string() throws -> String {
            let start = index + 1
            let end = document.end(of: index) - 1  // the closing quote
            var i = start
            while i < end && bytes[i] != UInt8(ascii: "\\") { i += 1 }
            if i == end {
                index = end + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            var out = Array(bytes[start..<i])
            index = i
            while index < end {
                let c = bytes[index]
                if c != UInt8(ascii: "\\") { out.append(c); index += 1; continue }
                index += 1
                guard index < end else { throw error("invalid escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(end)
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4(end)
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw error("unpaired surrogate")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw error("invalid escape")
                }
            }
            index = end + 1
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4(_ end: Int) throws -> UInt32 {
            guard index + 4 <= end else { throw error("invalid \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x37)
                case 0x61...0x66: digit = UInt32(c - 0x57)
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
