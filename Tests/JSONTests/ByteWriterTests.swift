@testable import JSON
import XCTest

final class ByteWriterTests: XCTestCase {
    /// Every kind of append, across many regrowths from the smallest buffer, gives the bytes an
    /// Array given the same appends holds.
    func testAppendsAcrossRegrowthMatchAnArray() {
        var writer = ByteWriter(capacity: 0)
        var expected: [UInt8] = []
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        for step in 0..<3000 {
            let length = next() % 150
            let chunk = (0..<length).map { UInt8(truncatingIfNeeded: step &+ $0) }
            switch step % 5 {
            case 0: writer.append(UInt8(truncatingIfNeeded: step)); expected.append(UInt8(truncatingIfNeeded: step))
            case 1: chunk.withUnsafeBufferPointer { writer.append($0) }; expected += chunk
            case 2: let half = chunk[(chunk.count / 2)...]; writer.append(half); expected += half
            case 3: writer.append(utf8: "ключ-\(step)"); expected += Array("ключ-\(step)".utf8)
            default:
                writer.write(upTo: length) { p in
                    for i in 0..<length / 2 { p[i] = chunk[i] }
                    return length / 2
                }
                expected += chunk[0..<length / 2]
            }
            XCTAssertEqual(writer.count, expected.count)
        }
        XCTAssertEqual(writer.bytes, expected)
        writer.withBytes { XCTAssertEqual(Array($0), expected) }
    }
}
