// The executor split: every prefix 1..n holds each variant's weighted share within +-1.
@testable import Policy
import XCTest

final class SplitTests: XCTestCase {
    static let weightSets: [[Int]] = [[40, 60], [1, 1], [1, 2, 3], [7, 13, 80], [1], [33, 33, 34], [5, 1], [3, 3, 3, 1], [97, 3], [2, 4]]

    func testEveryPrefixHoldsEachShareWithinOne() {
        for weights in Self.weightSets {
            let schedule = SplitSchedule(weights: weights)
            let total = Double(weights.reduce(0, +))
            var counts = [Int](repeating: 0, count: weights.count)
            for n in 1...1000 {
                counts[schedule.variant(at: n)] += 1
                for (i, w) in weights.enumerated() {
                    let share = Double(n) * Double(w) / total
                    XCTAssertLessThanOrEqual(abs(Double(counts[i]) - share), 1.0 + 1e-9, "weights \(weights), n \(n), variant \(i): \(counts[i]) vs \(share)")
                    XCTAssertTrue(Double(counts[i]) >= share.rounded(.down) - 1e-9 && Double(counts[i]) <= share.rounded(.up) + 1e-9,
                                  "weights \(weights), n \(n): quota violated")
                }
            }
        }
    }

    func testBaseExecutorsGoToTheBaseVariantAndTheRestSplitAboveIt() {
        let split = Split(baseCount: 2, baseVariant: 1, variants: [
            Variant(name: "spot", weight: 40, set: Settings()), Variant(name: "on-demand", weight: 60, set: Settings()),
        ], schedule: SplitSchedule(weights: [40, 60]))
        XCTAssertEqual(split.variant(forExecutorID: 1), 1)
        XCTAssertEqual(split.variant(forExecutorID: 2), 1)
        var spot = 0
        for id in 3...1002 {
            if split.variant(forExecutorID: id) == 0 { spot += 1 }
            let n = id - 2
            XCTAssertLessThanOrEqual(abs(Double(spot) - Double(n) * 0.4), 1.0, "n \(n)")
        }
        XCTAssertEqual(spot, 400)
    }

    func testTheAnswerDependsOnlyOnTheIDAndTheWeights() {
        let a = SplitSchedule(weights: [40, 60]), b = SplitSchedule(weights: [2, 3])
        for id in 1...500 { XCTAssertEqual(a.variant(at: id), b.variant(at: id)) }
        XCTAssertEqual(a.cycle.count, 5)
    }

    func testFallbackIsTheBaseVariantElseTheHeaviest() {
        let variants = [Variant(name: "a", weight: 1, set: Settings()), Variant(name: "b", weight: 3, set: Settings())]
        XCTAssertEqual(Split(baseCount: 0, baseVariant: nil, variants: variants, schedule: SplitSchedule(weights: [1, 3])).fallbackVariant, 1)
        XCTAssertEqual(Split(baseCount: 1, baseVariant: 0, variants: variants, schedule: SplitSchedule(weights: [1, 3])).fallbackVariant, 0)
    }
}
