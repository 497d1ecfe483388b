// The check every answer's patch passes before it is sent: it applies to the pod, in order.

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
