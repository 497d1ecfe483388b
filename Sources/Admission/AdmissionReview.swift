// AdmissionReview admission.k8s.io/v1 and v1beta1: what we read of a request, and the response
// in the request's own version.
import JSON

public struct AdmissionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct AdmissionRequest: Sendable {
    public static let versions = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]

    public var apiVersion: String
    public var uid: String
    /// `request.kind`: group, version, kind of the object.
    public var kind: (group: String, version: String, kind: String)
    public var namespace: String?
    public var operation: String?
    public var dryRun: Bool
    /// The object, left raw below its top level: read through `read`, never directly (internal:
    /// other modules cannot reach it; usable from inline only so that `read` costs no call).
    @usableFromInline let object: JSON?
    /// The parsed body, which records a level that was malformed when read.
    @usableFromInline let document: JSONDocument?

    public var isPod: Bool { kind.group == "" && kind.kind == "Pod" }

    /// Reads an AdmissionReview from a request body: what the webhook and the benchmark decide on.
    /// The review and its request stay raw: the few members read are found without building
    /// either level (the request's userInfo, options and the rest are never decoded).
    public init(body: [UInt8]) throws {
        let review: JSON
        do { review = try JSONParser.parseLazily(body, keys: .kubernetes) } catch { throw AdmissionError("body is not JSON: \(error)") }
        try self.init(review: review)
    }

    static let reviewKeys: [StaticString] = ["kind", "apiVersion", "request"]
    static let requestKeys: [StaticString] = ["uid", "kind", "namespace", "operation", "dryRun", "object"]
    static let kindKeys: [StaticString] = ["group", "version", "kind"]

    /// Reads an AdmissionReview; anything that is not one is an error with a plain reason.
    public init(review: JSON) throws {
        guard let top = try Self.members(of: review, Self.reviewKeys) else { throw AdmissionError("body is not a JSON object") }
        let (kind, apiVersion, request) = (top[0], top[1], top[2])
        guard kind?.stringValue == "AdmissionReview" else {
            throw AdmissionError("kind must be AdmissionReview, got \(kind.map { excerpt($0.text) } ?? "nothing")")
        }
        guard let version = apiVersion?.stringValue, Self.versions.contains(version) else {
            throw AdmissionError("apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1")
        }
        guard let request, let fields = try Self.members(of: request, Self.requestKeys) else {
            throw AdmissionError("AdmissionReview has no request")
        }
        guard let uid = fields[0]?.stringValue, !uid.isEmpty else { throw AdmissionError("request.uid is missing") }
        self.apiVersion = version
        self.uid = uid
        let gvk = try fields[1].flatMap { try Self.members(of: $0, Self.kindKeys) }
        self.kind = (gvk?[0]?.stringValue ?? "", gvk?[1]?.stringValue ?? "", gvk?[2]?.stringValue ?? "")
        namespace = fields[2]?.stringValue
        operation = fields[3]?.stringValue
        dryRun = fields[4]?.boolValue ?? false
        object = fields[5]
        document = review.document
    }

    /// Runs `body` on the request's object (nil when there is none), then throws AdmissionError
    /// when a level of the body that it read was not JSON (a key twice, a missing comma): such
    /// input can be read two ways, and we must not pick one. The object is reachable only here,
    /// so a read cannot land after the check: whatever reads the pod (the mutation, the diff, a
    /// log line's pod name) belongs inside `body`.
    @inlinable public func read(_ body: (JSON?) throws -> Void) throws {
        guard let document else { return try body(object) }
        try document.reading({ try body(object) }, malformed: { AdmissionError("body is not JSON: \($0)") })
    }

    /// `read`, for a reader that returns what it read (off the decision's path).
    public func read<T>(_ body: (JSON?) throws -> T) throws -> T {
        var result: T?
        try read { (object: JSON?) -> Void in result = try body(object) }
        return result!
    }

    /// `JSON.members`, its syntax errors said as the body's.
    private static func members(of value: JSON, _ keys: [StaticString]) throws -> [JSON?]? {
        do { return try value.members(keys) } catch { throw AdmissionError("body is not JSON: \(error)") }
    }
}

public struct AdmissionResponse: Sendable {
    public var uid: String
    public var patch: [PatchOperation] = []
    public var warnings: [String] = []
    public var auditAnnotations: [(String, String)] = []

    public init(uid: String) { self.uid = uid }

    /// The AdmissionReview to send back, in `apiVersion`. Always allowed: sparkhook never
    /// refuses a pod; at worst it leaves it unchanged and says why in a warning.
    public func review(apiVersion: String) -> [UInt8] {
        var out = ByteWriter(capacity: 512 + patch.count * 270)
        out.append("{\"apiVersion\":")
        JSON.writeString(apiVersion, to: &out)
        out.append(",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":")
        JSON.writeString(uid, to: &out)
        out.append(",\"allowed\":true")
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
}
