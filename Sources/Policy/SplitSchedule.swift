// Weighted placement of executors as a pure function of the position: executor k goes to the
// variant whose lower quota falls due soonest among those still under their upper quota
// (earliest-deadline-first apportionment). Every prefix 1..n then holds each variant's share
// n*w/W rounded down or up, so within +-1. The sequence repeats every W positions (W the weight
// sum over their gcd): at n = W each variant holds exactly its weight, so the state is back at
// zero. One cycle is computed at load time; a decision is a table lookup.

public struct SplitSchedule: Sendable {
    public let cycle: [Int]

    /// The largest cycle we build; validation reports weights that would need more.
    public static let maxCycle = 100_000

    public init(weights: [Int]) {
        let g = weights.reduce(0) { Self.gcd($0, $1) }
        let w = weights.map { $0 / max(g, 1) }
        let total = w.reduce(0, +)
        var counts = [Int](repeating: 0, count: w.count)
        var cycle: [Int] = []
        cycle.reserveCapacity(total)
        for k in 1...max(total, 1) {
            var best = -1
            var bestDeadline = Int.max
            for i in w.indices {
                let upper = (k * w[i] + total - 1) / total  // ceil(k*w/W)
                guard counts[i] + 1 <= upper else { continue }
                let deadline = ((counts[i] + 1) * total + w[i] - 1) / w[i]  // first n with floor(n*w/W) > counts
                if deadline < bestDeadline { best = i; bestDeadline = deadline }
            }
            if best < 0 { best = w.indices.max { w[$0] < w[$1] } ?? 0 }
            counts[best] += 1
            cycle.append(best)
        }
        self.cycle = cycle
    }

    /// The variant index for position k (1-based) in the weighted sequence.
    public func variant(at position: Int) -> Int {
        cycle[(position - 1) % cycle.count]
    }

    static func cycleLength(weights: [Int]) -> Int {
        let g = weights.reduce(0) { gcd($0, $1) }
        return g == 0 ? 0 : weights.reduce(0) { $0 + $1 / g }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

extension Split {
    /// The variant for an executor id: the base variant for ids 1...baseCount, then the schedule.
    public func variant(forExecutorID id: Int) -> Int {
        if let base = baseVariant, id <= baseCount { return base }
        return schedule.variant(at: id - baseCount)
    }

    /// Where executors without a usable id go: the base variant (the safe placement, on-demand
    /// in practice) when there is one, else the heaviest variant. Deterministic either way.
    public var fallbackVariant: Int {
        baseVariant ?? variants.indices.max { variants[$0].weight < variants[$1].weight } ?? 0
    }
}
