// POST /preview: the decision /mutate would make on a person's Pod or AdmissionReview, in JSON or
// YAML, with the mutated pod and which rule changed which field.
import HTTPServer
import JSON
import Policy

extension WebhookHandler {
    func preview(_ request: HTTPRequest) -> HTTPResponse {
        let format: InputFormat
        if request.hasMediaType(Self.jsonTypes) {
            format = .json
        } else if request.hasMediaType(Self.yamlTypes) {
            format = .yaml
        } else {
            metrics.request(.preview, .unsupportedMediaType)
            return .text(415, "Content-Type must be application/json or application/yaml")
        }
        // /preview shares the event loops with /mutate: what it reads is bounded so that no
        // preview holds a loop for more than a few milliseconds.
        guard request.body.count <= maxPreviewBytes else {
            metrics.request(.preview, .badRequest)
            return .text(413, "a preview takes at most \(maxPreviewBytes) bytes")
        }
        do {
            let input = try PreviewInput(request.body, format: format, source: "request body")
            let result = try Decision.preview(input, policy: policies.current.policy)
            metrics.request(.preview, .ok)
            return Self.json(200, result.serialized())
        } catch {
            metrics.request(.preview, .badRequest)
            logger.info("preview: bad input", ["error": bounded("\(error)", max: 400)])
            return .text(400, excerpt("\(error)", max: 400))
        }
    }
}
