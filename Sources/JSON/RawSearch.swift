// Whether a value not decoded yet could hold a text, from its bytes alone: lets a reader that
// looks for a rare key (a resource name in a pod's containers) skip decoding when it cannot be
// there. A yes is only a maybe; the reader then decodes and looks.
import CScan

extension JSON {
    /// For a raw value: false when the bytes of `text` occur nowhere in it and it has no escape
    /// (an escaped key could spell `text` in other bytes); true otherwise. nil when the value is
    /// decoded already: read it instead.
    public func rawMayContain(_ text: String) -> Bool? { rawMayContain(text, avx2: JSONDocument.useAVX2) }

    /// `avx2`: which of the scanner's two paths (tests run both).
    func rawMayContain(_ text: String, avx2: Bool) -> Bool? {
        guard case .raw(let raw) = self else { return nil }
        var text = text
        return text.withUTF8 { needle in
            raw.document.bytes.withUnsafeBytes { bytes in
                let start = bytes.baseAddress! + Int(raw.start)
                let count = Int(raw.end - raw.start)
                return scan_may_contain(start.assumingMemoryBound(to: UInt8.self), Int64(count), needle.baseAddress!, Int64(needle.count), avx2 ? 1 : 0) != 0
            }
        }
    }
}
