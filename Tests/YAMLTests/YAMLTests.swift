import JSON
import XCTest
@testable import YAML

final class YAMLTests: XCTestCase {
    func testMarksAreOneBasedLineAndColumn() throws {
        let docs = try YAMLParser(text: "a:\n  b: [1, two]\n", file: "f.yaml").documents()
        guard case .mapping(let pairs, _) = docs[0], case .mapping(let inner, _) = pairs[0].value else { return XCTFail() }
        XCTAssertEqual(inner[0].value.mark, Mark(line: 2, column: 6))
    }

    func testScalarsFollowTheCoreSchema() throws {
        let doc = try YAMLParser(text: "i: 42\nf: 1.5\nb: true\nn: null\ns: '42'\nv: yes\nh: 0x1F\n", file: "f").documents()[0]
        XCTAssertEqual(try doc.json(file: "f"), ["i": 42, "f": .number("1.5"), "b": true, "n": nil, "s": "42", "v": "yes", "h": 31])
    }

    func testSeveralDocumentsAnchorsAndErrors() throws {
        let docs = try YAMLParser(text: "a: &x {k: v}\nb: *x\n---\n---\nc: 1\n", file: "f").documents()
        XCTAssertEqual(docs.count, 2)
        XCTAssertEqual(try docs[0].json(file: "f"), ["a": ["k": "v"], "b": ["k": "v"]])
        XCTAssertThrowsError(try YAMLParser(text: "a: [1\n", file: "bad.yaml").documents()) { error in
            XCTAssertEqual("\(error)", "bad.yaml:2:1: while parsing a flow sequence: did not find expected ',' or ']'")
        }
        XCTAssertThrowsError(try YAMLParser(text: "a: 1\na: 2\n", file: "d.yaml").documents()[0].json(file: "d.yaml")) { error in
            XCTAssertEqual("\(error)", "d.yaml:2:1: duplicate key a")
        }
    }
}
