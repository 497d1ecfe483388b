// RFC 6902 patches computed as the difference between two documents: the mutated pod against the
// original. Every `replace` and `remove` names a path that exists in the original; an `add` of a
// missing object carries the whole object, so parents are never missing.

public enum PatchOperation: Sendable, Equatable {
    case add(JSONPointer, JSON)
    case remove(JSONPointer)
    case replace(JSONPointer, JSON)

    public var path: JSONPointer {
        switch self {
        case .add(let p, _), .remove(let p), .replace(let p, _): return p
        }
    }

    /// What an add or a replace writes.
    public var value: JSON? {
        switch self {
        case .add(_, let v), .replace(_, let v): return v
        case .remove: return nil
        }
    }

    public var json: JSON {
        switch self {
        case .add(let p, let v): return ["op": "add", "path": .string(p.description), "value": v]
        case .remove(let p): return ["op": "remove", "path": .string(p.description)]
        case .replace(let p, let v): return ["op": "replace", "path": .string(p.description), "value": v]
        }
    }
}

public enum JSONPatch {
    public static func diff(from original: JSON, to mutated: JSON) -> [PatchOperation] {
        var ops: [PatchOperation] = []
        var path: [String] = []
        ops.reserveCapacity(16)
        path.reserveCapacity(16)
        diff(original, mutated, &path, &ops)
        return ops
    }

    public static func encode(_ ops: [PatchOperation]) -> JSON { .array(ops.map(\.json)) }

    /// The patch as JSON text, written straight into `out` (the hot path: no intermediate tree).
    public static func write(_ ops: [PatchOperation], to out: inout ByteWriter) {
        out.append(UInt8(ascii: "["))
        for (i, op) in ops.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let (name, path, value): (StaticString, JSONPointer, JSON?)
            switch op {
            case .add(let p, let v): (name, path, value) = ("{\"op\":\"add\",\"path\":\"", p, v)
            case .remove(let p): (name, path, value) = ("{\"op\":\"remove\",\"path\":\"", p, nil)
            case .replace(let p, let v): (name, path, value) = ("{\"op\":\"replace\",\"path\":\"", p, v)
            }
            out.append(name)
            for token in path.tokens {
                out.append(UInt8(ascii: "/"))
                JSONPointer.appendEscapedJSON(token, to: &out)
            }
            out.append(UInt8(ascii: "\""))
            if let value {
                out.append(",\"value\":")
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Walks both values once: a node is resolved once and compared by descending into it, so no
    /// subtree is compared twice; the path is a stack of tokens, made a pointer only for an op.
    private static func diff(_ a: JSON, _ b: JSON, _ path: inout [String], _ ops: inout [PatchOperation]) {
        if case .raw(let x) = a, case .raw(let y) = b, x.sameBytes(as: y) { return }
        switch (a.resolved, b.resolved) {
        case (.object(let x), .object(let y)):
            // Mutation keeps keys in place and appends new ones, so walk both in step and look
            // keys up only where they stop lining up.
            let xs = x.entries, ys = y.entries
            var aligned = 0
            while aligned < xs.count && aligned < ys.count && sameText(xs[aligned].key, ys[aligned].key) { aligned += 1 }
            for entry in xs[aligned...] where y[entry.key] == nil {
                path.append(entry.key)
                ops.append(.remove(JSONPointer(path)))
                path.removeLast()
            }
            for i in 0..<ys.count {
                // Most members are the very same value on both sides (a range of the input, or
                // a level the mutation did not change): pass them before building any path.
                if i < aligned && xs[i].value.isSameStorage(as: ys[i].value) { continue }
                let entry = ys[i]
                path.append(entry.key)
                if i < aligned {
                    diff(xs[i].value, entry.value, &path, &ops)
                } else if let old = x[entry.key] {
                    diff(old, entry.value, &path, &ops)
                } else {
                    ops.append(.add(JSONPointer(path), entry.value))
                }
                path.removeLast()
            }
        case (.array(let x), .array(let y)):
            let common = min(x.count, y.count)
            if x.count != y.count && x[0..<common] != y[0..<common] {
                // Elements changed and moved: one replace says it plainly.
                ops.append(.replace(JSONPointer(path), b))
                return
            }
            for i in 0..<common where !x[i].isSameStorage(as: y[i]) {
                path.append(String(i))
                diff(x[i], y[i], &path, &ops)
                path.removeLast()
            }
            if y.count > x.count {
                for i in x.count..<y.count {
                    path.append(String(i))
                    ops.append(.add(JSONPointer(path), y[i]))
                    path.removeLast()
                }
            } else if x.count > y.count {
                for i in stride(from: x.count - 1, through: y.count, by: -1) {
                    path.append(String(i))
                    ops.append(.remove(JSONPointer(path)))
                    path.removeLast()
                }
            }
        case (let x, let y):
            if x != y { ops.append(.replace(JSONPointer(path), b)) }
        }
    }
}

public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// The two characters of every 12-bit value, first character in the low byte: three input
    /// bytes become four characters with two lookups and one store.
    static let pairs: [UInt16] = (0..<4096).map { UInt16(alphabet[$0 >> 6]) | UInt16(alphabet[$0 & 63]) << 8 }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = ByteWriter(capacity: 0)
        bytes.withUnsafeBufferPointer { encode($0, into: &out) }
        return out.string
    }

