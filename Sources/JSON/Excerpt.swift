// Someone's input quoted in a message or a log line, bounded. Here, not in a module of its own:
// JSON's own errors quote input (a patch check), and every module that quotes input (YAML,
// Admission, Policy, Webhook) imports JSON already: this is the lowest place they all see.

/// A bounded, printable excerpt of someone's input for a message or a log line: at most `max`
/// bytes of it, control characters escaped, and a note of how much was left out.
public func excerpt(_ text: String, max: Int = 64) -> String {
    var out = ""
    var used = 0
    var scalars = text.unicodeScalars.makeIterator()
    while let c = scalars.next() {
        let piece: String
        switch c {
        case "\n": piece = "\\n"
        case "\t": piece = "\\t"
        case "\r": piece = "\\r"
        case _ where c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value): piece = "\\u{\(String(c.value, radix: 16))}"
        default: piece = String(c)
        }
        if used + piece.utf8.count > max {
            return out + "... (\(text.utf8.count) bytes)"
        }
        out += piece
        used += piece.utf8.count
    }
    return out
}

/// Someone's input for a log field, bounded like `excerpt` but not escaped: the logger escapes
/// every field as JSON, and a field escaped here too would read `\\n` where the text had a newline.
public func bounded(_ text: String, max: Int) -> String {
    guard text.utf8.count > max else { return text }
    var out = ""
    var used = 0
    for c in text.unicodeScalars {
        used += UTF8.width(c)
        if used > max { break }
        out.unicodeScalars.append(c)
    }
    return out + "... (\(text.utf8.count) bytes)"
}
