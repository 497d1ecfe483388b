// Base64 for the patch in an AdmissionReview answer: written without Foundation, two output
// characters per table lookup.

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