    public static func encode(_ b: UnsafeBufferPointer<UInt8>, into out: inout ByteWriter) {
        out.write(upTo: (b.count + 2) / 3 * 4) { o in
            pairs.withUnsafeBufferPointer { p in
                var i = 0, j = 0
                // Six bytes a step while eight can be read: one load, byte-swapped so the
                // first byte is the highest, four lookups, one store of eight characters.
                if let raw = UnsafeRawPointer(b.baseAddress) {
                    while i + 8 <= b.count {
                        let w = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) >> 16
                        let eight = UInt64(p[Int(w >> 36)]) | UInt64(p[Int(w >> 24 & 0xFFF)]) << 16
                            | UInt64(p[Int(w >> 12 & 0xFFF)]) << 32 | UInt64(p[Int(w & 0xFFF)]) << 48
                        UnsafeMutableRawPointer(o + j).storeBytes(of: eight.littleEndian, as: UInt64.self)
                        i += 6
                        j += 8
                    }
                }
                while i + 3 <= b.count {
                    let n = Int(b[i]) << 16 | Int(b[i + 1]) << 8 | Int(b[i + 2])
                    let four = UInt32(p[n >> 12]) | UInt32(p[n & 0xFFF]) << 16
                    UnsafeMutableRawPointer(o + j).storeBytes(of: four.littleEndian, as: UInt32.self)
                    i += 3
                    j += 4
                }
                let rest = b.count - i
                if rest > 0 {
                    let n = Int(b[i]) << 16 | (rest == 2 ? Int(b[i + 1]) << 8 : 0)
                    o[j] = alphabet[n >> 18 & 63]
                    o[j + 1] = alphabet[n >> 12 & 63]
                    o[j + 2] = rest == 2 ? alphabet[n >> 6 & 63] : UInt8(ascii: "=")
                    o[j + 3] = UInt8(ascii: "=")
                    j += 4
                }
                return j
            }
        }
    }
}

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

