// An admission decision: read the review, mutate the pod, diff, answer. And the dry-run preview,
// which shows the same decision with the mutated pod and which rule changed which field.
import Admission
import YAML

public struct ReviewOutcome: Sendable {
    public var request: AdmissionRequest
    public var response: AdmissionResponse
    /// nil when the object was passed through untouched without looking at it.
    public var mutation: Mutation?
}

public enum Decision {
    public static let warningPrefix = "sparkhook: "

    /// Decides on a parsed review. Never refuses: non-Pod objects, non-Spark pods and other
    /// operations than CREATE are allowed unchanged. Throws MutationError when it cannot decide;
    /// the caller then allows the pod unchanged.
    public static func decide(_ request: AdmissionRequest, policy: PolicySet) throws -> ReviewOutcome {
        var response = AdmissionResponse(uid: request.uid)
        guard request.isPod, let object = request.object, request.operation == nil || request.operation == "CREATE" else {
            return ReviewOutcome(request: request, response: response, mutation: nil)
        }
        let mutation = try Mutator.mutate(pod: object, namespace: request.namespace, policy: policy)
        response.patch = JSONPatch.diff(from: mutation.original, to: mutation.pod)
        // A patch that fails to apply gets the pod rejected even under failurePolicy: Ignore, so
        // every one is checked against the pod before it is sent. (That the patch turns the pod
        // into exactly the mutated one is the diff's own property, tested on every fixture.)
        do { try JSONPatch.check(response.patch, against: mutation.original) } catch {
            throw MutationError("generated patch would not apply: \(error)")
        }
        response.warnings = mutation.warnings.map { warningPrefix + $0 }
        if !mutation.applied.isEmpty { response.auditAnnotations = [("applied", mutation.appliedSummary)] }
        return ReviewOutcome(request: request, response: response, mutation: mutation)
    }

    /// Decides on a review's bytes; a body that is not an AdmissionReview throws.
    public static func decide(body: [UInt8], policy: PolicySet) throws -> ReviewOutcome {
        try decide(try AdmissionRequest(body: body), policy: policy)
    }

    /// The preview of CONTRACT.md: {"patch", "applied", "pod", "warnings"}.
    public static func preview(pod: JSON, namespace: String?, policy: PolicySet) throws -> JSON {
        let mutation = try Mutator.mutate(pod: pod, namespace: namespace, policy: policy)
        var warnings = mutation.warnings
        if !mutation.isSparkPod { warnings.append("not a Spark pod (no spark-role label of driver, executor or connect-server): passed through untouched") }
        let applied: [JSON] = mutation.applied.map {
            ["rule": .string($0.rule), "variant": $0.variant.map { .string($0) } ?? .null, "fields": .array($0.fields.map { .string($0) })]
        }
        return [
            "patch": JSONPatch.encode(JSONPatch.diff(from: mutation.original, to: mutation.pod)),
            "applied": .array(applied),
            "pod": mutation.pod,
            "warnings": .array(warnings.map { .string($0) }),
        ]
    }

    /// What a preview reads: an AdmissionReview, or a bare Pod, as JSON or YAML.
    public static func previewInput(_ bytes: [UInt8], source: String) throws -> (pod: JSON, namespace: String?) {
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        let document: JSON
        if first == UInt8(ascii: "{") {
            do { document = try JSONParser.parseFully(bytes) } catch { throw AdmissionError("\(source): \(error)") }
        } else {
            let nodes = try YAMLParser(text: String(decoding: bytes, as: UTF8.self), file: source).documents()
            guard nodes.count == 1 else { throw AdmissionError("\(source): expected one YAML document, found \(nodes.count)") }
            document = try nodes[0].json(file: source)
        }
        switch document["kind"]?.stringValue {
        case "AdmissionReview":
            let request = try AdmissionRequest(review: document)
            guard request.isPod, let pod = request.object else {
                throw AdmissionError("\(source): the review's object is not a Pod")
            }
            return (pod, request.namespace)
        case "Pod":
            return (document, document["metadata", "namespace"]?.stringValue)
        default:
            throw AdmissionError("\(source): expected an AdmissionReview or a Pod, got kind \(document["kind"].map { $0.text } ?? "none")")
        }
    }
}
