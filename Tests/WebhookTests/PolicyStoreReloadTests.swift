// A reload that changes nothing is not one: a folder's entries change more often than the policy
// read from it (the kubelet's ..data swap, an editor's temporary file), and each such change once
// counted as a reload and a new generation (seen as a flaky reload count under load).
import Foundation
import Posix
@testable import Webhook
import XCTest

final class PolicyStoreReloadTests: PolicyFolderTestCase {
    func testTheSameBytesUnderNewFileMetadataAreUnchanged() throws {
        let store = try PolicyStore(path: folder.path)
        let file = folder.appendingPathComponent("policy.yaml")
        let bytes = try Data(contentsOf: file)
        // A new file (new inode, new modification time) with the same bytes, and a new entry beside it.
        try FileManager.default.removeItem(at: file)
        Thread.sleep(forTimeInterval: 0.02)
        try bytes.write(to: file)
        try Data().write(to: folder.appendingPathComponent(".editor-swap"))
        XCTAssertEqual(outcome(store.reload()), "unchanged")
        XCTAssertEqual(outcome(store.reload(force: true)), "unchanged")
        XCTAssertEqual(store.current.generation, 1)

        try (String(decoding: bytes, as: UTF8.self) + "\n# edited\n").write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(outcome(store.reload()), "reloaded generation 2")
        XCTAssertEqual(outcome(store.reload()), "unchanged")
    }

    private func outcome(_ result: ReloadResult<PolicyStore.Snapshot>) -> String {
        switch result {
        case .unchanged: "unchanged"
        case .reloaded(let snapshot): "reloaded generation \(snapshot.generation)"
        case .refused(let reason): "refused: \(reason)"
        }
    }
}
