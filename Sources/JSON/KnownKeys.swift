/// Object keys a reader expects, each made into a String once: decoding one of them is then a
/// table lookup instead of building a String (and, past 15 bytes, allocating and later freeing
/// one). The caller names them (see JSONParser's `keys:`): the parser knows no document's keys.
public final class KnownKeys: @unchecked Sendable {
    private static let slotBits = 10
    private static let mask = (1 << slotBits) - 1
    private let keys: [String]
    private let bytes: [UInt8]
    private let offsets: [Int]
    /// Open addressing: index into `keys`, or -1.
    private let slots: [Int16]
    let maxLength: Int

    public let names: [String]

    public init(_ names: [String]) {
        self.names = names
        precondition(Set(names).count == names.count, "a key listed twice")
        precondition(names.count < (1 << Self.slotBits) / 2, "table too full")
        keys = names
        var bytes: [UInt8] = [], offsets: [Int] = []
        for key in names {
            offsets.append(bytes.count)
            bytes += key.utf8
        }
        offsets.append(bytes.count)
        self.bytes = bytes
        self.offsets = offsets
        maxLength = names.map(\.utf8.count).max() ?? 0
        var slots = [Int16](repeating: -1, count: 1 << Self.slotBits)
        for (i, key) in names.enumerated() {
            var slot = key.utf8.withContiguousStorageIfAvailable { Self.hash($0.baseAddress!, $0.count) }!
            while slots[slot] >= 0 { slot = (slot + 1) & Self.mask }
            slots[slot] = Int16(i)
        }
        self.slots = slots
    }

    /// Length and the first, middle and last bytes: enough to spread these keys, cheap to compute.
    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h = UInt32(truncatingIfNeeded: n) &* 0x9E37_79B1
        h ^= UInt32(p[0]) &* 0x85EB_CA77
        h ^= UInt32(p[n &- 1]) &* 0xC2B2_AE3D
        h ^= UInt32(p[n >> 1]) &* 0x27D4_EB2F
        h ^= h >> 15
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The known key spelled by these bytes, or nil.
    public func lookup(_ p: UnsafePointer<UInt8>, count n: Int) -> String? {
        guard n > 0 && n <= maxLength else { return nil }
        var slot = Self.hash(p, n)
        return bytes.withUnsafeBufferPointer { stored in
            while true {
                let k = Int(slots[slot])
                if k < 0 { return nil }
                let start = offsets[k]
                if offsets[k + 1] - start == n && Words.sameBytes(p, stored.baseAddress! + start, n) { return keys[k] }
                slot = (slot + 1) & Self.mask
            }
        }
    }
}
