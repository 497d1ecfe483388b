// Parses YAML text into node trees with the system libyaml, document by document.
// The parser owns its yaml_parser_t and the input bytes, and frees them in deinit.
//
// Hostile input is bounded here, before anything walks a tree: the tree is built with a stack
// of its own (never a recursion per level), nesting is limited, and so is what aliases expand
// to, counted as the nodes and depth a walker of the tree would meet (a "billion laughs" of
// aliases to aliases is a few hundred bytes and refused at once).
import CYAML
import JSON

/// How far a document may go. Real pods and policies stay far below the defaults: a Pod with its
/// managedFields nests about 12 deep and has a few thousand nodes; a 500-rule policy about 10,000.
public struct YAMLLimits: Sendable {
    /// Levels of nesting, aliases expanded: every walker of the tree recurses at most this deep.
    public var maxDepth = 64
    /// Nodes in a document as walked, every alias counted as the nodes it stands for.
    public var maxNodes = 100_000
    /// Aliases in a document.
    public var maxAliases = 1_000

    public init() {}
    public static let `default` = YAMLLimits()
}

public final class YAMLParser {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>
    /// The input's length: `input` holds at least one byte, even for an empty text.
    private let length: Int
    private let file: String
    private let limits: YAMLLimits

    public init(text: String, file: String, limits: YAMLLimits = .default) {
        self.file = file
        self.limits = limits
        let bytes = Array(text.utf8)
        input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
        length = bytes.count
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// A node with what walking it costs: its nodes and its depth, aliases expanded.
    private struct Built {
        var node: YAMLNode
        var nodes: Int
        var height: Int
    }

    /// A collection being read: its children so far.
    private struct Open {
        var mark: Mark
        var anchor: String?
        var items: [YAMLNode] = []
        var pendingKey: YAMLNode?
        var isMapping: Bool
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var nodes = 1
        var height = 1
    }

    /// Every document in the stream; empty documents are skipped.
    public func documents() throws -> [YAMLNode] {
        var documents: [YAMLNode] = []
        while true {
            var event = try next()
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                if let root = try document(), !root.isNull { documents.append(root) }
            default:
                continue
            }
        }
    }

    /// Reads one document's events up to its end, with a stack of open collections.
    private func document() throws -> YAMLNode? {
        var anchors: [String: Built] = [:]
        var stack: [Open] = []
        var root: YAMLNode?
        var total = 0
        var aliases = 0
        while true {
            var event = try next()
            defer { yaml_event_delete(&event) }
            let at = mark(event)
            var done: Built?
            var anchor: String?
            var added = 1  // nodes this event adds to the document as walked
            switch event.type {
            case YAML_DOCUMENT_END_EVENT:
                return root
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else {
                    throw YAMLError(file: file, mark: at, message: "unknown alias *\(excerpt(name))")
                }
                aliases += 1
                added = target.nodes
                if aliases > limits.maxAliases {
                    throw YAMLError(file: file, mark: at, message: "more than \(limits.maxAliases) aliases in one document")
                }
                done = target
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = string(s.value, length: s.length) ?? ""
                let style: ScalarStyle
                switch s.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .quoted
                case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
                default: style = .plain
                }
                var tag = string(s.tag)
                if tag == "!" { tag = nil }
                anchor = string(s.anchor)
                done = Built(node: .scalar(text, style, tag: tag, at), nodes: 1, height: 1)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < limits.maxDepth else {
                    throw YAMLError(file: file, mark: at, message: "nesting deeper than \(limits.maxDepth) levels")
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let name = isMapping ? string(event.data.mapping_start.anchor) : string(event.data.sequence_start.anchor)
                stack.append(Open(mark: at, anchor: name, isMapping: isMapping))
                total += 1
                continue
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let open = stack.popLast() else { throw YAMLError(file: file, mark: at, message: "unexpected end of a collection") }
                anchor = open.anchor
                let node: YAMLNode = open.isMapping ? .mapping(open.pairs, open.mark) : .sequence(open.items, open.mark)
                done = Built(node: node, nodes: open.nodes, height: open.height)
                added = 0  // itself when it opened, its children as they came
            default:
                throw YAMLError(file: file, mark: at, message: "unexpected YAML event")
            }
            guard let built = done else { continue }
            total += added
            if total > limits.maxNodes {
                throw YAMLError(file: file, mark: at, message: "more than \(limits.maxNodes) nodes in one document (aliases counted as what they stand for)")
            }
            if stack.count + built.height > limits.maxDepth {
                throw YAMLError(file: file, mark: at, message: "nesting deeper than \(limits.maxDepth) levels (aliases expanded)")
            }
            if let anchor { anchors[anchor] = built }
            guard !stack.isEmpty else {
                root = built.node
                continue
            }
            let top = stack.count - 1
            stack[top].nodes += built.nodes
            stack[top].height = max(stack[top].height, built.height + 1)
            if !stack[top].isMapping {
                stack[top].items.append(built.node)
            } else if let key = stack[top].pendingKey {
                stack[top].pairs.append((key, built.node))
                stack[top].pendingKey = nil
            } else {
                stack[top].pendingKey = built.node
            }
        }
    }

    private func next() throws -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            throw SyntaxError.make(
                file: file, text: UnsafeBufferPointer(rebasing: input[..<length]), problem: parser.problem.map { String(cString: $0) } ?? "invalid YAML",
                problemMark: Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1),
                context: parser.context.map { String(cString: $0) },
                contextMark: Mark(line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1))
        }
        return event
    }

    private func mark(_ event: yaml_event_t) -> Mark {
        Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        if let length {
            return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        return String(cString: pointer)
    }
}
