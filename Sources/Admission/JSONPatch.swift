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
        diff(original, mutated, JSONPointer(), &ops)
        return ops
    }

    public static func encode(_ ops: [PatchOperation]) -> JSON { .array(ops.map(\.json)) }

    private static func diff(_ a: JSON, _ b: JSON, _ path: JSONPointer, _ ops: inout [PatchOperation]) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for entry in x where y[entry.key] == nil {
                ops.append(.remove(path.appending(entry.key)))
            }
            for entry in y {
                if let old = x[entry.key] {
                    if old != entry.value { diff(old, entry.value, path.appending(entry.key), &ops) }
                } else {
                    ops.append(.add(path.appending(entry.key), entry.value))
                }
            }
        case (.array(let x), .array(let y)):
            let common = min(x.count, y.count)
            if x.count != y.count && x[0..<common] != y[0..<common] {
                // Elements changed and moved: one replace says it plainly.
                ops.append(.replace(path, b))
                return
            }
            for i in 0..<common where x[i] != y[i] { diff(x[i], y[i], path.appending(i), &ops) }
            if y.count > x.count {
                for i in x.count..<y.count { ops.append(.add(path.appending(i), y[i])) }
            } else if x.count > y.count {
                for i in stride(from: x.count - 1, through: y.count, by: -1) { ops.append(.remove(path.appending(i))) }
            }
        default:
            if a != b { ops.append(.replace(path, b)) }
        }
    }
}

public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
