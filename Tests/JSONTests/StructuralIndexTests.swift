@testable import JSON
import Posix
import XCTest

/// The block-wise structural index against a byte-by-byte reference: same end for every
/// container, same error at the same offset, on random texts that put quotes, backslash runs,
/// brackets and control bytes on both sides of every 64-byte block boundary.
final class StructuralIndexTests: XCTestCase {
    /// (position, end) of every container, or the first error, one byte at a time.
    static func reference(_ b: [UInt8]) -> Result<[(Int, Int)], JSONParseError> {
        var ends: [(Int, Int)] = []
        var stack: [Int] = []
        var i = 0
        while i < b.count {
            switch b[i] {
            case 0x22:
                var j = i + 1
                while true {
                    guard j < b.count else { return .failure(JSONParseError(offset: i, message: "unterminated string")) }
                    if b[j] == 0x22 { break }
                    if b[j] < 0x20 { return .failure(JSONParseError(offset: j, message: "control character in string")) }
                    // An escaped control byte is no more allowed than a bare one.
                    j += b[j] == 0x5C && j + 1 < b.count && b[j + 1] >= 0x20 ? 2 : 1
                }
                i = j + 1
                continue
            case 0x7B, 0x5B:
                guard stack.count < JSONDocument.maxDepth else { return .failure(JSONParseError(offset: i, message: "nesting deeper than 256")) }
                stack.append(i)
            case 0x7D, 0x5D:
                guard let open = stack.popLast() else {
                    return .failure(JSONParseError(offset: i, message: "unbalanced '\(Character(Unicode.Scalar(b[i])))'"))
                }
                guard (b[open] == 0x7B) == (b[i] == 0x7D) else { return .failure(JSONParseError(offset: i, message: "mismatched brackets")) }
                ends.append((open, i + 1))
            case 0x5C:
                // A backslash outside a string is not JSON; the index lets it escape the next byte
                // as inside one (no branch per byte), and the decoder rejects it if it is ever read.
                i += 2
                continue
            default: break
            }
            i += 1
        }
        if let open = stack.last { return .failure(JSONParseError(offset: open, message: "unexpected end of input")) }
        return .success(ends)
    }

    /// Both block classifiers where the CPU has AVX2 (SSE2 is the x86-64 baseline).
    static let classifiers = JSONDocument.useAVX2 ? [false, true] : [false]

    func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        for avx2 in Self.classifiers { check(bytes, avx2: avx2, file: file, line: line) }
    }

    func check(_ bytes: [UInt8], avx2: Bool, file: StaticString, line: UInt) {
        let label = String(decoding: bytes, as: UTF8.self).debugDescription + (avx2 ? " (AVX2)" : " (SSE2)")
        switch (Self.reference(bytes), Result { try JSONDocument(bytes, avx2: avx2) }) {
        case (.success(let expected), .success(let document)):
            for (position, end) in expected where document.end(of: position) != end {
                XCTFail("\(label): end of \(position) is \(document.end(of: position)), expected \(end)", file: file, line: line)
                return
            }
        case (.failure(let expected), .failure(let error as JSONParseError)):
            XCTAssertEqual("\(error)", "\(expected)", label, file: file, line: line)
        case (let expected, let actual):
            XCTFail("\(label): expected \(expected), got \(actual)", file: file, line: line)
        }
    }

    func testBlockIndexAgreesWithAByteByByteScan() {
        // Seeded, so that a failure can be run again: SPARKHOOK_SEED=N repeats run N.
        let seed = ProcessInfo.processInfo.environment["SPARKHOOK_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026
        var rng = SplitMix64(seed: seed)
        let alphabet: [[UInt8]] = [[0x22], [0x5C], [0x5C, 0x5C], [0x5C, 0x22], [0x7B], [0x7D], [0x5B], [0x5D],
                                   Array("ab".utf8), [0x20], [0x01], Array("é".utf8), [0x3A], [0x2C]]
        // Mostly-valid shapes: strings with escapes around the 64-byte boundaries.
        for prefix in 0..<140 {
            for tail in [#"\""#, #"\\"#, #"\\\""#, "x", "{", "]"] {
                check(Array(("[\"" + String(repeating: "a", count: prefix) + tail + "\",{\"k\":[]}]").utf8))
                check(Array(("{\"" + String(repeating: "\\\\", count: prefix / 2) + tail + "\":1}").utf8))
            }
        }
        for _ in 0..<3000 {
            let pieces = Int.random(in: 0..<120, using: &rng)
            var bytes: [UInt8] = []
            for _ in 0..<pieces { bytes += alphabet.randomElement(using: &rng)! }
            check(bytes)
        }
        check(Array(String(repeating: "[", count: 257).utf8))
        check(Array((String(repeating: "[", count: 256) + String(repeating: "]", count: 256)).utf8))
        check([])
    }

    /// Strings find their own end when decoded, eight bytes at a time: every length around the
    /// word size, with an escape at every position, alone, in a container, and at the very end.
    func testStringsAreDecodedWhereverTheirQuotesAndEscapesFall() throws {
        for length in 0..<20 {
            for special in ["\"", "\\", "\n", "é", "😀", "\u{01}"] {
                for position in 0...length {
                    var text = String(repeating: "a", count: length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                    let written = JSON.string(text).text
                    XCTAssertEqual(try JSONParser.parse(written), .string(text), written)
                    XCTAssertEqual(try JSONParser.parse("[" + written + "," + written + "]").arrayValue?[1], .string(text), written)
                    XCTAssertEqual(try JSONParser.parse("{" + written + ":" + written + "}")[text], .string(text), written)
                }
            }
        }
        for bad in [#""\u12""#, #""\"#, #""\q""#, #""\ud800x""#] {
            XCTAssertThrowsError(try JSONParser.parseFully(Array(bad.utf8)), bad)
        }
    }

    func testRealReviewsIndexLikeTheReference() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SPARKHOOK_FIXTURES"]
                      ?? root.appendingPathComponent("Tests/Fixtures").path)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(names.isEmpty)
        for name in names { check(Array(try Data(contentsOf: dir.appendingPathComponent(name)))) }
    }
}
