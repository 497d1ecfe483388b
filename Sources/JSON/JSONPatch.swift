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
