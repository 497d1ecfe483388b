// AdmissionReview admission.k8s.io/v1 and v1beta1: what we read of a request, and the response
// in the request's own version.

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
    public var object: JSON?

    public var isPod: Bool { kind.group == "" && kind.kind == "Pod" }

    /// Reads an AdmissionReview from a request body: what the webhook and the benchmark decide on.
    public init(body: [UInt8]) throws {
        let review: JSON
        do { review = try JSONParser.parse(body) } catch { throw AdmissionError("body is not JSON: \(error)") }
        try self.init(review: review)
    }

    /// Reads an AdmissionReview; anything that is not one is an error with a plain reason.
    public init(review: JSON) throws {
        guard let top = review.objectValue else { throw AdmissionError("body is not a JSON object") }
        guard top["kind"]?.stringValue == "AdmissionReview" else {
            throw AdmissionError("kind must be AdmissionReview, got \(top["kind"].map { $0.text } ?? "nothing")")
        }
        guard let version = top["apiVersion"]?.stringValue, Self.versions.contains(version) else {
            throw AdmissionError("apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1")
        }
        guard let request = top["request"]?.objectValue else { throw AdmissionError("AdmissionReview has no request") }
        guard let uid = request["uid"]?.stringValue, !uid.isEmpty else { throw AdmissionError("request.uid is missing") }
        apiVersion = version
        self.uid = uid
        let kind = request["kind"]?.objectValue  // decoded once, read three times
        self.kind = (kind?["group"]?.stringValue ?? "", kind?["version"]?.stringValue ?? "", kind?["kind"]?.stringValue ?? "")
        namespace = request["namespace"]?.stringValue
        operation = request["operation"]?.stringValue
        dryRun = request["dryRun"]?.boolValue ?? false
        object = request["object"]
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

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements.map { Entry(key: $0.0, value: $0.1) })
    }
}
