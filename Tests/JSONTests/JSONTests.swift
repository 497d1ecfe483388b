@testable import JSON
import XCTest

final class JSONTests: XCTestCase {
    func testRoundTripKeepsKeyOrderAndNumberText() throws {
        let text = #"{"b":1,"a":[true,false,null,-0.5e3,"x\"\\\/\n\u00e9\ud83d\ude00"],"c":{}}"#
        let value = try JSONParser.parse(text)
        XCTAssertEqual(value.text, text)  // untouched subtrees are copied as they came
        let decoded = try JSONParser.parseFully(Array(text.utf8))
        XCTAssertEqual(decoded.text, #"{"b":1,"a":[true,false,null,-0.5e3,"x\"\\/\né😀"],"c":{}}"#)
        XCTAssertEqual(decoded, value)  // lazy and decoded values compare equal
        XCTAssertEqual(try JSONParser.parse(decoded.text), value)
    }

    func testLazyValuesDecodeOnReadAndCompareByContent() throws {
        let a = try JSONParser.parse(#"{"spec":{"containers":[{"name":"x","env":[{"name":"A"}]}]}}"#)
        let b = try JSONParser.parse(#"{"spec": {"containers": [{"name": "x", "env": [{"name": "A"}]}]}}"#)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a["spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue?.first?["name"], "A")
        XCTAssertNotEqual(a, try JSONParser.parse(#"{"spec":{"containers":[{"name":"y"}]}}"#))
        XCTAssertThrowsError(try JSONParser.parseFully(Array(#"{"a":{"b" 1}}"#.utf8)))
    }

    /// Plain strings (ASCII, no escapes) stay ranges of the input until read; the rest are decoded
    /// at once. Either way a string reads, writes and compares as its decoded self: checked for
    /// lengths on both sides of the eight-byte scan, with an escape, a non-ASCII byte or a byte
    /// after the closing quote at every position.
    func testPlainStringsStayRawUntilReadAndActAsTheirDecodedSelves() throws {
        func member(_ content: [UInt8], after: [UInt8] = []) throws -> (JSON, [UInt8]) {
            let text = Array(#"{"k":""#.utf8) + content + Array("\"".utf8) + after + Array("}".utf8)
            let value = try JSONParser.parse(text)
            return (try XCTUnwrap(value.objectValue?["k"]), text)
        }
        for length in 0...20 {
            let plain = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            let content = String(decoding: plain, as: UTF8.self)
            // A non-ASCII byte right after the closing quote (in a key) shares its word.
            let (value, text) = try member(plain, after: Array(#","é":1"#.utf8))
            guard case .rawString = value else { return XCTFail("\(content) was decoded at once") }
            XCTAssertEqual(value.stringValue, content)
            XCTAssertEqual(value, .string(content))
            XCTAssertEqual(JSON.string(content), value)
            XCTAssertEqual(value.resolved, .string(content))
            XCTAssertNotEqual(value, .string(content + "x"))
            XCTAssertEqual(try JSONParser.parse(text).text, String(decoding: text, as: UTF8.self))
            XCTAssertEqual(try member(plain).0, value)  // the same string elsewhere in other input
            for at in 0..<length {
                for (special, decoded) in [(Array(#"\""#.utf8), "\""), (Array("\\n".utf8), "\n"), (Array("é".utf8), "é"), ([0xFF], "\u{FFFD}")] {
                    var bytes = plain
                    bytes.replaceSubrange(at..<at + 1, with: special)
                    let expected = String(decoding: plain[..<at], as: UTF8.self) + decoded + String(decoding: plain[(at + 1)...], as: UTF8.self)
                    let (value, _) = try member(bytes)
                    guard case .string(let s) = value else { return XCTFail("\(expected) was left raw") }
                    XCTAssertEqual(s, expected)
                    XCTAssertEqual(value, .string(expected))
                    XCTAssertNotEqual(value, .string(content))
                }
            }
        }
    }

    func testMembersOfARawObjectAreThoseOfItsDecodedSelf() throws {
        let text = #"{ "skip": {"uid": "inner"}, "str": "a\"b\\", "n": -1.5e2, "t": true, "uid": "u-1", "\u0061rr": [1, {"x": 2}], "esc": "\u00e9", "none": null }"#
        let keys: [StaticString] = ["uid", "arr", "str", "missing", "esc", "n", "none", "t"]
        let raw = try JSONParser.parseLazily(Array(text.utf8))
        guard case .raw = raw else { return XCTFail("the top level should stay raw") }
        let found = try XCTUnwrap(try raw.members(keys))
        // A key spelled with escapes is found by its text, and values read past (an object
        // holding a wanted key, strings with escaped quotes) are skipped whole.
        XCTAssertEqual(found[0], "u-1")
        XCTAssertEqual(found[1], [1, ["x": 2]])
        XCTAssertEqual(found[2]?.stringValue, "a\"b\\")
        XCTAssertNil(found[3])
        XCTAssertEqual(found[4]?.stringValue, "é")
        XCTAssertEqual(found[5], .number("-1.5e2"))
        XCTAssertEqual(found[6], .null)
        XCTAssertEqual(found[7], true)
        // The same from the decoded object.
        let decoded = try XCTUnwrap(try JSONParser.parse(text).members(keys))
        XCTAssertEqual(found.map { $0?.text }, decoded.map { $0?.text })
        // A wanted member twice (here spelled once with an escape) could be read two ways: Go's
        // reader keeps the last. Refused; a repeated member nobody reads is left alone.
        let twice = try JSONParser.parseLazily(Array(#"{"uid": "u-1", "x": 1, "x": 2, "ui\u0064": "later"}"#.utf8))
        XCTAssertThrowsError(try twice.members(["uid"])) { XCTAssertEqual("\($0)", "invalid JSON at byte 31: duplicate key") }
        XCTAssertEqual(try twice.members(["missing"])?.first, .some(nil))
        XCTAssertNil(try JSON.array([]).members(keys))
        XCTAssertNil(try JSONParser.parseLazily(Array("[1]".utf8)).members(keys))
        // A syntax error in the level read is thrown, wherever it sits.
        for bad in [#"{"uid": "u" "x": 1}"#, #"{"x": 1, "uid": tru}"#, #"{"x": [1] "uid": 2}"#, #"{"uid": 1,}"#, #"{"uid" 1}"#] {
            XCTAssertThrowsError(try JSONParser.parseLazily(Array(bad.utf8)).members(keys), bad)
        }
    }

    func testRejectsInvalidJSON() {
        for text in ["{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "\"\u{01}\"", "tru", "{} x", "\"\\ud800\""] {
            XCTAssertThrowsError(try JSONParser.parse(text), text)
        }
    }

    func testPointerEscaping() throws {
        XCTAssertEqual(JSONPointer(["metadata", "labels", "karpenter.sh/capacity-type", "a~b"]).description,
                       "/metadata/labels/karpenter.sh~1capacity-type/a~0b")
        XCTAssertEqual(try JSONPointer(parsing: "/a~1b/c~0d").tokens, ["a/b", "c~d"])
        for (token, escaped) in [("", ""), ("plain", "plain"), ("a/b~c", "a~1b~0c"), ("~/", "~0~1"), ("/x/", "~1x~1"), ("ключ/é", "ключ~1é")] {
            XCTAssertEqual(JSONPointer.escape(token), escaped)
        }
    }

    func testDiffAddsMissingParentsWholeAndReplacesOnlyWhatExists() {
        let a: JSON = ["spec": ["priority": 0, "tolerations": [["key": "a"]]]]
        let b: JSON = ["spec": ["tolerations": [["key": "a"], ["key": "b"]], "nodeSelector": ["x/y": "1"]],
                       "metadata": ["annotations": ["k": "v"]]]
        XCTAssertEqual(JSONPatch.encode(JSONPatch.diff(from: a, to: b)).text,
                       #"[{"op":"remove","path":"/spec/priority"},{"op":"add","path":"/spec/tolerations/1","value":{"key":"b"}},{"op":"add","path":"/spec/nodeSelector","value":{"x/y":"1"}},{"op":"add","path":"/metadata","value":{"annotations":{"k":"v"}}}]"#)
        XCTAssertEqual(JSONPatch.diff(from: a, to: a), [])
    }

    func testDiffOfLazyAgainstDecodedFindsOnlyRealChangesAtTheirDepth() throws {
        let text = #"{"b":{"x":[1,{"y":"z","w":[true,null]}],"v":"s"},"a":[{"k":"1"},{"k":"2"}],"c":{"d":{}}}"#
        let lazy = try JSONParser.parse(text)
        // The same value decoded all the way, and with its keys in another order: no change.
        XCTAssertEqual(JSONPatch.diff(from: lazy, to: try JSONParser.parseFully(Array(text.utf8))), [])
        let reordered = try JSONParser.parse(#"{"c":{"d":{}},"a":[{"k":"1"},{"k":"2"}],"b":{"v":"s","x":[1,{"w":[true,null],"y":"z"}]}}"#)
        XCTAssertEqual(JSONPatch.diff(from: lazy, to: reordered), [])
        // Changes three levels down inside arrays, beside untouched raw siblings.
        let target = try JSONParser.parse(#"{"b":{"x":[1,{"y":"q","w":[true,null,2]}],"v":"s"},"a":[{"k":"1"},{"k":"2","n":1}],"c":{"d":{}}}"#)
        let patch = JSONPatch.diff(from: lazy, to: target)
        XCTAssertEqual(JSONPatch.encode(patch).text,
                       #"[{"op":"replace","path":"/b/x/1/y","value":"q"},{"op":"add","path":"/b/x/1/w/2","value":2},{"op":"add","path":"/a/1/n","value":1}]"#)
        XCTAssertEqual(try JSONPatch.apply(patch, to: lazy), target)
        XCTAssertEqual(lazy.text, text)  // applying changed a copy, in place, not the original
    }

    func testStringsAndPatchPathsAreEscapedWhereverTheSpecialBytesSit() throws {
        for text in ["", "plain", "\"", "\\", "\u{01}", "a\"b", "\"a\\", "tab\there\n", "é\u{1F}😀\"", "x\u{7F}y"] {
            let written = JSON.string(text).text
            XCTAssertEqual(try JSONParser.parseFully(Array(written.utf8)), .string(text), written)
        }
        XCTAssertEqual(JSON.string("a\"\u{01}\\b").text, #""a\"\u0001\\b""#)
        var out = ByteWriter(capacity: 0)
        JSONPatch.write([.add(JSONPointer(["n", "a/b~c\"d", "\u{02}"]), "v")], to: &out)
        XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), #"[{"op":"add","path":"/n/a~1b~0c\"d/\u0002","value":"v"}]"#)
    }

    /// Strings are scanned eight bytes at a time: every byte that needs an escape, at every
    /// position of a word and across word boundaries, beside bytes that must pass (0x7F, UTF-8
    /// bytes 0x80 and over, a byte just above the controls), against a byte-by-byte reference.
    func testEscapesMatchAByteByByteReferenceAtEveryPosition() {
        func reference(_ bytes: [UInt8], pointer: Bool, json: Bool = true) -> [UInt8] {
            var out: [UInt8] = []
            for c in bytes {
                switch c {
                case UInt8(ascii: "~") where pointer: out += Array("~0".utf8)
                case UInt8(ascii: "/") where pointer: out += Array("~1".utf8)
                case _ where !json: out.append(c)  // a pointer as plain text: nothing else escaped
                case UInt8(ascii: "\""): out += Array("\\\"".utf8)
                case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
                case 0x0A: out += Array("\\n".utf8)
                case 0x0D: out += Array("\\r".utf8)
                case 0x09: out += Array("\\t".utf8)
                case 0..<0x20: out += Array(String(format: "\\u%04x", c).utf8)
                default: out.append(c)
                }
            }
            return out
        }
        let filler: [UInt8] = [0x61, 0x20, 0x7F, 0xC3, 0xA9, 0x21, 0x7D, 0x7E - 1, 0x30]
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C, 0x7E, 0x2F]
        for special in specials {
            for length in [1, 7, 8, 9, 17, 24] {
                for position in 0..<length {
                    var bytes = (0..<length).map { filler[$0 % filler.count] }
                    bytes[position] = special
                    if position + 3 < length { bytes[position + 3] = special }  // a second one in the same word
                    for pointer in [false, true] {
                        var out = ByteWriter(capacity: 0)
                        bytes.withUnsafeBufferPointer { JSON.appendEscaped($0, pointerToken: pointer, to: &out) }
                        XCTAssertEqual(out.bytes, reference(bytes, pointer: pointer), "\(special) at \(position) of \(length), pointer \(pointer)")
                    }
                    var plain = ByteWriter(capacity: 0)
                    bytes.withUnsafeBufferPointer { JSONPointer.appendEscaped($0, to: &plain) }
                    XCTAssertEqual(plain.bytes, reference(bytes, pointer: true, json: false), "\(special) at \(position) of \(length), plain pointer")
                }
            }
        }
    }

    func testBase64() {
        let sample = Array((0..<256).map { UInt8($0) }.reversed())
        var decoded: [UInt8] = []
        for n in 0..<20 {
            // Every length mod 3, checked against the RFC 4648 alphabet by decoding it back.
            let encoded = Array(Base64.encode(Array(sample[0..<n * 7])).utf8)
            XCTAssertEqual(encoded.count, (n * 7 + 2) / 3 * 4)
            decoded = []
            var bits = 0, value = 0
            for c in encoded where c != UInt8(ascii: "=") {
                value = value << 6 | Int(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8).firstIndex(of: c)!)
                bits += 6
                if bits >= 8 { bits -= 8; decoded.append(UInt8(value >> bits & 0xFF)) }
            }
            XCTAssertEqual(decoded, Array(sample[0..<n * 7]))
        }
        XCTAssertEqual(Base64.encode(Array("".utf8)), "")
        XCTAssertEqual(Base64.encode(Array("f".utf8)), "Zg==")
        XCTAssertEqual(Base64.encode(Array("fo".utf8)), "Zm8=")
        XCTAssertEqual(Base64.encode(Array("foobar".utf8)), "Zm9vYmFy")
    }

    /// A log field is bounded but not escaped: the logger escapes it, once.
    func testBoundedCutsWithoutEscaping() {
        XCTAssertEqual(bounded("a\nb\t\"c\"", max: 64), "a\nb\t\"c\"")
        XCTAssertEqual(bounded("ééé", max: 5), "éé... (6 bytes)")
        XCTAssertEqual(bounded(String(repeating: "x", count: 10_000), max: 3), "xxx... (10000 bytes)")
    }
}
