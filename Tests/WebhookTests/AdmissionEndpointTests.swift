// Every admission endpoint reads its request and refuses what is not a review in one way
// (AdmissionEndpoint): the same 415 and 400, counted under its own endpoint label.
import HTTPServer
@testable import Webhook
import XCTest

final class AdmissionEndpointTests: PolicyFolderTestCase {
    static let endpoints = ["/mutate": "mutate", "/validate/policy": "validate_policy", "/validate/disruptions": "validate_disruptions"]

    static let notReviews = [
        "", "[1,", "{}", #"{"kind":"Pod"}"#,
        #"{"apiVersion":"admission.k8s.io/v1","request":{"uid":"u"}}"#,
        #"{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"u"}}"#,
        #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}"#,
        #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","uid":"v"}}"#,
    ]

    func testEveryEndpointAnswersWhatIsNotAReviewTheSameWay() throws {
        let h = try handler()
        for body in Self.notReviews {
            let answers = Self.endpoints.keys.sorted().map { post(h, $0, Array(body.utf8)) }
            XCTAssertEqual(answers[0].status, 400, body)
            XCTAssertTrue(String(decoding: answers[0].body, as: UTF8.self).hasPrefix("not an AdmissionReview: "), body)
            for other in answers.dropFirst() {
                XCTAssertEqual(other.status, answers[0].status, body)
                XCTAssertEqual(String(decoding: other.body, as: UTF8.self), String(decoding: answers[0].body, as: UTF8.self), body)
                XCTAssertEqual(other.headers["Content-Type"], answers[0].headers["Content-Type"], body)
            }
        }
        let unsupported = Self.endpoints.keys.sorted().map { post(h, $0, Array("{}".utf8), "text/plain") }
        XCTAssertEqual(Set(unsupported.map { "\($0.status) \(String(decoding: $0.body, as: UTF8.self))" }).count, 1)
        XCTAssertEqual(unsupported.first?.status, 415)
        let metrics = h.metrics.render(server: nil)
        for label in Self.endpoints.values {
            XCTAssertTrue(metrics.contains(#"sparkhook_requests_total{endpoint="\#(label)",outcome="bad_request"} \#(Self.notReviews.count)"#), "\(label)\n\(metrics)")
            XCTAssertTrue(metrics.contains(#"sparkhook_requests_total{endpoint="\#(label)",outcome="unsupported_media_type"} 1"#), "\(label)\n\(metrics)")
        }
    }

    func testDisruptionReviewsAreCountedAsRequests() throws {
        let h = try handler()
        let review = #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u-9","operation":"UPDATE","object":{"metadata":{"name":"p"}},"oldObject":{"metadata":{"name":"p"}}}}"#
        let response = post(h, "/validate/disruptions", Array(review.utf8))
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u-9","allowed":true}}"#)
        XCTAssertTrue(h.metrics.render(server: nil).contains(#"sparkhook_requests_total{endpoint="validate_disruptions",outcome="allowed"} 1"#))
    }
}
