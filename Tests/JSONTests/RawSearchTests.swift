// rawMayContain against a plain search, on both of the scanner's paths: the needle at every
// offset of texts around the 64-byte steps, a backslash anywhere, texts shorter than a step.
@testable import JSON
import XCTest

final class RawSearchTests: XCTestCase {
    /// `text` as the raw string member of a parsed document (quotes included in its bytes).
    func raw(_ text: String) throws -> JSON {
        let value = try JSONParser.parse(Array("{\"a\": [\"\(text)\"]}".utf8))["a"]
        guard case .raw = value else { throw XCTSkip("not raw: \(String(describing: value))") }
        return value!
    }

    func testTheNeedleAtEveryOffsetAndNowhere() throws {
        let needle = "nvidia.com/gpu"
        for avx2 in [false, true] where !avx2 || JSONDocument.useAVX2 {
            for length in [0, 1, 13, 14, 15, 50, 63, 64, 65, 77, 78, 79, 127, 128, 129, 200] {
                let filler = String(repeating: "n", count: length)  // the needle's first byte everywhere
                XCTAssertEqual(try raw(filler).rawMayContain(needle, avx2: avx2), false, "\(length) avx2 \(avx2)")
                for at in 0...length {
                    var text = filler
                    text.insert(contentsOf: needle, at: text.index(text.startIndex, offsetBy: at))
                    XCTAssertEqual(try raw(text).rawMayContain(needle, avx2: avx2), true, "\(length) at \(at) avx2 \(avx2)")
                    var almost = filler
                    almost.insert(contentsOf: "nvidia.com/gpx", at: almost.index(almost.startIndex, offsetBy: at))
                    XCTAssertEqual(try raw(almost).rawMayContain(needle, avx2: avx2), false, "\(length) near \(at) avx2 \(avx2)")
                    var escaped = filler
                    escaped.insert(contentsOf: "\\/", at: escaped.index(escaped.startIndex, offsetBy: at))
                    XCTAssertEqual(try raw(escaped).rawMayContain(needle, avx2: avx2), true, "escape \(length) at \(at) avx2 \(avx2)")
                }
            }
        }
        XCTAssertNil(JSON.string("nvidia.com/gpu").rawMayContain(needle))
    }
}
