@testable import HTTPServer
import XCTest

final class MediaTypeTests: XCTestCase {
    func request(_ contentType: String?) -> HTTPRequest {
        var headers = HTTPHeaders()
        if let contentType { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: "POST", path: "/", headers: headers)
    }

    func testMatchesInAnyCaseWithOrWithoutParameters() {
        for value in ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8"] {
            XCTAssertTrue(request(value).hasMediaType(["application/json"]), value)
        }
        XCTAssertTrue(request("text/yaml").hasMediaType(["application/json", "text/yaml"]))
    }

    func testRejectsOtherTypesAndPrefixes() {
        for value in [nil, "", "text/plain", "application/jsonx", "application/js", "application/json-patch+json"] {
            XCTAssertFalse(request(value).hasMediaType(["application/json"]), value ?? "none")
        }
    }
}
