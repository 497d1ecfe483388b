// The review read and the answer written in the request's own version.
import Admission
import JSON
import XCTest

final class AdmissionReviewTests: XCTestCase {
    func testReviewResponseEchoesUIDInTheRequestVersion() throws {
        let review = try JSONParser.parse(#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"object":{}}}"#)
        let request = try AdmissionRequest(review: review)
        var response = AdmissionResponse(uid: request.uid)
        response.patch = [.add(JSONPointer(["a"]), 1)]
        let out = try JSONParser.parse(response.review(apiVersion: request.apiVersion))
        XCTAssertEqual(out["apiVersion"], "admission.k8s.io/v1beta1")
        XCTAssertEqual(out["response", "uid"], "u-1")
        XCTAssertEqual(out["response", "allowed"], true)
        XCTAssertEqual(out["response", "patch"], .string(Base64.encode(Array(#"[{"op":"add","path":"/a","value":1}]"#.utf8))))
        XCTAssertThrowsError(try AdmissionRequest(review: ["kind": "Pod"]))
    }

    /// A refusal as the policy check writes it: the bytes its own writer (a JSON object
    /// serialized) sent before the one envelope writer took over, escapes and key order included.
    func testARefusalIsWrittenWithItsStatus() {
        var response = AdmissionResponse(uid: #"u-"1"#)
        response.warnings = [#"w "1""#, "w2"]
        let refusal = AdmissionResponse.Refusal(code: 422, reason: "Invalid", message: "line \"one\"\nline\ttwo é \u{1}")
        XCTAssertEqual(String(decoding: response.review(apiVersion: "admission.k8s.io/v1beta1", refusal: refusal), as: UTF8.self),
                       #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u-\"1","allowed":false,"status":{"code":422,"reason":"Invalid","message":"line \"one\"\nline\ttwo é \u0001"},"warnings":["w \"1\"","w2"]}}"#)
        var allowed = AdmissionResponse(uid: "u")
        allowed.warnings = ["x"]
        XCTAssertEqual(String(decoding: allowed.review(apiVersion: "admission.k8s.io/v1"), as: UTF8.self),
                       #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true,"warnings":["x"]}}"#)
    }
}
