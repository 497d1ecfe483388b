// How every admission endpoint (/mutate, /validate/policy, /validate/disruptions) reads its request
// and answers it: one checked read of the review, one envelope, one refusal and its count. An
// endpoint only decides, on a review that has passed the checks.
import Admission
import HTTPServer
import JSON

extension WebhookHandler {
    /// What an endpoint decided: the response, a refusal (nil allows), the outcome counted.
    typealias Decided = (response: AdmissionResponse, refusal: AdmissionResponse.Refusal?, outcome: Metrics.Outcome)

    /// Reads `request` as an AdmissionReview, has `decide` answer it, and writes that answer in the
    /// review's version, counted under `endpoint` with the outcome `decide` gives. `decide` reads
    /// the object only through `review.read`, and throws only when the review is not one: a level
    /// it read that is not JSON is the client's fault, answered as a body that is not a review.
    @inline(__always)
    func answer(_ request: HTTPRequest, as endpoint: Metrics.Endpoint, _ decide: (_ review: AdmissionRequest) throws -> Decided) -> HTTPResponse {
        guard request.hasMediaType(Self.jsonTypes) else { return unsupportedMediaType(request, endpoint) }
        let review: AdmissionRequest
        do { review = try AdmissionRequest(body: request.body) } catch { return notAReview(error, endpoint, uid: nil) }
        let decided: Decided
        do { decided = try decide(review) } catch { return notAReview(error, endpoint, uid: review.uid) }
        metrics.request(endpoint, decided.outcome)
        return Self.json(200, decided.response.review(apiVersion: review.apiVersion, refusal: decided.refusal))
    }

    @inline(never)
    func unsupportedMediaType(_ request: HTTPRequest, _ endpoint: Metrics.Endpoint) -> HTTPResponse {
        metrics.request(endpoint, .unsupportedMediaType)
        logger.warning("\(endpoint.label): unsupported Content-Type", ["contentType": bounded(request.headers["Content-Type"] ?? "", max: 200)])
        return .text(415, "Content-Type must be application/json")
    }

    /// A 400, the same from every admission endpoint: the apiserver shows its text to whoever
    /// created the object (under failurePolicy Fail) or logs it.
    @inline(never)
    func notAReview(_ error: any Error, _ endpoint: Metrics.Endpoint, uid: String?) -> HTTPResponse {
        metrics.request(endpoint, .badRequest)
        var fields = [(key: "error", value: bounded("\(error)", max: 200))]
        if let uid { fields.insert((key: "uid", value: bounded(uid, max: 64)), at: 0) }
        logger.log(.warning, "\(endpoint.label): not an AdmissionReview", fields: fields)
        return .text(400, "not an AdmissionReview: \(error)")
    }

    static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
