// Parses JSON text (RFC 8259). JSONDocument's structural pass first; then values are decoded one
// level at a time: a container's children stay `.raw` byte ranges until read, and so do its plain
// strings (`.rawString`), so the parts of a pod no rule looks at cost one pass and nothing more.

public enum JSONParser {
    /// The value, with containers below the top level left raw until read.
    /// `keys`: the keys this kind of document is expected to hold (see KnownKeys).
    public static func parse(_ bytes: [UInt8], keys: KnownKeys? = nil) throws -> JSON { try parse(bytes, keys: keys, topLevelRaw: false) }

    /// Like `parse`, but a container at the top stays raw too: for a reader of a few of its
    /// members (see `JSON.members`), which then never builds that level. Not public: its one
    /// reader is AdmissionRequest, whose checked read every admission endpoint goes through
    /// (`package`, as that is another module of this package).
    package static func parseLazily(_ bytes: [UInt8], keys: KnownKeys? = nil) throws -> JSON { try parse(bytes, keys: keys, topLevelRaw: true) }

    private static func parse(_ bytes: [UInt8], keys: KnownKeys?, topLevelRaw: Bool) throws -> JSON {
        let document = try JSONDocument(bytes, keys: keys)
        return try bytes.withUnsafeBufferPointer { b in
            var reader = Reader(bytes: b, document: document, index: 0)
            reader.skipSpace()
            let value = try topLevelRaw ? reader.child() : reader.value()
            reader.skipSpace()
            if reader.index != b.count { throw reader.error("unexpected data after the value") }
            return value
        }
    }

    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    /// Parses and decodes every level, checking the whole text: for input from people (preview).
    public static func parseFully(_ bytes: [UInt8], keys: KnownKeys? = nil) throws -> JSON {
        try materializeAll(parse(bytes, keys: keys))
    }

