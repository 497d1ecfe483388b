// The answer to an AdmissionReview, in the request's own version: the one writer of the envelope
// for every admission endpoint (a mutation's patch, a validation's refusal, warnings).
import JSON

public struct AdmissionResponse: Sendable {
    /// Why a request is refused, as the apiserver shows it to the client (metav1.Status).
    public struct Refusal: Sendable {
        public var code: Int
        public var reason: String
        public var message: String
        public init(code: Int, reason: String, message: String) {
            self.code = code
            self.reason = reason
            self.message = message
        }
    }

    public var uid: String
    public var patch: [PatchOperation] = []
    public var warnings: [String] = []
    public var auditAnnotations: [(String, String)] = []

    public init(uid: String) { self.uid = uid }

    /// The AdmissionReview to send back, in `apiVersion`: allowed, or refused with `refusal`. The
    /// pod webhook never refuses (at worst it leaves the pod unchanged and warns); the policy check
    /// refuses an invalid policy. A refusal is given here rather than kept in the response, which
    /// a decision copies a few times.
    public func review(apiVersion: String, refusal: Refusal? = nil) -> [UInt8] {
        var out = ByteWriter(capacity: 512 + patch.count * 270)
        out.append("{\"apiVersion\":")
        JSON.writeString(apiVersion, to: &out)
        out.append(",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":")
        JSON.writeString(uid, to: &out)
        if let refusal { Self.write(refusal, to: &out) } else { out.append(",\"allowed\":true") }
        if !patch.isEmpty {
            var text = ByteWriter(capacity: patch.count * 150)
            JSONPatch.write(patch, to: &text)
            out.append(",\"patchType\":\"JSONPatch\",\"patch\":\"")
            text.withBytes { Base64.encode($0, into: &out) }
            out.append(UInt8(ascii: "\""))
        }
        if !auditAnnotations.isEmpty {
            out.append(",\"auditAnnotations\":{")
            for (i, (key, value)) in auditAnnotations.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSON.writeString(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        if !warnings.isEmpty {
            out.append(",\"warnings\":[")
            for (i, warning) in warnings.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(warning, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append("}}")
        return out.bytes
    }

    /// Out of line: the decision's answer never refuses.
    @inline(never)
    private static func write(_ refusal: Refusal, to out: inout ByteWriter) {
        out.append(",\"allowed\":false,\"status\":{\"code\":")
        out.append(utf8: String(refusal.code))
        out.append(",\"reason\":")
        JSON.writeString(refusal.reason, to: &out)
        out.append(",\"message\":")
        JSON.writeString(refusal.message, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}
