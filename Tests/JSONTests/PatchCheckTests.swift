// The patch check answers as applying would, without applying: on hand-picked cases and on
// thousands of generated operation sequences, its verdict is compared with `apply`'s.
@testable import JSON
import XCTest

final class PatchCheckTests: XCTestCase {
    let document = try! JSONParser.parse(#"{"spec":{"a":1,"list":[{"k":"x"},{"k":"y"}],"map":{"m":"1"},"s":"t"},"meta":{}}"#)

    func ops(_ text: String) throws -> [PatchOperation] {
        try JSONParser.parseFully(Array(text.utf8)).arrayValue!.map { op in
            let path = try JSONPointer(parsing: op["path"]!.stringValue!)
            switch op["op"]!.stringValue! {
            case "add": return .add(path, op["value"]!)
            case "remove": return .remove(path)
            default: return .replace(path, op["value"]!)
            }
        }
    }

    func testValidPatchesPass() throws {
        for text in [
            #"[{"op":"add","path":"/spec/new","value":1},{"op":"replace","path":"/spec/new","value":2}]"#,
            #"[{"op":"add","path":"/spec/list/2","value":{}},{"op":"add","path":"/spec/list/3","value":{}},{"op":"remove","path":"/spec/list/3"}]"#,
            #"[{"op":"add","path":"/spec/list/-","value":{}},{"op":"replace","path":"/spec/list/2","value":1}]"#,
            #"[{"op":"remove","path":"/spec/a"},{"op":"add","path":"/spec/a","value":3},{"op":"replace","path":"/spec/map/m","value":"2"}]"#,
            #"[{"op":"add","path":"/meta/annotations","value":{}},{"op":"add","path":"/meta/annotations/x~1y","value":"v"}]"#,
            #"[{"op":"remove","path":"/spec/list/0"},{"op":"replace","path":"/spec/list/0/k","value":"z"}]"#,
            #"[{"op":"replace","path":"","value":{}}]"#,
        ] {
            XCTAssertNoThrow(try JSONPatch.check(try ops(text), against: document), text)
            XCTAssertNoThrow(try JSONPatch.apply(try ops(text), to: document), text)
        }
    }

    func testPatchesTheApiserverWouldRefuseFail() throws {
        for text in [
            #"[{"op":"replace","path":"/spec/missing","value":1}]"#,
            #"[{"op":"remove","path":"/spec/map/none"}]"#,
            #"[{"op":"add","path":"/spec/nothing/here","value":1}]"#,
            #"[{"op":"add","path":"/spec/list/3","value":1}]"#,
            #"[{"op":"add","path":"/spec/list/01","value":1}]"#,
            #"[{"op":"replace","path":"/spec/list/2","value":1}]"#,
            #"[{"op":"remove","path":"/spec/a"},{"op":"replace","path":"/spec/a","value":1}]"#,
            #"[{"op":"remove","path":"/spec/list/1"},{"op":"remove","path":"/spec/list/1"}]"#,
            #"[{"op":"add","path":"/spec/s/x","value":1}]"#,
            #"[{"op":"add","path":"/meta/annotations","value":{}},{"op":"remove","path":"/meta/annotations/x"}]"#,
            #"[{"op":"remove","path":""}]"#,
        ] {
            XCTAssertThrowsError(try JSONPatch.check(try ops(text), against: document), text)
            XCTAssertThrowsError(try JSONPatch.apply(try ops(text), to: document), text)
        }
    }

    /// Random sequences of up to four operations over paths that exist, used to exist, or never
    /// did, at every depth: the check must agree with applying on every one.
    func testAgreesWithApplyingOnGeneratedPatches() throws {
        let paths = ["", "/spec", "/spec/a", "/spec/b", "/spec/list", "/spec/list/0", "/spec/list/1", "/spec/list/2",
                     "/spec/list/3", "/spec/list/-", "/spec/list/0/k", "/spec/list/1/k", "/spec/list/2/k", "/spec/map",
                     "/spec/map/m", "/spec/map/n", "/spec/s", "/spec/s/x", "/meta", "/meta/x", "/meta/x/y", "/nope/z"]
            .map { try! JSONPointer(parsing: $0) }
        let values: [JSON] = [1, ["k": "v"], [1, 2], "text"]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15  // fixed: a failure reproduces
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        var agreedValid = 0
        for _ in 0..<20_000 {
            let ops: [PatchOperation] = (0...next(4)).map { _ in
                let path = paths[next(paths.count)], value = values[next(values.count)]
                switch next(3) {
                case 0: return .add(path, value)
                case 1: return .remove(path)
                default: return .replace(path, value)
                }
            }
            let applies = (try? JSONPatch.apply(ops, to: document)) != nil
            let passes = (try? JSONPatch.check(ops, against: document)) != nil
            XCTAssertEqual(passes, applies, JSONPatch.encode(ops).text)
            if applies { agreedValid += 1 }
        }
        XCTAssertGreaterThan(agreedValid, 1_000)  // the generator reaches valid patches, not only broken ones
    }
}
