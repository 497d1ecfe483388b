// Shell-style globs for names: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!abc]`.

public struct Glob: Sendable, CustomStringConvertible {
    enum Token: Sendable {
        case literal(Character)
        case any
        case one
        case set([ClosedRange<Character>], negated: Bool)
    }

    public let description: String
    let tokens: [Token]

    public struct Problem: Error { public let message: String }

    public init(_ pattern: String) throws {
        description = pattern
        guard !pattern.isEmpty else { throw Problem(message: "empty pattern") }
        var tokens: [Token] = []
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*": tokens.append(.any)
            case "?": tokens.append(.one)
            case "[":
                var negated = false
                if chars.first == "!" || chars.first == "^" { negated = true; chars.removeFirst() }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                var first = true
                while let d = chars.popFirst() {
                    if d == "]" && !first { closed = true; break }
                    first = false
                    if chars.count >= 2, chars.first == "-", chars.dropFirst().first != "]" {
                        chars.removeFirst()
                        let upper = chars.removeFirst()
                        guard d <= upper else { throw Problem(message: "range \(d)-\(upper) is reversed") }
                        ranges.append(d...upper)
                    } else {
                        ranges.append(d...d)
                    }
                }
                guard closed else { throw Problem(message: "unclosed '['") }
                tokens.append(.set(ranges, negated: negated))
            case "]": throw Problem(message: "unmatched ']'")
            default: tokens.append(.literal(c))
            }
        }
        self.tokens = tokens
    }

    public func matches(_ text: String) -> Bool {
        Self.match(tokens[...], Array(text)[...])
    }

    private static func match(_ p: ArraySlice<Token>, _ s: ArraySlice<Character>) -> Bool {
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
                    t = t.dropFirst()
                }
            case .one:
                guard !s.isEmpty else { return false }
            case .literal(let c):
                guard s.first == c else { return false }
            case .set(let ranges, let negated):
                guard let c = s.first, ranges.contains(where: { $0.contains(c) }) != negated else { return false }
            }
            p = p.dropFirst()
            s = s.dropFirst()
        }
        return s.isEmpty
    }
}

extension Array where Element == Glob {
    func anyMatches(_ text: String) -> Bool { contains { $0.matches(text) } }
}
