// libyaml's syntax errors, said so that a person can act on them and placed at the mistake:
// libyaml reports where it gave up (often the line after, or the end of the file) in the words of
// its grammar ("found character that cannot start any token" for a tab). Where the mistake's place
// is known (the '[' not closed, the quote not ended, the tab) the error points there; otherwise
// libyaml's own text is kept.

enum SyntaxError {
    /// The error for libyaml's `problem` (and `context`, with where that began) in `text`.
    static func make(file: String, text: UnsafeBufferPointer<UInt8>, problem: String, problemMark: Mark,
                     context: String?, contextMark: Mark) -> YAMLError {
        let source = Source(text)
        func error(_ mark: Mark, _ message: String) -> YAMLError { YAMLError(file: file, mark: mark, message: message) }

        if let tab = source.tab(near: problemMark) {
            return error(tab, "tab characters are not allowed for indentation in YAML: indent with spaces")
        }
        let found = source.describe(problemMark)
        switch (context ?? "", problem) {
        case ("while parsing a flow sequence", _), ("while parsing a flow mapping", _):
            let (open, close) = context == "while parsing a flow sequence" ? ("[", "]") : ("{", "}")
            return error(contextMark, "this '\(open)' is not closed: expected ',' or '\(close)' but found \(found) at \(problemMark)")
        case ("while scanning a quoted scalar", "found unexpected end of stream"):
            return error(contextMark, "this quoted string is not closed: the file ends before its closing quote")
        case ("while parsing a flow node", "did not find expected node content") where source.isEnd(problemMark):
            return error(source.lastContent ?? problemMark, "the file ends where a value was expected (is a '[' or '{' left open?)")
        case ("while scanning a simple key", "could not find expected ':'"):
            return error(contextMark, "this line is read as a key, but no ':' follows it (is it indented as a key of the mapping above?)")
        case (_, "mapping values are not allowed in this context"):
            return error(problemMark, "':' here would start a key inside a value: quote the value if ': ' is part of it, or put the key on a line of its own")
        case ("while parsing a block mapping", "did not find expected key"):
            return error(problemMark, "this line is indented to match no key above it (the mapping that begins at \(contextMark)): the keys of one mapping line up")
        case ("while parsing a block collection", "did not find expected '-' indicator"):
            return error(problemMark, "this line is indented like an item of the list that begins at \(contextMark), but is not one (an item begins with '- ')")
        default:
            return error(problemMark, (context.map { $0 + ": " } ?? "") + problem)
        }
    }

    /// The input by lines, as libyaml counts them: a column is a character (a Unicode scalar),
    /// not a byte. Built only for an error.
    struct Source {
        let lines: [[Unicode.Scalar]]

        init(_ text: UnsafeBufferPointer<UInt8>) {
            lines = String(decoding: text, as: UTF8.self).unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in Array(line.last == "\r" ? line.dropLast() : line[...]) }
        }

        func line(_ n: Int) -> [Unicode.Scalar]? { n >= 1 && n <= lines.count ? lines[n - 1] : nil }

        /// A tab in the leading white space of the mark's line, before the mark or just where it
        /// is: libyaml stops at the tab, or at the first token after it.
        func tab(near mark: Mark) -> Mark? {
            guard let chars = line(mark.line) else { return nil }
            let indent = chars.prefix { $0 == " " || $0 == "\t" }
            guard let i = indent.firstIndex(of: "\t"), i < max(mark.column, indent.count + 1) else { return nil }
            return Mark(line: mark.line, column: i + 1)
        }

        /// What stands at the mark, quoted and short: one character, or the end of the file or line.
        func describe(_ mark: Mark) -> String {
            if isEnd(mark) { return "the end of the file" }
            guard let chars = line(mark.line), mark.column >= 1, mark.column <= chars.count else { return "the end of the line" }
            return "'\(chars[mark.column - 1].escaped(asASCII: true))'"
        }

        /// The mark is past the last character that is not white space.
        func isEnd(_ mark: Mark) -> Bool {
            guard let last = lastContent else { return true }
            return mark.line > last.line || (mark.line == last.line && mark.column > last.column)
        }

        /// Where the last character that is not white space stands.
        var lastContent: Mark? {
            for n in stride(from: lines.count, through: 1, by: -1) {
                if let i = lines[n - 1].lastIndex(where: { !$0.properties.isWhitespace }) { return Mark(line: n, column: i + 1) }
            }
            return nil
        }
    }
}
