// What makes a watched file or folder count as changed: the reload of policies and certificates
// rests on it.
import Foundation
@testable import Posix
import XCTest

final class FileFingerprintTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fingerprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: root.appendingPathComponent(name), atomically: false, encoding: .utf8)
    }

    func testAFileChangesWhenItsContentDoes() throws {
        try write("policy.yaml", "a: 1\n")
        let path = root.appendingPathComponent("policy.yaml").path
        let before = FileFingerprint(paths: [path])
        XCTAssertEqual(FileFingerprint(paths: [path]), before)
        XCTAssertEqual(before.entries.count, 1, "a file is not listed as a folder")
        try write("policy.yaml", "a: 22\n")
        XCTAssertNotEqual(FileFingerprint(paths: [path]), before)
    }

    func testAFolderChangesWhenAFileInItDoes() throws {
        try write("one.yaml", "a: 1\n")
        try write("two.yaml", "b: 2\n")
        let before = FileFingerprint(paths: [root.path])
        XCTAssertEqual(before.entries.count, 3, "the folder and each of its files")
        // Rewritten in place: the folder's own entry (inode, size, mtime) stays as it was.
        try write("two.yaml", "b: 33\n")
        XCTAssertNotEqual(FileFingerprint(paths: [root.path]), before)
        let rewritten = FileFingerprint(paths: [root.path])
        try write("three.yaml", "c: 3\n")
        XCTAssertEqual(FileFingerprint(paths: [root.path]).entries.count, 4)
        XCTAssertNotEqual(FileFingerprint(paths: [root.path]), rewritten)
    }

    func testAMissingPathIsSeenAndItsArrivalIsAChange() throws {
        let path = root.appendingPathComponent("later.yaml").path
        let missing = FileFingerprint(paths: [path])
        XCTAssertEqual(missing.entries, [[-1]])
        XCTAssertEqual(FileFingerprint(paths: [path]), missing)
        try write("later.yaml", "a: 1\n")
        XCTAssertNotEqual(FileFingerprint(paths: [path]), missing)
    }
}
