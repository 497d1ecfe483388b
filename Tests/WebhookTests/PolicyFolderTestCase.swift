// A test case with a policy folder of its own (examples/production.yaml as policy.yaml), the
// handler that serves it, and a way to post a request to it without a socket.
import Foundation
import HTTPServer
@testable import Webhook
import Posix
import XCTest

class PolicyFolderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.productionPolicy, to: folder.appendingPathComponent("policy.yaml"))
    }

    override func tearDownWithError() throws { try FileManager.default.removeItem(at: folder) }

    func handler(_ endpoints: WebhookHandler.Endpoints = .all) throws -> WebhookHandler {
        WebhookHandler(policies: try PolicyStore(path: folder.path), metrics: Metrics(), logger: Logger(minimum: .error), endpoints: endpoints)
    }

    func post(_ h: WebhookHandler, _ path: String, _ body: [UInt8], _ contentType: String = "application/json") -> HTTPResponse {
        h.handle(HTTPRequest(method: "POST", path: path, headers: HTTPHeaders([("Content-Type", contentType)]), body: body))
    }
}
