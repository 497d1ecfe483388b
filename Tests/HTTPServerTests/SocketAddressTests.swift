@testable import HTTPServer
import XCTest

final class SocketAddressTests: XCTestCase {
    func testParsesIPv4AndIPv6ListenAddresses() throws {
        XCTAssertEqual(try SocketAddress(parsing: "127.0.0.1:8443").description, "127.0.0.1:8443")
        XCTAssertEqual(try SocketAddress(parsing: "[::1]:8443").description, "[::1]:8443")
        XCTAssertEqual(try SocketAddress(parsing: ":9000").description, "0.0.0.0:9000")
        XCTAssertEqual(try SocketAddress(parsing: "[::]:0").port, 0)
    }

    func testRejectsWhatIsNotAnAddress() {
        for text in ["localhost:8443", "127.0.0.1", "127.0.0.1:99999", "[::1", "[::1]8443", "1.2.3:80"] {
            XCTAssertThrowsError(try SocketAddress(parsing: text), text)
        }
    }
}
