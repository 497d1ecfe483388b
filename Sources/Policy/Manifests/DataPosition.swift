// Where a line:column inside a ConfigMap's data value stands in the manifest file, so that `check`
// of a manifest points into the file the user edits. Exact for a literal block (`key: |`), the
// way a policy is written in a manifest; other styles fold or unescape their lines, so a position
// there is given as KEY:LINE:COLUMN after the value's own position.
import YAML

struct DataPosition {
    let manifest: String
    /// The value's node in the manifest; nil when the key is not found (a problem about the whole map).
    let value: YAMLNode?
    let key: String
    /// For a literal block: the manifest line before the value's first line, and its indentation.
    let block: (line: Int, indent: Int)?

    init(manifest: String, lines: [Substring], data: YAMLNode?, key: String) {
        self.manifest = manifest
        self.key = key
        var value: YAMLNode?
        if case .mapping(let pairs, _)? = data { value = pairs.first { $0.key.scalarText == key }?.value }
        self.value = value
        block = value.flatMap { Self.literalBlock($0, lines) }
    }

    /// A `|`, `|-` or `|+` block (no explicit indentation): its content starts on the next line,
    /// indented as its first line that is not blank.
    static func literalBlock(_ node: YAMLNode, _ lines: [Substring]) -> (line: Int, indent: Int)? {
        guard case .scalar(_, .block, _, let mark) = node, mark.line >= 1, mark.line <= lines.count else { return nil }
        let header = lines[mark.line - 1].unicodeScalars.dropFirst(mark.column - 1)
        guard header.first == "|" else { return nil }
        let rest = header.dropFirst().prefix { $0 != " " && $0 != "#" && $0 != "\r" }
        guard rest.allSatisfy({ $0 == "-" || $0 == "+" }), rest.count <= 1 else { return nil }
        for line in lines.dropFirst(mark.line) {
            let indent = line.unicodeScalars.prefix { $0 == " " }.count
            if indent < line.unicodeScalars.count, line.unicodeScalars.dropFirst(indent).first != "\r" { return (mark.line, indent) }
        }
        return nil
    }

    /// A problem found in the value's text, placed in the manifest.
    func place(_ problem: YAMLError) -> YAMLError {
        if let block, problem.mark.line >= 1 {
            return YAMLError(file: manifest, mark: Mark(line: block.line + problem.mark.line, column: block.indent + problem.mark.column),
                             message: problem.message)
        }
        let at = value?.mark ?? Mark(line: 1, column: 1)
        let inside = problem.mark.line >= 1 ? "\(key):\(problem.mark)" : "data.\(key)"
        return YAMLError(file: manifest, mark: at, message: "\(inside): \(problem.message)")
    }

    func place(_ position: Position) -> Position {
        let placed = place(YAMLError(file: position.file, mark: position.mark, message: ""))
        return Position(file: placed.file, mark: placed.mark)
    }
}
