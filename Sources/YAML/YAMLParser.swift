// Parses YAML text into node trees with the system libyaml, document by document.
// The parser owns its yaml_parser_t and the input bytes, and frees them in deinit.
import CYAML

public final class YAMLParser {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let file: String
    private var anchors: [String: YAMLNode] = [:]

    public init(text: String, file: String) {
        self.file = file
        let bytes = Array(text.utf8)
        input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
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
                anchors = [:]
                var first = try next()
                if first.type == YAML_DOCUMENT_END_EVENT {
                    yaml_event_delete(&first)
                    continue
                }
                let root = try node(from: &first)
                yaml_event_delete(&first)
                var end = try next()
                yaml_event_delete(&end)
                if !root.isNull { documents.append(root) }
            default:
                continue
            }
        }
    }

    private func next() throws -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = parser.context.map { String(cString: $0) + ": " } ?? ""
            let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            throw YAMLError(file: file, mark: mark, message: context + problem)
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

    /// Builds the node that `event` starts, reading its children.
    private func node(from event: inout yaml_event_t) throws -> YAMLNode {
        let at = mark(event)
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else { throw YAMLError(file: file, mark: at, message: "unknown alias *\(name)") }
            return target
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
            let result = YAMLNode.scalar(text, style, tag: tag, at)
            if let anchor = string(s.anchor) { anchors[anchor] = result }
            return result
        case YAML_SEQUENCE_START_EVENT:
            let anchor = string(event.data.sequence_start.anchor)
            var items: [YAMLNode] = []
            while true {
                var child = try next()
                defer { yaml_event_delete(&child) }
                if child.type == YAML_SEQUENCE_END_EVENT { break }
                items.append(try node(from: &child))
            }
            let result = YAMLNode.sequence(items, at)
            if let anchor { anchors[anchor] = result }
            return result
        case YAML_MAPPING_START_EVENT:
            let anchor = string(event.data.mapping_start.anchor)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while true {
                var keyEvent = try next()
                defer { yaml_event_delete(&keyEvent) }
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let key = try node(from: &keyEvent)
                var valueEvent = try next()
                defer { yaml_event_delete(&valueEvent) }
                pairs.append((key, try node(from: &valueEvent)))
            }
            let result = YAMLNode.mapping(pairs, at)
            if let anchor { anchors[anchor] = result }
            return result
        default:
            throw YAMLError(file: file, mark: at, message: "unexpected YAML event")
        }
    }
}
