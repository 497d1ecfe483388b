import Glibc
@testable import HTTPServer
import XCTest

final class SocketTests: XCTestCase {
    /// The listener sets TCP_NODELAY once; every accepted socket must have it (Linux copies it).
    func testAcceptedSocketsHaveNoDelay() throws {
        for text in ["127.0.0.1:0", "[::1]:0"] {
            let listener = try Socket.listen(on: SocketAddress(parsing: text))
            let address = try listener.localAddress()
            let client = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
            defer { _ = close(client) }
            XCTAssertEqual(address.withSockaddr { connect(client, $0, $1) }, 0, text)
            var accepted: Socket?
            for _ in 0..<100 where accepted == nil {
                accepted = try listener.accept()
                if accepted == nil { usleep(10_000) }
            }
            let server = try XCTUnwrap(accepted, text)
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            XCTAssertEqual(getsockopt(server.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length), 0)
            XCTAssertEqual(value, 1, "TCP_NODELAY on a socket accepted from \(text)")
        }
    }
}
