// Whether a resource quantity in a pod (`"1"`, `"500m"`, `"2Gi"`) is above zero, for
// `match.resources`. Read strictly by Kubernetes' grammar and within a bound: a value that is not
// a quantity is nil, never a guess and never a crash (it comes from whoever created the pod).
import JSON

enum Quantity {
    /// Kubernetes' own quantities are a few bytes; anything longer is not worth reading.
    static let maxLength = 64

    /// The value of a `requests` or `limits` entry: a string, or a JSON number (the apiserver
    /// decodes both). nil when it is neither or not a quantity.
    static func isPositive(_ value: JSON) -> Bool? {
        switch value.resolved {
        case .string(let text), .number(let text): return isPositive(text)
        default: return nil
        }
    }

    /// `<sign>?<digits>[.<digits>]<suffix>`, the suffix one of the binary (`Ki`..`Ei`) or decimal
    /// (`n u m k M G T P E`) multipliers, or an exponent `e`/`E` with an optional sign and digits.
    /// Every multiplier is positive, so the sign and the mantissa's digits decide.
    static func isPositive(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            guard !bytes.isEmpty, bytes.count <= maxLength else { return nil }
            var i = 0
            var negative = false
            if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") { negative = bytes[0] == UInt8(ascii: "-"); i = 1 }
            var digits = 0, nonzero = false, point = false
            while i < bytes.count {
                let c = bytes[i]
                if isDigit(c) {
                    digits += 1
                    if c != UInt8(ascii: "0") { nonzero = true }
                } else if c == UInt8(ascii: "."), !point {
                    point = true
                } else { break }
                i += 1
            }
            guard digits > 0, suffixIsValid(bytes, from: i) else { return nil }
            return nonzero && !negative
        }
    }

    private static func suffixIsValid(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        let rest = b.count - start
        if rest == 0 { return true }
        let c = b[start]
        if rest == 1 { return "numkMGTPE".utf8.contains(c) }
        if rest == 2, b[start + 1] == UInt8(ascii: "i") { return "KMGTPE".utf8.contains(c) }
        guard c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { return false }
        var i = start + 1
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count else { return false }
        while i < b.count { guard isDigit(b[i]) else { return false }; i += 1 }
        return true
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
