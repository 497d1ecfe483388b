// A JSON value that keeps object keys in their order and numbers as their original text, so a
// pod round-trips byte for byte and the same input always gives the same patch.
//
// Parsed input stays lazy: a container nobody looked into is a `.raw` byte range of the input,
// materialized one level at a time when read (see JSONParser), and a plain string (ASCII, no
// escapes: nearly every string of a pod) is a `.rawString` range, made a String when read.
// Untouched values are never decoded, compare equal by identity and serialize as a copy of their
// bytes. Read values through the accessors (`objectValue`, `arrayValue`, `stringValue`,
// subscripts, `resolved`), which see through both.

public enum JSON: Sendable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (Kubernetes integers stay exact).
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)
    /// A container of parsed input, not yet decoded.
    case raw(RawJSON)
    /// A string of parsed input, quotes included, that is ASCII without escapes: its bytes are
    /// its JSON text and its UTF-8 both.
    case rawString(RawJSON)

    public static func int(_ value: Int) -> JSON { .number(String(value)) }

    /// The parsed input a raw value is a range of.
    public var document: JSONDocument? {
        switch self {
        case .raw(let r), .rawString(let r): return r.document
        default: return nil
        }
    }

    /// The value with its top level decoded (children may still be `.raw`); never raw itself.
    public var resolved: JSON {
        switch self {
        case .raw(let raw): return raw.materialize()
        case .rawString(let raw): return .string(raw.plainString)
        default: return self
        }
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .rawString(let raw): return raw.plainString
        default: return nil
        }
    }
    public var objectValue: JSONObject? {
        switch self {
        case .object(let o): return o
        case .raw(let r) where r.isObject: return r.materialize().objectValue
        default: return nil
        }
    }
    public var arrayValue: [JSON]? {
        switch self {
        case .array(let a): return a
        case .raw(let r) where !r.isObject: return r.materialize().arrayValue
        default: return nil
        }
    }
    /// Type tests that never decode a raw container.
    public var isNull: Bool { if case .null = self { return true }; return false }
    public var isObject: Bool {
        switch self {
        case .object: return true
        case .raw(let r): return r.isObject
        default: return false
        }
    }
    public var isArray: Bool {
        switch self {
        case .array: return true
        case .raw(let r): return !r.isObject
        default: return false
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var intValue: Int? { if case .number(let n) = self { return Int(n) }; return nil }

    public subscript(key: String) -> JSON? {
        objectValue?[key]
    }

    /// The values of `keys` (of each, its first member; nil where absent), or nil when this is
    /// not an object. A raw object is read in one pass over its top level and never built, so
    /// a reader of a few members of a large object pays for no member array; that pass throws
    /// what is wrong with the level.
    public func members(_ keys: [StaticString]) throws -> [JSON?]? {
        switch self {
        case .raw(let raw) where raw.isObject: return try raw.members(keys)
        case .object(let object): return keys.map { object[$0.description] }
        default: return nil
        }
    }

    /// Follows object keys; nil as soon as one is missing or not an object.
    public subscript(path: String...) -> JSON? {
        var current: JSON? = self
        for key in path { current = current?[key] }
        return current
    }

    /// True when every field of `other` is here with an equal value, recursively for objects
    /// (arrays compare whole). Used to see that a value we would set is already in place, even
    /// after the apiserver filled in defaults around it.
    public func contains(_ other: JSON) -> Bool {
        switch (resolved, other.resolved) {
        case (.object(let mine), .object(let theirs)):
            return theirs.allSatisfy { entry in mine[entry.key].map { $0.contains(entry.value) } ?? false }
        default:
            return self == other
        }
    }
}

extension JSON {
    /// True when both are the same stored value: one range of the same input, or one decoded
    /// container's storage. Equal without a look inside; false says nothing.
    func isSameStorage(as other: JSON) -> Bool {
        switch (self, other) {
        case (.raw(let x), .raw(let y)), (.rawString(let x), .rawString(let y)): return x.isSame(as: y)
        case (.object(let x), .object(let y)): return sameBuffer(x.entries, y.entries)
        case (.array(let x), .array(let y)): return sameBuffer(x, y)
        default: return false
        }
    }
}

/// Two arrays sharing one buffer (copies not yet written to): equal element for element.
private func sameBuffer<T>(_ a: [T], _ b: [T]) -> Bool {
    !a.isEmpty && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { x.baseAddress == $0.baseAddress && x.count == $0.count } }
}

extension JSON: Equatable {
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.raw(let x), .raw(let y)) where x.sameBytes(as: y): return true
        case (.rawString(let x), .rawString(let y)): return x.sameBytes(as: y)  // one spelling each
        case (.raw, _), (_, .raw), (.rawString, _), (_, .rawString): return a.resolved.equalsResolved(b.resolved)
        default: return a.equalsResolved(b)
        }
    }

    private func equalsResolved(_ other: JSON) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return sameText(x, y)
        case (.string(let x), .string(let y)): return sameText(x, y)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

public struct JSONObject: Sendable, Equatable, Sequence {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: JSON
        public init(key: String, value: JSON) { self.key = key; self.value = value }
    }

    public private(set) var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    public init(_ pairs: KeyValuePairs<String, JSON>) { entries = pairs.map { Entry(key: $0.key, value: $0.value) } }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// Reading finds the key; writing replaces in place, appends a new key, or removes on nil.
    public subscript(key: String) -> JSON? {
        get {
            guard let i = index(of: key) else { return nil }
            return entries.withUnsafeBufferPointer { $0[i].value }
        }
        set {
            if let index = index(of: key) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    /// Where `key` is. Lookups read the members through the buffer, so that passing over one
    /// copies (retains) nothing of it, and compare lengths first, as most keys passed over differ.
    @inline(__always)
    private func index(of key: String) -> Int? {
        let n = key.utf8.count
        return entries.withUnsafeBufferPointer { members in
            for i in members.indices where members[i].key.utf8.count == n && members[i].key == key { return i }
            return nil
        }
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Room for `extra` more members: a shared object copied now gets it in the same copy.
    public mutating func reserveCapacity(extra: Int) { entries.reserveCapacity(entries.count + extra) }

    /// Changes the value under `key` in place (keeping the key's position and avoiding a copy of
    /// the value); false when there is no such key.
    public mutating func modify(_ key: String, _ body: (inout JSON) throws -> Void) rethrows -> Bool {
        guard let index = index(of: key) else { return false }
        var value = entries[index].value
        entries[index].value = .null  // drop this reference so the value is uniquely held
        defer { entries[index].value = value }
        try body(&value)
        return true
    }

    /// Objects are equal when they hold the same keys with equal values, in any order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for (x, y) in zip(a.entries, b.entries) where !sameText(x.key, y.key) || x.value != y.value {
            return a.entries.allSatisfy { entry in b[entry.key] == entry.value }
        }
        return true
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(JSONObject(elements.map { JSONObject.Entry(key: $0.0, value: $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements.map { Entry(key: $0.0, value: $0.1) })
    }
}

/// Key and string equality with the UTF-8 lengths compared first: most keys a lookup passes over
/// differ in length, and String's `==` on two different strings takes a slow path.
@inlinable @inline(__always)
public func sameText(_ a: String, _ b: String) -> Bool {
    a.utf8.count == b.utf8.count && a == b
}

