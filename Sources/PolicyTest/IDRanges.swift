// Executor ids as a person reads them: "1-3, 5, 7-9"; for a terminal, the first few ranges only
// (a 40/60 split of 100,000 executors alternates, and would list tens of thousands).

enum IDRanges {
    /// Increasing ids as ranges: `[1, 2, 3, 5]` is "1-3, 5".
    static func text(_ ids: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < ids.count {
            var j = i
            while j + 1 < ids.count, ids[j + 1] == ids[j] + 1 { j += 1 }
            parts.append(i == j ? "\(ids[i])" : "\(ids[i])-\(ids[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    /// Ranges shown before the rest is counted.
    static let shown = 8

    /// `text`'s ranges, the first `shown` of them and how many more.
    static func short(_ text: String) -> String {
        let parts = text.split(separator: ",", omittingEmptySubsequences: true)
        guard parts.count > shown else { return text }
        return parts.prefix(shown).joined(separator: ",") + ", ... (\(parts.count - shown) more ranges)"
    }
}
