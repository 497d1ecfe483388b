// Eight bytes at a time (SWAR), for the scanners of JSON text (the decoder's string ends, the
// writer's escapes). In a little-endian word, flagged bytes get their high bit set by the
// has-zero-byte trick. A flag can be wrong only above a right one (a borrow runs upwards), so
// the lowest flag is always a byte that matches: `firstFlagged` gives its offset.
enum Words {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bits of the bytes of `w` equal to `c` (before masking with `highs`).
    @inline(__always)
    static func equal(_ w: UInt64, _ c: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(c))
        return (x &- ones) & ~x
    }

    /// High bits of the bytes of `w` below `c` (at most 0x80), before masking with `highs`.
    @inline(__always)
    static func below(_ w: UInt64, _ c: UInt8) -> UInt64 { (w &- ones &* UInt64(c)) & ~w }

    /// The offset in the word of the first flagged byte, nil if none.
    @inline(__always)
    static func firstFlagged(_ flags: UInt64) -> Int? {
        let f = flags & highs
        return f == 0 ? nil : f.trailingZeroBitCount >> 3
    }

    /// The first byte of `b` from `start` that `flags` flags in its word (or `b.count`), eight
    /// bytes at a time; the last few bytes one at a time by `matches`, which must say the same of a
    /// byte. Inlined, each caller gets its own loop.
    @inline(__always)
    static func first(in b: UnsafeBufferPointer<UInt8>, from start: Int, flags: (UInt64) -> UInt64, matches: (UInt8) -> Bool) -> Int {
        var i = start
        if let base = UnsafeRawPointer(b.baseAddress) {
            while i + 8 <= b.count {
                if let first = firstFlagged(flags(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))) { return i + first }
                i += 8
            }
        }
        while i < b.count && !matches(b[i]) { i += 1 }
        return i
    }
}

extension Words {
    /// Whether `n` bytes at `a` and `b` are equal, compared in words inline: keys are short, and
    /// a call to memcmp costs more than comparing them. Reads nothing outside the `n` bytes.
    @inline(__always)
    static func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            // The last eight bytes, overlapping the words before when n is not a multiple of 8.
            return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        return true
    }
}
