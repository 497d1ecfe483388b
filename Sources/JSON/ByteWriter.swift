// The output buffer of the writers on the admission path (JSON, patch, base64, the review).
// An Array append checks that the buffer is unique and not full, often out of line; here an
// append is one capacity check and a store, and the bytes become an Array once at the end.

public struct ByteWriter: ~Copyable {
    // Inlinable across modules: the review is written from Admission, an append at a time.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @inlinable public var count: Int { storedCount }
    @usableFromInline var storedCount = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes written so far as text (they are UTF-8: every writer here writes only that).
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// The bytes written so far, without a copy.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { grow(1) }
        base[count] = byte
        storedCount &+= 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if capacity &- count < bytes.count { grow(bytes.count) }
        (base + count).initialize(from: source, count: bytes.count)
        storedCount &+= bytes.count
    }

    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// The UTF-8 of a String, copied as a buffer (iterating `utf8` goes a byte at a time).
    public mutating func append(utf8 string: String) {
        var string = string
        string.withUTF8 { append($0) }
    }

    /// Room for `n` more bytes written through the pointer given to `body`, which returns how
    /// many it wrote (at most `n`).
    public mutating func write(upTo n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if capacity &- count < n { grow(n) }
        let written = body(base + count)
        precondition(written >= 0 && written <= n, "wrote past the room asked for")
        storedCount &+= written
    }

    @usableFromInline @inline(never)
    mutating func grow(_ needed: Int) {
        let newCapacity = max(capacity * 2, count + needed)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
