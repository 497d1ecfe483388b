// Writes JSON compactly, keys in their stored order.

extension JSON {
    public func serialized() -> [UInt8] { written.bytes }

    public var text: String { written.string }

    private var written: ByteWriter {
        var out = ByteWriter(capacity: 256)
        write(into: &out)
        return out
    }

    func write(into out: inout ByteWriter) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let n): out.append(utf8: n)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, entry) in object.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                entry.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .raw(let raw), .rawString(let raw):
            raw.write(into: &out)
        }
    }

    static let hexDigits: StaticString = "0123456789abcdef"

    public static func writeString(_ s: String, to out: inout ByteWriter) {
        var s = s
        s.withUTF8 { writeString($0, to: &out) }
    }

    static func writeString(_ b: UnsafeBufferPointer<UInt8>, to out: inout ByteWriter) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(b, pointerToken: false, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// String content with JSON's escapes (unless `json` is false: a pointer written as plain
    /// text), and for a JSON-pointer token first the pointer's own (`~` as `~0`, `/` as `~1`).
    /// Runs of bytes that need no escape are copied whole.
    static func appendEscaped(_ b: UnsafeBufferPointer<UInt8>, json: Bool = true, pointerToken: Bool, to out: inout ByteWriter) {
        var run = 0
        while true {
            let i = firstToEscape(b, from: run, json: json, pointerToken: pointerToken)
            out.append(UnsafeBufferPointer(rebasing: b[run..<i]))
            guard i < b.count else { return }
            let c = b[i]
            if c == UInt8(ascii: "~") || c == UInt8(ascii: "/") {  // only found in pointer tokens
                out.append(UInt8(ascii: "~"))
                out.append(c == UInt8(ascii: "~") ? UInt8(ascii: "0") : UInt8(ascii: "1"))
            } else {
                appendEscape(c, to: &out)
            }
            run = i + 1
        }
    }

    /// The first byte from `start` that needs an escape (or `b.count`), eight bytes at a time
    /// (see Words): for JSON bytes below 0x20, quotes and backslashes, in a pointer token `~` and `/`.
    static func firstToEscape(_ b: UnsafeBufferPointer<UInt8>, from start: Int, json: Bool = true, pointerToken: Bool) -> Int {
        Words.first(in: b, from: start) { w in
            var flags: UInt64 = 0
            if json { flags |= Words.below(w, 0x20) | Words.equal(w, 0x22) | Words.equal(w, 0x5C) }
            if pointerToken { flags |= Words.equal(w, 0x7E) | Words.equal(w, 0x2F) }
            return flags
        } matches: { c in
            (json && (c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\")))
                || (pointerToken && (c == UInt8(ascii: "~") || c == UInt8(ascii: "/")))
        }
    }

    /// The JSON escape of a quote, a backslash or a control byte.
    static func appendEscape(_ c: UInt8, to out: inout ByteWriter) {
        out.append(UInt8(ascii: "\\"))
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(c)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            out.append("u00")
            out.append(hexDigits.utf8Start[Int(c >> 4)])
            out.append(hexDigits.utf8Start[Int(c & 0xF)])
        }
    }
}

extension JSON {
    /// Indented two spaces a level, for people (preview output).
    public func pretty() -> String {
        var out = ByteWriter(capacity: 1024)
        writePretty(to: &out, indent: 0)
        out.append(0x0A)
        return out.string
    }

    private static func newline(_ level: Int, to out: inout ByteWriter) {
        out.append(0x0A)
        for _ in 0..<level { out.append("  ") }
    }

    private func writePretty(to out: inout ByteWriter, indent: Int) {
        switch resolved {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(indent + 1, to: &out)
                element.writePretty(to: &out, indent: indent + 1)
            }
            JSON.newline(indent, to: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (i, entry) in object.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(indent + 1, to: &out)
                JSON.writeString(entry.key, to: &out)
                out.append(": ")
                entry.value.writePretty(to: &out, indent: indent + 1)
            }
            JSON.newline(indent, to: &out)
            out.append(UInt8(ascii: "}"))
        default:
            write(into: &out)
        }
    }
}

extension JSON {
    /// The first number below this value (raw ranges aside: they are the input's own text) whose
    /// text is not a JSON number. Numbers are kept as text, and a text from elsewhere than the
    /// JSON reader (a YAML scalar, code) must still be one that a JSON reader accepts.
    public func firstInvalidNumber() -> String? {
        switch self {
        case .number(let text): return JSON.isNumberText(text) ? nil : text
        case .array(let items):
            // Through the buffers: iterating would retain each element on the way.
            return items.withUnsafeBufferPointer { b in
                for item in b { if let bad = item.firstInvalidNumber() { return bad } }
                return nil
            }
        case .object(let object):
            return object.entries.withUnsafeBufferPointer { b in
                for entry in b { if let bad = entry.value.firstInvalidNumber() { return bad } }
                return nil
            }
        default: return nil
        }
    }

    /// RFC 8259's number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`.
    public static func isNumberText(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b in
            func digits(_ i: inout Int) -> Int {
                let start = i
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                return i - start
            }
            var i = 0
            if i < b.count && b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count else { return false }
            if b[i] == UInt8(ascii: "0") { i += 1 } else if digits(&i) == 0 { return false }
            if i < b.count && b[i] == UInt8(ascii: ".") {
                i += 1
                if digits(&i) == 0 { return false }
            }
            if i < b.count && (b[i] | 0x20) == UInt8(ascii: "e") {
                i += 1
                if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
                if digits(&i) == 0 { return false }
            }
            return i == b.count
        }
    }
}
