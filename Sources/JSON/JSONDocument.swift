import CScan

// The structural pass over JSON text (RFC 8259): one pass, SSE2/AVX2 byte classes (CScan), checks
// strings (terminated, no raw control characters) and bracket balance and records where each
// container ends. A parsed document's bytes and that index are shared by every value still raw.

public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parsed input shared by the raw values that point into it.
public final class JSONDocument: @unchecked Sendable {
    let bytes: [UInt8]
    /// Keys decoded as the shared Strings of this table when they are in it.
    let keys: KnownKeys?
    /// For a `{` or `[` at index i: the index just past its end. Other slots are unused (a string
    /// finds its end when decoded: the structural pass has vouched that it has one).
    private(set) var ends: [Int32]

    /// `avx2` chooses the block classifier: the CPU's widest by default; tests run both.
    init(_ bytes: [UInt8], keys: KnownKeys? = nil, avx2: Bool = useAVX2) throws {
        self.bytes = bytes
        self.keys = keys
        ends = []
        ends = try bytes.withUnsafeBufferPointer { try Self.index($0, avx2: avx2) }
    }

    static let maxDepth = Int(SCAN_MAX_DEPTH)
    /// Whether blocks are classified with AVX2 (decided once, from CPUID), else with SSE2.
    static let useAVX2 = scan_cpu_has_avx2() == 1

    /// One pass in blocks of 64 bytes, without a branch per byte (the way simdjson finds its
    /// structure): CScan classifies each block, drops the brackets inside strings and matches the
    /// rest on a stack; here its first error, if any, becomes a message. Control bytes in strings
    /// are refused even escaped (an escape of one is not JSON either).
    private static func index(_ b: UnsafeBufferPointer<UInt8>, avx2: Bool) throws -> [Int32] {
        let n = b.count
        // Ends are stored as Int32 (half the memory of Int); the HTTP server's body limit is far below.
        guard n < Int(Int32.max) else { throw JSONParseError(offset: 0, message: "document larger than 2 GiB") }
        guard let base = b.baseAddress, n > 0 else { return [0] }
        return try [Int32](unsafeUninitializedCapacity: n) { ends, count in
            count = n
            let result = avx2 ? scan_index_avx2(base, Int64(n), ends.baseAddress!) : scan_index_sse2(base, Int64(n), ends.baseAddress!)
            let at = Int(result.offset)
            switch result.status {
            case scan_ok: return
            case scan_too_deep: throw JSONParseError(offset: at, message: "nesting deeper than \(maxDepth)")
            case scan_unbalanced: throw JSONParseError(offset: at, message: "unbalanced '\(Character(Unicode.Scalar(b[at])))'")
            case scan_mismatched: throw JSONParseError(offset: at, message: "mismatched brackets")
            case scan_control: throw JSONParseError(offset: at, message: "control character in string")
            case scan_unterminated: throw JSONParseError(offset: at, message: "unterminated string")
            default: throw JSONParseError(offset: at, message: "unexpected end of input")
            }
        }
    }

    func end(of index: Int) -> Int { Int(ends[index]) }

    /// The first level that could not be decoded when read (see `RawJSON.materialize`). A
    /// document is read by one request on one thread at a time. Not public: a flag polled after
    /// the reads misses every read added after the poll, so the only way to learn it is `reading`.
    @usableFromInline private(set) var problem: JSONParseError?

    func record(_ error: JSONParseError) { if problem == nil { problem = error } }

    /// Runs `body`, which reads this document's values, then throws `malformed(problem)` when a
    /// level it read was not JSON (a key twice, a missing comma: input that reads two ways). That
    /// problem is also why when `body` throws: a malformed level read as null can make it fail.
    /// Not generic, and the caller's results go where its closure puts them: a generic result
    /// through here cost the decision value-witness copies of the whole outcome.
    @inlinable public func reading(_ body: () throws -> Void, malformed: (JSONParseError) -> any Error) throws {
        do { try body() } catch {
            if let problem { throw malformed(problem) }
            throw error
        }
        if let problem { throw malformed(problem) }
    }
}

/// A container or a plain string in a parsed document, not decoded yet.
public struct RawJSON: Sendable {
    // Not public: a level is read through a checked read (AdmissionRequest.read), not by hand.
    @usableFromInline package let document: JSONDocument
    let start: Int32
    let end: Int32

    var isObject: Bool { document.bytes[Int(start)] == 0x7B }

    /// The same range of the same input: equal without a look at the bytes.
    func isSame(as other: RawJSON) -> Bool { document === other.document && start == other.start }

    func sameBytes(as other: RawJSON) -> Bool {
        if isSame(as: other) { return true }
        guard end - start == other.end - other.start else { return false }
        return document.bytes.withUnsafeBytes { a in
            other.document.bytes.withUnsafeBytes { b in
                Words.sameBytes(a.baseAddress! + Int(start), b.baseAddress! + Int(other.start), Int(end - start))
            }
        }
    }

    /// Decodes this container's top level; its children stay raw. Throws what is wrong with it.
    func decode() throws -> JSON {
        try document.bytes.withUnsafeBufferPointer { b in
            var reader = JSONParser.Reader(bytes: b, document: document, index: Int(start))
            return try reader.value()
        }
    }

    /// `decode` for readers of parsed input: the structural pass already vouched for this range's
    /// strings and brackets, and what can still be wrong (a missing comma, a bad number, a key
    /// twice) reads as null and is recorded in the document, for the decider to refuse the input.
    func materialize() -> JSON {
        do { return try decode() } catch {
            document.record(error as? JSONParseError ?? JSONParseError(offset: Int(start), message: "\(error)"))
            return .null
        }
    }

    /// See `JSON.members`: one pass over this object's top level.
    func members(_ keys: [StaticString]) throws -> [JSON?] {
        // Filled by appends: `Array(repeating:count:)` here runs the standard library's unspecialized
        // allocation, which looks up the array's type at run time.
        var found: [JSON?] = []
        found.reserveCapacity(keys.count)
        for _ in keys { found.append(nil) }
        try document.bytes.withUnsafeBufferPointer { b in
            var reader = JSONParser.Reader(bytes: b, document: document, index: Int(start))
            try reader.members(keys, into: &found)
        }
        return found
    }

    func write(into out: inout ByteWriter) {
        out.append(document.bytes[Int(start)..<Int(end)])
    }

    /// A plain string's content (the bytes between its quotes, ASCII without escapes).
    var plainString: String {
        document.bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[Int(start) + 1..<Int(end) - 1]), as: UTF8.self) }
    }
}
