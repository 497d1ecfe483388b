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
}
