// A YAML value as the schema typed it: the value, the node it was written at (for a problem's
// line and column) and its path. Checks and the model read these, never the YAML again.

import JSON
import YAML

public struct Typed: Sendable {
    public let node: YAMLNode
    /// How problems name it: `tolerations[0].effect`.
    public let path: String
    public let value: Value

    public enum Value: Sendable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case list([Typed])
        /// Entries in the order written.
        case map([Entry])
        /// The known fields written, in the order written; a field whose value did not type has
        /// `value` nil (it was written, and its problem reported).
        case object(SchemaObject, [Entry])
        case any(JSON)
    }

    public struct Entry: Sendable {
        public let key: String
        public let keyNode: YAMLNode
        public let value: Typed?
    }

    /// Every value below typed: no problem was found in it by the typing.
    public let complete: Bool

    // MARK: reading

    /// The typed value of a field or map entry (nil when absent or when it did not type).
    public subscript(_ field: String) -> Typed? { entries.first { $0.key == field }?.value }

    /// Whether the field was written, typed or not.
    public func has(_ field: String) -> Bool { entries.contains { $0.key == field } }

    /// The node of a field's key, for a problem about the field rather than its value.
    public func keyNode(_ field: String) -> YAMLNode? { entries.first { $0.key == field }?.keyNode }

    public var entries: [Entry] {
        switch value {
        case .map(let e), .object(_, let e): return e
        default: return []
        }
    }

    /// The fields an object's schema has (empty for anything else).
    public var schemaFieldNames: [String] { if case .object(let schema, _) = value { return schema.fieldNames } else { return [] } }

    public var string: String? { if case .string(let s) = value { return s } else { return nil } }
    public var int: Int? { if case .int(let n) = value { return n } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = value { return b } else { return nil } }
    public var items: [Typed] { if case .list(let l) = value { return l } else { return [] } }
    /// The items of a list that typed whole, for a check about the list itself (its count, its
    /// emptiness); nil when an item did not type, so that such a list is not judged again by what
    /// remains of it. Checks of each item read `items`.
    public var whole: [Typed]? { complete ? items : nil }
    /// A list of strings, or a map of strings, as (text, where).
    public var strings: [(String, Typed)] { items.compactMap { t in t.string.map { ($0, t) } } }
    public var stringMap: [(key: String, value: String, at: Typed)] {
        entries.compactMap { e in e.value.flatMap { v in v.string.map { (e.key, $0, v) } } }
    }

    /// As JSON, fields in the order written.
    public var json: JSON {
        switch value {
        case .string(let s): return .string(s)
        case .int(let n): return .int(n)
        case .bool(let b): return .bool(b)
        case .list(let l): return .array(l.map(\.json))
        case .map(let e), .object(_, let e): return .object(JSONObject(e.compactMap { x in x.value.map { .init(key: x.key, value: $0.json) } }))
        case .any(let j): return j
        }
    }
}