extension JSONPatch {
    /// Checks that the operations apply to `document` in order, as RFC 6902 applies them: a
    /// `replace` or `remove` names a value that is there, an `add` a parent that is there (an
    /// array index at most the length). A patch that fails this is refused by the apiserver with
    /// the pod, even under failurePolicy Ignore, so every answer is checked before it is sent.
    ///
    /// Nothing is built: each path is looked up in `document`, and what earlier operations did
    /// to the same place (a member added or removed, an array grown or shrunk) is counted in.
    /// An operation beneath a value an earlier one added, replaced or shifted cannot be checked
    /// that way; such a patch (the diff writes none) is checked by applying it.
    public static func check(_ ops: [PatchOperation], against document: JSON) throws {
        guard !ops.isEmpty else { return }  // applies to anything; the document is not even decoded
        // The apiserver refuses a patch it cannot decode, with the pod.
        for op in ops {
            if let bad = op.value?.firstInvalidNumber() {
                throw ApplyError(description: "the value at \(op.path) holds \(excerpt(bad)), which is not a JSON number")
            }
        }
        // Read once: taking a path or a kind out of an operation copies it.
        let paths = ops.map(\.path.tokens)
        let kinds = ops.map(Kind.init)
        var walked: [JSON] = [], walkedPath: [String] = []
        walked.reserveCapacity(8)  // pod paths are short: no regrowth
        walkedPath.reserveCapacity(8)
        walked.append(document.resolved)
        for k in ops.indices {
            let tokens = paths[k], kind = kinds[k]
            guard let last = tokens.last else {
                if kind == .replace { continue }  // replacing the whole document always applies
                throw ApplyError(description: "cannot add or remove the whole document")
            }
            let parentCount = tokens.count - 1
            var memberNow: Bool? = nil  // the member's presence after the earlier operations, if they touched it
            var growth = 0  // elements the earlier operations added to the parent (less those removed)
            for e in 0..<k {
                let other = paths[e]
                if other.count <= parentCount {
                    // At or above the parent, or an element moved beside an ancestor: look by applying.
                    if samePrefix(tokens, other, other.count)
                        || (kinds[e] != .replace && other.last.map(isElement) == true && samePrefix(tokens, other, other.count - 1)) {
                        _ = try apply(ops, to: document)
                        return
                    }
                } else if other.count == tokens.count && samePrefix(tokens, other, parentCount) {
                    let sameMember = sameText(other[parentCount], last)
                    switch kinds[e] {
                    case .add: if sameMember { memberNow = true }; growth += 1
                    case .remove: if sameMember { memberNow = false }; growth -= 1
                    case .replace: if sameMember { memberNow = true }
                    }
                }
            }
            // Ops come grouped by place: the nodes the previous path went through are reused, so
            // a level of the pod is decoded once, not once for each op beneath it.
            var depth = 0
            while depth < parentCount && depth < walkedPath.count && sameText(tokens[depth], walkedPath[depth]) { depth += 1 }
            while walkedPath.count > depth {  // one at a time: the generic removeLast(_:) is not specialized
                walked.removeLast()
                walkedPath.removeLast()
            }
            while depth < parentCount {
                guard let child = member(tokens[depth], of: walked[depth]) else { throw ApplyError(description: "path \(ops[k].path) does not exist") }
                walked.append(child.resolved)
                walkedPath.append(tokens[depth])
                depth += 1
            }
            switch walked[parentCount] {
            case .object(let object):
                if kind == .add { continue }
                guard memberNow ?? (object[last] != nil) else { throw ApplyError(description: "path \(ops[k].path) does not exist") }
            case .array(let array):
                if kind == .add && last == "-" { continue }
                guard let i = index(last), kind == .add ? i <= array.count + growth : i < array.count + growth else {
                    throw ApplyError(description: "index in \(ops[k].path) is out of range")
                }
            default:
                throw ApplyError(description: "parent of \(ops[k].path) is not a container")
            }
        }
    }

    private enum Kind {
        case add, remove, replace
        init(_ op: PatchOperation) {
            switch op {
            case .add: self = .add
            case .remove: self = .remove
            case .replace: self = .replace
            }
        }
    }

    /// Whether the first `count` tokens of `a` and `b` are the same.
    private static func samePrefix(_ a: [String], _ b: [String], _ count: Int) -> Bool {
        var i = 0
        while i < count { if !sameText(a[i], b[i]) { return false }; i += 1 }
        return true
    }

    /// A token an add or remove of an array element ends with: such an op moves the elements after it.
    private static func isElement(_ token: String) -> Bool { token == "-" || index(token) != nil }

    /// An array index as RFC 6901 writes one: digits, no sign, no leading zero.
    static func index(_ token: String) -> Int? {
        guard let first = token.utf8.first, first != UInt8(ascii: "+"), first != UInt8(ascii: "-"),
              token == "0" || first != UInt8(ascii: "0") else { return nil }
        return Int(token)
    }

    static func member(_ token: String, of node: JSON) -> JSON? {
        if let object = node.objectValue { return object[token] }
        if let array = node.arrayValue, let i = index(token), i < array.count { return array[i] }
        return nil
    }
}

extension JSON {
    /// The value `pointer` names (RFC 6901), or nil when there is none.
    public func value(at pointer: JSONPointer) -> JSON? {
        var current = self
        for token in pointer.tokens {
            guard let next = JSONPatch.member(token, of: current) else { return nil }
            current = next
        }
        return current
    }
}
