// An admission decision: read the review, mutate the pod, diff, answer. And the dry-run preview,
// which shows the same decision with the mutated pod and which rule changed which field.
import Admission
import JSON
import Policy
import YAML

public struct ReviewOutcome: Sendable {
    public var request: AdmissionRequest
    public var response: AdmissionResponse
    /// nil when the object was passed through untouched without looking at it.
    public var mutation: Mutation?
    /// The pod's metadata.name, for the log line: read with the rest, before the body's check;
    /// nil unless asked for or the decision warns (the line is logged then).
    public var name: String?
}

public enum Decision {
    public static let warningPrefix = "sparkhook: "

    /// Decides on a parsed review. Never refuses: non-Pod objects, non-Spark pods and other
    /// operations than CREATE are allowed unchanged. Throws MutationError when it cannot decide;
    /// the caller then allows the pod unchanged. Throws AdmissionError when a level of the body it
    /// read is not JSON (the client's fault, and the reason whatever else failed). `readName`:
    /// fill `name` of a Spark pod for a log line (a read of its metadata a decision does not need).
    public static func decide(_ request: AdmissionRequest, policy: PolicySet, readName: Bool = false) throws -> ReviewOutcome {
        var response = AdmissionResponse(uid: request.uid)
        // What passes through is not read, whatever the log level: reading its name for a debug
        // line would make the answer depend on the level (a malformed metadata refused only then).
        guard request.isPod, request.operation == nil || request.operation == "CREATE" else {
            return ReviewOutcome(request: request, response: response, mutation: nil)
        }
        // Everything that reads the pod runs inside the read: the diff and the patch check decode
        // the levels the rules changed, the log line reads the name.
        var found: Mutation?
        var name: String?
        try request.read { (object: JSON?) -> Void in
            guard let object else { return }
            let mutation = try Mutator.mutate(pod: object, namespace: request.namespace, policy: policy)
            response.patch = JSONPatch.diff(from: mutation.original, to: mutation.pod)
            // A patch that fails to apply gets the pod rejected even under failurePolicy: Ignore, so
            // every one is checked against the pod before it is sent. (That the patch turns the pod
            // into exactly the mutated one is the diff's own property, tested on every fixture.)
            do { try JSONPatch.check(response.patch, against: mutation.original) } catch {
                throw MutationError("generated patch would not apply: \(error)")
            }
            // From the original as the mutation left it: its metadata level is decoded already.
            if readName || !mutation.warnings.isEmpty { name = mutation.original["metadata", "name"]?.stringValue }
            found = mutation
        }
        guard let mutation = found else { return ReviewOutcome(request: request, response: response, mutation: nil) }
        response.warnings = mutation.warnings.map { warningPrefix + $0 }
        if !mutation.applied.isEmpty { response.auditAnnotations = [("applied", mutation.appliedSummary)] }
        if !mutation.unchanged.isEmpty { response.auditAnnotations.append(("matched-unchanged", mutation.unchangedSummary)) }
        return ReviewOutcome(request: request, response: response, mutation: mutation, name: name)
    }

    /// Decides on a review's bytes; a body that is not an AdmissionReview throws.
    public static func decide(body: [UInt8], policy: PolicySet) throws -> ReviewOutcome {
        try decide(try AdmissionRequest(body: body), policy: policy)
    }

    /// The preview (README, "Preview before you deploy") as JSON: see PreviewOutcome.
    public static func preview(_ input: PreviewInput, policy: PolicySet) throws -> JSON {
        try PreviewOutcome(input, policy: policy).json
    }

    /// Limits on what a preview reads as YAML (the JSON reader has its own depth bound).
    public static let previewYAMLLimits = YAMLLimits.default
}

/// How a preview's input is written. The endpoint goes by the request's Content-Type; the command
/// line by the file's name, else by its first byte.
public enum InputFormat: Sendable {
    case json, yaml

    public static func guess(path: String, bytes: [UInt8]) -> InputFormat {
        if path.hasSuffix(".json") { return .json }
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { return .yaml }
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        return first == UInt8(ascii: "{") ? .json : .yaml
    }
}

/// What a preview reads: an AdmissionReview, or a bare Pod, as JSON or YAML.
public struct PreviewInput: Sendable {
    /// The object as it came (the review's object, or the document itself).
    public var object: JSON
    /// The pod to decide on; nil when the review's object is not a Pod, which /mutate lets
    /// through untouched (the notes say why).
    public var pod: JSON?
    public var namespace: String?
    public var notes: [String] = []

    /// One JSON or YAML document, read as a preview reads its input (bounded, every level checked).
    public static func document(_ bytes: [UInt8], format: InputFormat, source: String) throws -> JSON {
        switch format {
        case .json:
            do { return try JSONParser.parseFully(bytes, keys: .kubernetes) } catch { throw AdmissionError("\(source): \(error)") }
        case .yaml:
            let nodes = try YAMLParser(text: String(decoding: bytes, as: UTF8.self), file: source, limits: Decision.previewYAMLLimits).documents()
            guard nodes.count == 1 else { throw AdmissionError("\(source): expected one YAML document, found \(nodes.count)") }
            return try nodes[0].json(file: source)
        }
    }

    public init(_ bytes: [UInt8], format: InputFormat, source: String) throws {
        let document = try Self.document(bytes, format: format, source: source)
        switch document["kind"]?.stringValue {
        case "AdmissionReview":
            let request = try AdmissionRequest(review: document)
            // Kept past the check: the document was read fully already, so the check has nothing left to find.
            var reviewed: JSON?
            try request.read { reviewed = $0 }
            object = reviewed ?? .null
            namespace = request.namespace
            if request.isPod, let pod = reviewed {
                self.pod = pod
            } else {
                let kind = [request.kind.group, request.kind.version, request.kind.kind].filter { !$0.isEmpty }.joined(separator: "/")
                notes = ["the review's object is not a Pod (\(excerpt(kind.isEmpty ? "no kind" : kind))): /mutate allows it unchanged, with no patch"]
            }
        case "Pod":
            object = document
            pod = document
            namespace = document["metadata", "namespace"]?.stringValue
        default:
            let kind = document["kind"].map { excerpt($0.text) } ?? "none"
            throw AdmissionError("\(source): expected an AdmissionReview or a Pod, got kind \(kind)")
        }
    }
}
