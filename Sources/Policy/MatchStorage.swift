// Containers of plain bytes and values for the matcher's tables: one allocation each, read
// without reference counting or exclusivity checks, because the matcher reads them once per rule.
import Glibc

/// UTF-8 strings copied into one allocation and read as raw bytes.
final class ByteStore: @unchecked Sendable {
    /// Where a string sits in the store; `absent` for a value the pod does not have.
    struct Range {
        var start: Int32
        var count: Int32
        static let absent = Range(start: -1, count: 0)
        var isAbsent: Bool { start < 0 }
    }

    // Written only while the store is filled, before it is shared; read on every rule test,
    // where a dynamic exclusivity check would cost more than the test itself.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var used = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func add(_ text: String) -> Range {
        var text = text
        return text.withUTF8(add)
    }

    func add(_ bytes: UnsafeBufferPointer<UInt8>) -> Range {
        if used + bytes.count > capacity {
            capacity = max(capacity * 2, used + bytes.count)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.initialize(from: base, count: used)
            base.deallocate()
            base = grown
        }
        if let source = bytes.baseAddress { (base + used).initialize(from: source, count: bytes.count) }
        defer { used += bytes.count }
        return Range(start: Int32(used), count: Int32(bytes.count))
    }

    @inline(__always)
    func bytes(_ r: Range) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(r.start), count: Int(r.count))
    }

    /// Both present and byte for byte the same.
    @inline(__always)
    func same(_ r: Range, as other: ByteStore, _ o: Range) -> Bool {
        r.count == o.count && !r.isAbsent && !o.isAbsent
            && memcmp(base + Int(r.start), other.base + Int(o.start), Int(r.count)) == 0
    }
}

/// Plain values in memory of their own, read without reference counting or exclusivity checks:
/// the tables the matcher reads once per rule.
final class PlainArray<Element: BitwiseCopyable>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Element>

    init(_ elements: [Element]) {
        buffer = .allocate(capacity: elements.count)
        _ = buffer.initialize(from: elements)
    }

    /// `count` copies of `value`, to be set in place (while the array is filled, before it is
    /// shared): per pod, without a temporary Swift array to copy from.
    init(repeating value: Element, count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: value)
    }

    deinit { buffer.deallocate() }

    var count: Int { buffer.count }

    @inline(__always)
    subscript(index: Int) -> Element {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }
}