    static func materializeAll(_ value: JSON) throws -> JSON {
        switch value {
        case .raw(let raw):
            return try materializeAll(raw.decode())  // errors reported, unlike `materialize`
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
        /// The document's known keys, read once per reader rather than once per key.
        let keys: KnownKeys?

        init(bytes: UnsafeBufferPointer<UInt8>, document: JSONDocument, index: Int) {
            self.bytes = bytes
            self.document = document
            self.index = index
            keys = document.keys
        }

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

        /// A child value: containers and plain strings stay raw, other scalars are decoded.
        mutating func child() throws -> JSON {
            guard index < bytes.count else { throw error("unexpected end of input") }
            let c = bytes[index]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                let end = document.end(of: index)
                let raw = RawJSON(document: document, start: Int32(index), end: Int32(end))
                index = end
                return .raw(raw)
            }
            if c == UInt8(ascii: "\""), let close = plainStringEnd(from: index + 1) {
                let raw = RawJSON(document: document, start: Int32(index), end: Int32(close + 1))
                index = close + 1
                return .rawString(raw)
            }
            return try value()
        }

        /// The closing quote of a string whose content starts at `start` when it is plain: ASCII
        /// and no escapes before it (control bytes the structural pass has refused). nil
        /// otherwise: such a string is decoded now.
        func plainStringEnd(from start: Int) -> Int? {
            let i = firstSpecial(from: start, orNonASCII: true)
            return i < bytes.count && bytes[i] == UInt8(ascii: "\"") ? i : nil
        }

        mutating func literal(_ word: StaticString) throws {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("unexpected end of input") }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw error("invalid literal") }
            index += count
        }

        mutating func object() throws -> JSON {
            var entries: [JSONObject.Entry] = []
            // Room for as many members as the object's size suggests (a member of a pod takes
            // at least 16 bytes, mostly far more), so that growing (an allocation and a copy of
            // every member each time) is rare: a spec of 25 fields would otherwise grow twice.
            let size = document.end(of: index) - index
            if size > 2 { entries.reserveCapacity(min(max(size / 16, 4), 32)) }
            // A key twice is refused. Each key sets a bit of a 64-bit filter by a cheap hash of
            // its bytes; only a key whose bit is set already is compared with the keys before it
            // (past 64 keys, every one is).
            var filter: UInt64 = 0
            try forEachMember { reader in
                let at = reader.index
                let (key, bit) = try reader.keyAndFilterBit()
                if filter & bit != 0 || entries.count >= 64 { try Self.refuseRepeat(key, in: entries, at: at) }
                filter |= bit
                try reader.colon()
                entries.append(JSONObject.Entry(key: key, value: try reader.child()))
            }
            return .object(JSONObject(entries))
        }

        /// The member of each of `keys` in the object at `index`, into `found` (which has a
        /// slot per key), without decoding the members passed over: their values are skipped,
        /// and checked no further than the structural pass did.
        mutating func members(_ keys: [StaticString], into found: inout [JSON?]) throws {
            try forEachMember { reader in
                let at = reader.index
                let k = try reader.wantedKey(keys)
                try reader.colon()
                if let k {
                    // Go's reader takes a repeated member's last value, ours would take the first:
                    // a key the decision reads must be there once.
                    guard found[k] == nil else { throw JSONParseError(offset: at, message: "duplicate key") }
                    found[k] = try reader.child()
                } else {
                    try reader.skipValue()
                }
            }
        }

        /// The members of the object at `index`, in order: `member` is called at each key's
        /// opening quote and reads the key, the colon and the value; the punctuation between
        /// is checked here.
        @inline(__always)
        mutating func forEachMember(_ member: (inout Reader) throws -> Void) throws {
            index += 1
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return }
            repeat {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try member(&self)
            } while try next(closing: UInt8(ascii: "}"))
        }

        mutating func colon() throws {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipSpace()
        }

        /// After a member or an element: past a comma (true, another follows) or past the
        /// closing bracket (false).
        @inline(__always)
        mutating func next(closing: UInt8) throws -> Bool {
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; return true }
            if bytes[index] == closing { index += 1; return false }
            throw error(closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
        }

        mutating func array() throws -> JSON {
            let size = document.end(of: index) - index
            index += 1
            var elements: [JSON] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            elements.reserveCapacity(min(max(size / 32, 1), 16))
            repeat {
                skipSpace()
                elements.append(try child())
            } while try next(closing: UInt8(ascii: "]"))
            return .array(elements)
        }

        /// Throws when `key` is one of `entries`' keys: out of line, as it runs only for the few
        /// keys the filter cannot tell apart.
        @inline(never)
        static func refuseRepeat(_ key: String, in entries: [JSONObject.Entry], at offset: Int) throws {
            let n = key.utf8.count
            for m in entries where m.key.utf8.count == n && m.key == key { throw JSONParseError(offset: offset, message: "duplicate key") }
        }

        /// One of 64 bits, from a key's length and its first, middle and last bytes.
        @inline(__always)
        static func filterBit(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
            guard let first = b.first else { return 1 }
            let h = UInt64(b.count) &* 0x9E37_79B1 ^ UInt64(first) &* 0x85EB_CA77 ^ UInt64(b[b.count >> 1]) &* 0xC2B2_AE3D ^ UInt64(b[b.count &- 1]) &* 0x27D4_EB2F
            return 1 << ((h >> 26) & 63)
        }

        /// Reads the key at `index` and tells which of `keys` it is, if any.
        mutating func wantedKey(_ keys: [StaticString]) throws -> Int? {
            let start = index + 1
            let end = quoteOrBackslash(from: start)
            guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
                let text = try string(firstSpecial: end)  // escapes in the key: compare its text
                return keys.firstIndex { $0.description == text }
            }
            index = end + 1
            let n = end - start
            return keys.firstIndex { $0.utf8CodeUnitCount == n && Words.sameBytes(bytes.baseAddress! + start, $0.utf8Start, n) }
        }

        /// Past the value at `index` without decoding it (a number or a literal is read).
        mutating func skipValue() throws {
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                index = document.end(of: index)
            case UInt8(ascii: "\""):
                var i = quoteOrBackslash(from: index + 1)
                while i < bytes.count && bytes[i] == UInt8(ascii: "\\") { i = quoteOrBackslash(from: i + 2) }
                guard i < bytes.count else { throw error("unterminated string") }
                index = i + 1
            default:
                _ = try value()
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

        /// The first quote or backslash from `i`, eight bytes at a time (see Words).
        func quoteOrBackslash(from start: Int) -> Int { firstSpecial(from: start, orNonASCII: false) }

        /// The first quote or backslash from `start` (or `bytes.count`), and with `orNonASCII` the
        /// first byte of 0x80 or more too: a byte's own high bit flags it (see Words).
        @inline(__always)
        func firstSpecial(from start: Int, orNonASCII: Bool) -> Int {
            Words.first(in: bytes, from: start) { w in
                Words.equal(w, 0x22) | Words.equal(w, 0x5C) | (orNonASCII ? w : 0)
            } matches: { c in
                c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || (orNonASCII && c >= 0x80)
            }
        }

        /// The key (the shared String when it is a known key spelled plainly, no escapes), and its
        /// bit for the duplicate filter of `object()` (see `filterBit`), taken from the input's
        /// bytes when the key is plain: no second look at the String.
        mutating func keyAndFilterBit() throws -> (key: String, bit: UInt64) {
            let start = index + 1
            let i = quoteOrBackslash(from: start)
            if i < bytes.count && bytes[i] == UInt8(ascii: "\"") {
                let bit = Self.filterBit(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                if let known = keys?.lookup(bytes.baseAddress! + start, count: i - start) {
                    index = i + 1
                    return (known, bit)
                }
                return (try string(firstSpecial: i), bit)
            }
            var key = try string(firstSpecial: i)  // escapes: the bit from the decoded text
            return (key, key.withUTF8 { Self.filterBit($0) })
        }

        mutating func string() throws -> String { try string(firstSpecial: quoteOrBackslash(from: index + 1)) }

        /// The string at `index`, whose first quote or backslash is at `firstSpecial`.
        mutating func string(firstSpecial: Int) throws -> String {
            let start = index + 1
            var i = firstSpecial
            guard i < bytes.count else { throw error("unterminated string") }
            if bytes[i] == UInt8(ascii: "\"") {
                index = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            var out = Array(bytes[start..<i])
            index = i
            while true {
                i = quoteOrBackslash(from: index)
                guard i < bytes.count else { throw error("unterminated string") }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<i]))
                index = i + 1
                if bytes[i] == UInt8(ascii: "\"") { break }
                guard index < bytes.count else { throw error("invalid escape") }
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
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw error("unpaired surrogate")
                    }
                    UTF8.encode(Unicode.Scalar(scalar)!) { out.append($0) }
                default: throw error("invalid escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
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
