// Shell-style globs for names: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!abc]`.
// Matched on UTF-8 bytes; the common shapes ("exact", "prefix-*", "*") are told apart for RuleMatcher.

public final class Glob: Sendable, CustomStringConvertible {
    enum Token: Sendable {
        case literal(UInt8)
        case any
        case one
        case set([ClosedRange<UInt32>], negated: Bool)
    }

    enum Shape: Sendable {
        case exact([UInt8])
        case prefix([UInt8])
        case general
    }

    public let description: String
    let tokens: [Token]
    let shape: Shape

    public struct Problem: Error { public let message: String }

    public init(_ pattern: String) throws {
        description = pattern
        guard !pattern.isEmpty else { throw Problem(message: "empty pattern") }
        var tokens: [Token] = []
        var scalars = Array(pattern.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            switch c {
            case "*": tokens.append(.any)
            case "?": tokens.append(.one)
            case "[":
                var negated = false
                if scalars.first == "!" || scalars.first == "^" { negated = true; scalars.removeFirst() }
                var ranges: [ClosedRange<UInt32>] = []
                var closed = false
                var first = true
                while let d = scalars.popFirst() {
                    if d == "]" && !first { closed = true; break }
                    first = false
                    if scalars.count >= 2, scalars.first == "-", scalars.dropFirst().first != "]" {
                        scalars.removeFirst()
                        let upper = scalars.removeFirst()
                        guard d.value <= upper.value else { throw Problem(message: "range \(d)-\(upper) is reversed") }
                        ranges.append(d.value...upper.value)
                    } else {
                        ranges.append(d.value...d.value)
                    }
                }
                guard closed else { throw Problem(message: "unclosed '['") }
                tokens.append(.set(ranges, negated: negated))
            case "]": throw Problem(message: "unmatched ']'")
            default:
                for byte in String(c).utf8 { tokens.append(.literal(byte)) }
            }
        }
        self.tokens = tokens
        let literals = tokens.compactMap { token -> UInt8? in if case .literal(let b) = token { return b }; return nil }
        if literals.count == tokens.count {
            shape = .exact(literals)
        } else if literals.count == tokens.count - 1, case .any? = tokens.last {
            shape = .prefix(literals)
        } else {
            shape = .general
        }
    }

    /// RuleMatcher tests the exact and prefix shapes itself; this is the general matcher.
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        Self.match(tokens[...], bytes[...])
    }

    private static func match(_ p: ArraySlice<Token>, _ s: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var p = p, s = s
        while let token = p.first {
            switch token {
            case .any:
                let rest = p.dropFirst()
                if rest.isEmpty { return true }
                var t = s
                while true {
                    if match(rest, t) { return true }
                    if t.isEmpty { return false }
                    t = t.dropFirst(scalarLength(t.first!))
                }
            case .one:
                guard let b = s.first else { return false }
                s = s.dropFirst(scalarLength(b))
            case .literal(let c):
                guard s.first == c else { return false }
                s = s.dropFirst()
            case .set(let ranges, let negated):
                guard let b = s.first else { return false }
                let length = scalarLength(b)
                let scalar = String(decoding: s.prefix(length), as: UTF8.self).unicodeScalars.first?.value ?? 0
                guard ranges.contains(where: { $0.contains(scalar) }) != negated else { return false }
                s = s.dropFirst(length)
            }
            p = p.dropFirst()
        }
        return s.isEmpty
    }

    /// The length of the UTF-8 sequence a lead byte starts (`?` and sets match whole characters).
    private static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
