// The answer to an AdmissionReview, in the request's own version: the one writer of the envelope
// for every admission endpoint (a mutation's patch, a validation's refusal, warnings).
import JSON

public struct AdmissionResponse: Sendable {
    /// Why a request is refused, as the apiserver shows it to the client (metav1.Status).
    public struct Status: Sendable {
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
    /// The pod webhook never refuses (at worst it leaves the pod unchanged and warns); the
    /// policy check refuses an invalid policy, with a `status` saying why.
    public var allowed = true
    public var status: Status?
    public var patch: [PatchOperation] = []
    public var warnings: [String] = []
    public var auditAnnotations: [(String, String)] = []

    public init(uid: String) { self.uid = uid }

    /// The AdmissionReview to send back, in `apiVersion`.
    public func review(apiVersion: String) -> [UInt8] {
        var out = ByteWriter(capacity: 512 + patch.count * 270)
        out.append("{\"apiVersion\":")
        JSON.writeString(apiVersion, to: &out)
        out.append(",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":")
        JSON.writeString(uid, to: &out)
        out.append(allowed ? ",\"allowed\":true" : ",\"allowed\":false")
        if let status { Self.write(status, to: &out) }
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

    /// Out of line: only a refusal has a status, and the decision's answer never does.
    @inline(never)
    private static func write(_ status: Status, to out: inout ByteWriter) {
        out.append(",\"status\":{\"code\":")
        out.append(utf8: String(status.code))
        out.append(",\"reason\":")
        JSON.writeString(status.reason, to: &out)
        out.append(",\"message\":")
        JSON.writeString(status.message, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}
