// A request's object is read only inside `read`, which throws when a level read there was not
// JSON: malformed input cannot become a silent null by a read added after the check.
import Admission
import JSON
import XCTest

final class ReadCheckTests: XCTestCase {
    static func review(object: String) -> [UInt8] {
        Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},"object":\#(object)}}"#.utf8)
    }

    func testALevelReadInsideTheReadThatIsNotJSONThrows() throws {
        let request = try AdmissionRequest(body: Self.review(object: #"{"metadata": {"name": "a", "name": "b"}}"#))
        XCTAssertThrowsError(try request.read { _ = $0?["metadata", "name"] }) { error in
            XCTAssertTrue(error is AdmissionError, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("body is not JSON: invalid JSON at byte "), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix(": duplicate key"), "\(error)")
        }
        // The malformed level is why, also when what read it failed on the null it got.
        struct Failed: Error {}
        XCTAssertThrowsError(try request.read { (object: JSON?) -> Void in
            guard object?["metadata", "name"]?.stringValue != nil else { throw Failed() }
        }) { XCTAssertTrue($0 is AdmissionError, "\($0)") }
    }

    func testALevelNotReadIsLeftAlone() throws {
        let request = try AdmissionRequest(body: Self.review(object: #"{"metadata": {"name": "a"}, "data": {"k": 1, "k": 2}}"#))
        var name: JSON?
        try request.read { name = $0?["metadata", "name"] }
        XCTAssertEqual(name, "a")
        // Once a read sees it, the same request refuses: the document remembers.
        XCTAssertThrowsError(try request.read { _ = $0?["data", "k"] })
        XCTAssertThrowsError(try request.read { (_: JSON?) in })
    }
}
