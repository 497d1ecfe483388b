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
            XCTAssertEqual("\(error)", "bad.yaml:1:4: this '[' is not closed: expected ',' or ']' but found the end of the file at 2:1")
        }
        XCTAssertThrowsError(try YAMLParser(text: "a: 1\na: 2\n", file: "d.yaml").documents()[0].json(file: "d.yaml")) { error in
            XCTAssertEqual("\(error)", "d.yaml:2:1: duplicate key a")
        }
    }

    /// libyaml gives up after the mistake, in its grammar's words; the error says what is wrong
    /// where it is.
    func testSyntaxErrorsSayWhatIsWrongWhereItIs() {
        func error(_ text: String) -> String {
            do { _ = try YAMLParser(text: text, file: "p.yaml").documents(); return "no error" } catch { return "\(error)" }
        }
        let tab = "p.yaml:2:1: tab characters are not allowed for indentation in YAML: indent with spaces"
        XCTAssertEqual(error("a:\n\t- 1\n"), tab, "libyaml: found character that cannot start any token")
        XCTAssertEqual(error("a: 1\n\tb: 2\n"), tab, "libyaml: found a tab character that violates indentation")
        XCTAssertEqual(error("a: 1\r\n\tb: 2\r\n"), tab)
        XCTAssertEqual(error("a:\n  \t b: 1\n"), "p.yaml:2:3: tab characters are not allowed for indentation in YAML: indent with spaces")
        XCTAssertEqual(error("a: [1, 2\nb: 3\n"), "p.yaml:1:4: this '[' is not closed: expected ',' or ']' but found ':' at 2:2")
        XCTAssertEqual(error("é: {b: 1\n"), "p.yaml:1:4: this '{' is not closed: expected ',' or '}' but found the end of the file at 2:1")
        XCTAssertEqual(error("spec:\n  rules: [\n\n"), "p.yaml:2:10: the file ends where a value was expected (is a '[' or '{' left open?)")
        XCTAssertEqual(error("a:\n  b: {c: \"x}\n  d: 1\n"), "p.yaml:2:10: this quoted string is not closed: the file ends before its closing quote")
        XCTAssertEqual(error("a: b: c\n"), "p.yaml:1:5: ':' here would start a key inside a value: quote the value if ': ' is part of it, or put the key on a line of its own")
        XCTAssertEqual(error("a:\n  b: 1\n c: 2\n"), "p.yaml:3:2: this line is indented to match no key above it (the mapping that begins at 1:1): the keys of one mapping line up")
        XCTAssertEqual(error("x:\n  - a\n  b: 1\n"), "p.yaml:3:3: this line is indented like an item of the list that begins at 2:3, but is not one (an item begins with '- ')")
        XCTAssertEqual(error("a: |\n b\nd\n"), "p.yaml:3:1: this line is read as a key, but no ':' follows it (is it indented as a key of the mapping above?)")
        // What stands at the mistake is quoted as one character, however long the line.
        XCTAssertEqual(error("a: [1, 2\n" + String(repeating: "x", count: 100_000) + ": 3\n"),
                       "p.yaml:1:4: this '[' is not closed: expected ',' or ']' but found ':' at 2:100001")
        XCTAssertEqual(error("a: &x 1\n%"), "p.yaml:2:2: while scanning a directive: could not find expected directive name", "others keep libyaml's words")
    }
}
