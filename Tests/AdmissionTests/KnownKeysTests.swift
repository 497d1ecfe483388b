import Admission
import JSON
import XCTest

final class KnownKeysTests: XCTestCase {
    func lookup(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { KnownKeys.kubernetes.lookup($0.baseAddress!, count: $0.count) }
    }

    func testEveryKnownKeyIsFoundAndNearMissesAreNot() {
        for name in KnownKeys.kubernetes.names {
            XCTAssertEqual(lookup(name), name)
            for variant in [name + "x", "x" + name, String(name.dropLast()), String(name.dropFirst()), name.uppercased()]
            where !KnownKeys.kubernetes.names.contains(variant) {
                XCTAssertNil(lookup(variant), variant)
            }
            // The same length with one byte changed, at each end and in the middle.
            var bytes = Array(name.utf8)
            for i in Set([0, bytes.count / 2, bytes.count - 1]) {
                bytes[i] ^= 0x01
                let changed = String(decoding: bytes, as: UTF8.self)
                if !KnownKeys.kubernetes.names.contains(changed) { XCTAssertNil(lookup(changed), changed) }
                bytes[i] ^= 0x01
            }
        }
        XCTAssertNil(lookup(String(repeating: "k", count: 200)))
    }

    func testKeysDecodeTheSameWhetherKnownOrNot() throws {
        let text = #"{"sp\u0065c":1,"speck":3,"nodeSelector":{"kubernetes.io/os":"linux","kubernetes.io/oss":"x"}}"#
        let object = try XCTUnwrap(JSONParser.parseFully(Array(text.utf8), keys: .kubernetes).objectValue)
        XCTAssertEqual(object.keys, ["spec", "speck", "nodeSelector"])
        // Spelled plainly (a known key) and with an escape, it is the same key: twice in an object.
        XCTAssertThrowsError(try JSONParser.parseFully(Array(#"{"spec":1,"sp\u0065c":2}"#.utf8))) {
            XCTAssertEqual("\($0)", "invalid JSON at byte 10: duplicate key")
        }
        XCTAssertEqual(object["nodeSelector"]?.objectValue?.keys, ["kubernetes.io/os", "kubernetes.io/oss"])
    }
}
