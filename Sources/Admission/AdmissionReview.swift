// AdmissionReview admission.k8s.io/v1 and v1beta1: what we read of a request (the answer is
// AdmissionResponse).
import JSON

public struct AdmissionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct AdmissionRequest: Sendable {
    static let versions = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]

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
    /// The request, raw: its document records a level that was malformed when read, and a reader
    /// of the old object finds it here. A reference, as the document was: a decision copies a
    /// review a few times.
    @usableFromInline let request: RawJSON

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
        self.request = try Self.raw(request)
    }

    /// Runs `body` on the request's object (nil when there is none), then throws AdmissionError
    /// when a level of the body that it read was not JSON (a key twice, a missing comma): such
    /// input can be read two ways, and we must not pick one. The object is reachable only here,
    /// so a read cannot land after the check: whatever reads the pod (the mutation, the diff, a
    /// log line's pod name) belongs inside `body`.
    /// Not generic, and nothing comes back: what `body` read goes where it puts it, so that
    /// returning the object (to read it after the check) is not the easy way.
    @inlinable public func read(_ body: (JSON?) throws -> Void) throws {
        try request.document.reading({ try body(object) }, malformed: { AdmissionError("body is not JSON: \($0)") })
    }

    /// `read`, with the object before the change too (`oldObject` of an UPDATE or a DELETE).
    public func read(_ body: (_ object: JSON?, _ oldObject: JSON?) throws -> Void) throws {
        try read { (object: JSON?) -> Void in try body(object, JSON.raw(request)["oldObject"]) }
    }

    /// The request as a body holds it. One decoded already (a review a preview read whole, or
    /// one built in a test) is written out and parsed again, so that a review holds its request
    /// one way; it is valid JSON, so its checked reads find nothing.
    private static func raw(_ request: JSON) throws -> RawJSON {
        if case .raw(let raw) = request { return raw }
        guard case .raw(let raw) = try JSONParser.parseLazily(request.serialized()) else { throw AdmissionError("AdmissionReview has no request") }
        return raw
    }

    /// `JSON.members`, its syntax errors said as the body's.
    private static func members(of value: JSON, _ keys: [StaticString]) throws -> [JSON?]? {
        do { return try value.members(keys) } catch { throw AdmissionError("body is not JSON: \(error)") }
    }
}
