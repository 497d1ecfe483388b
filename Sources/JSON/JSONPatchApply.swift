// Applying an RFC 6902 patch, as the apiserver will: the tests and `sparkhook preview` show the
// pod that results.

extension JSONPatch {
    public struct ApplyError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Applies operations as RFC 6902 says; a missing path or a bad index is an error.
    public static func apply(_ ops: [PatchOperation], to document: JSON) throws -> JSON {
        var result = document
        for op in ops {
            switch op {
            case .add(let p, let v): try update(&result, p.tokens[...], op) { parent, last in try insert(&parent, last, v, p) }
            case .remove(let p): try update(&result, p.tokens[...], op) { parent, last in try delete(&parent, last, p) }
            case .replace(let p, let v):
                try update(&result, p.tokens[...], op) { parent, last in
                    try delete(&parent, last, p)
                    try insert(&parent, last, v, p)
                }
            }
        }
        return result
    }

    private static func update(_ node: inout JSON, _ tokens: ArraySlice<String>, _ op: PatchOperation,
                               _ body: (inout JSON, String) throws -> Void) throws {
        guard let first = tokens.first else {
            if case .replace(_, let v) = op { node = v; return }
            throw ApplyError(description: "cannot add or remove the whole document")
        }
        if tokens.count == 1 { return try body(&node, first) }
        if var object = node.takeObject() {
            defer { node = .object(object) }
            let found = try object.modify(first) { child in try update(&child, tokens.dropFirst(), op, body) }
            guard found else { throw ApplyError(description: "path \(op.path) does not exist") }
        } else if var array = node.takeArray() {
            defer { node = .array(array) }
            guard let i = index(first), array.indices.contains(i) else { throw ApplyError(description: "path \(op.path) does not exist") }
            try update(&array[i], tokens.dropFirst(), op, body)
        } else {
            throw ApplyError(description: "path \(op.path) does not exist")
        }
    }

    private static func insert(_ parent: inout JSON, _ key: String, _ value: JSON, _ path: JSONPointer) throws {
        if var object = parent.takeObject() {
            object[key] = value
            parent = .object(object)
        } else if var array = parent.takeArray() {
            defer { parent = .array(array) }
            guard key == "-" || index(key).map({ $0 <= array.count }) == true else {
                throw ApplyError(description: "index in \(path) is out of range")
            }
            array.insert(value, at: key == "-" ? array.count : index(key)!)
        } else {
            throw ApplyError(description: "parent of \(path) is not a container")
        }
    }

    private static func delete(_ parent: inout JSON, _ key: String, _ path: JSONPointer) throws {
        if var object = parent.takeObject() {
            defer { parent = .object(object) }
            guard object[key] != nil else { throw ApplyError(description: "path \(path) does not exist") }
            object[key] = nil
        } else if var array = parent.takeArray() {
            defer { parent = .array(array) }
            guard let i = index(key), array.indices.contains(i) else { throw ApplyError(description: "path \(path) does not exist") }
            array.remove(at: i)
        } else {
            throw ApplyError(description: "path \(path) does not exist")
        }
    }
}

extension JSON {
    // Moving a container out (leaving null) makes it uniquely held, so changing it and putting it
    // back happens in place. A `switch` on the value instead keeps a second reference alive for
    // the whole case, and every change then copies the container first.

    /// The object held here, moved out; a raw object is decoded first. nil (and self unchanged)
    /// for anything else.
    mutating func takeObject() -> JSONObject? {
        if case .raw = self { self = resolved }
        guard case .object(let object) = self else { return nil }
        self = .null
        return object
    }

    /// The array held here, moved out, as `takeObject`.
    mutating func takeArray() -> [JSON]? {
        if case .raw = self { self = resolved }
        guard case .array(let array) = self else { return nil }
        self = .null
        return array
    }
}
