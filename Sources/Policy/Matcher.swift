// Rule matching compiled for the hot path. Every pod is tested against every rule, so a rule must
// cost a few byte compares: no hashing, no reference counting, no allocation per rule. The label
// and annotation keys the rules name are numbered once per policy; a pod's values for them are
// looked up once per pod, and a rule then reads them by number.
import Glibc

/// Every rule's match, compiled into flat tables of plain values, so that testing a pod against
/// all rules touches no reference count: one pass over the tables per pod.
final class RuleMatcher: Sendable {
    private struct Rule {
        let roleMask: UInt8
        let namespaces: TextTest
        let appNames: TextTest
        let serviceAccounts: TextTest
        let labelTests: Slice
        let annotationTests: Slice
        /// Numbers (MatchKeys) of the resources the rule names, in `resourceNumbers`; any of
        /// them will do. Count 0: the rule does not ask.
        let resources: Slice
    }

    /// A run of `globs` or `tests`.
    private struct Slice {
        let first: Int32
        let count: Int32
        var range: Range<Int> { Int(first)..<Int(first) + Int(count) }
    }

    /// A rule's test of one of the pod's texts (namespace, app name, service account).
    private enum TextTest {
        /// The rule does not ask.
        case any
        /// One of these globs must match.
        case oneOf(Slice)
    }

    private struct GlobTest {
        enum Shape: UInt8 {
            case exact, prefix
            /// Matched by `generals[general]`.
            case general
        }
        let shape: Shape
        let literal: ByteStore.Range
        let general: Int32
    }

    private struct KeyTest {
        enum Op: UInt8 { case equals, `in`, notIn, exists, doesNotExist }
        let key: Int32
        let op: Op
        let values: Slice
    }

    /// The label and annotation keys the rules test: a pod's facts are prepared with them.
    let keys: MatchKeys
    /// How many of the compiled matches are rules' own; the rest are their excludes, the k-th
    /// one of rule `excludeOwners[k]`.
    private let ruleCount: Int
    private let excludeOwners: [Int]
    private let store: ByteStore
    private let rules: PlainArray<Rule>
    private let globs: PlainArray<GlobTest>
    private let generals: [Glob]
    private let tests: PlainArray<KeyTest>
    private let values: PlainArray<ByteStore.Range>
    private let resourceNumbers: PlainArray<Int32>

    /// `excludes[i]`: what rule i skips, if anything.
    convenience init(_ matches: [Match], excludes: [Match?]) {
        let owners = excludes.indices.filter { excludes[$0] != nil }
        self.init(matches + owners.map { excludes[$0]! }, ruleCount: matches.count, excludeOwners: owners)
    }

    init(_ matches: [Match], ruleCount: Int? = nil, excludeOwners: [Int] = []) {
        self.ruleCount = ruleCount ?? matches.count
        self.excludeOwners = excludeOwners
        let keys = MatchKeys(matches)
        var b = Builder()
        rules = PlainArray(matches.map { match in
            Rule(roleMask: match.roles.map { $0.reduce(0) { $0 | $1.bit } } ?? SparkRole.allBits,
                 namespaces: b.add(match.namespaces), appNames: b.add(match.appNames), serviceAccounts: b.add(match.serviceAccounts),
                 labelTests: b.add(match.podLabels, keys.labels), annotationTests: b.add(match.annotations, keys.annotations),
                 resources: b.add(resources: match.resources, keys.resources))
        })
        self.keys = keys
        (store, generals) = (b.store, b.generals)
        (globs, tests, values) = (PlainArray(b.globs), PlainArray(b.tests), PlainArray(b.values))
        resourceNumbers = PlainArray(b.resourceNumbers)
    }

    private struct Builder {
        let store = ByteStore()
        var globs: [GlobTest] = []
        var generals: [Glob] = []
        var tests: [KeyTest] = []
        var values: [ByteStore.Range] = []
        var resourceNumbers: [Int32] = []

        mutating func add(resources names: [String]?, _ numbers: [String: Int]) -> Slice {
            let first = Int32(resourceNumbers.count)
            resourceNumbers += (names ?? []).map { Int32(numbers[$0]!) }
            return Slice(first: first, count: Int32(resourceNumbers.count) - first)
        }

        mutating func add(_ patterns: [Glob]?) -> TextTest {
            guard let patterns else { return .any }
            let first = Int32(globs.count)
            for glob in patterns {
                switch glob.shape {
                case .exact(let literal):
                    globs.append(GlobTest(shape: .exact, literal: literal.withUnsafeBufferPointer(store.add), general: -1))
                case .prefix(let literal):
                    globs.append(GlobTest(shape: .prefix, literal: literal.withUnsafeBufferPointer(store.add), general: -1))
                case .general:
                    globs.append(GlobTest(shape: .general, literal: .absent, general: Int32(generals.count)))
                    generals.append(glob)
                }
            }
            return .oneOf(Slice(first: first, count: Int32(patterns.count)))
        }

        mutating func add(_ selector: LabelSelector?, _ numbers: [String: Int]) -> Slice {
            guard let selector else { return Slice(first: 0, count: 0) }
            let first = Int32(tests.count)
            for (key, value) in selector.matchLabels { test(key, .equals, [value], numbers) }
            for r in selector.matchExpressions {
                switch r.op {
                case .in: test(r.key, .in, r.values, numbers)
                case .notIn: test(r.key, .notIn, r.values, numbers)
                case .exists: test(r.key, .exists, [], numbers)
                case .doesNotExist: test(r.key, .doesNotExist, [], numbers)
                }
            }
            return Slice(first: first, count: Int32(tests.count) - first)
        }

        private mutating func test(_ key: String, _ op: KeyTest.Op, _ texts: [String], _ numbers: [String: Int]) {
            let firstValue = Int32(values.count)
            values += texts.map(store.add)
            tests.append(KeyTest(key: Int32(numbers[key]!), op: op, values: Slice(first: firstValue, count: Int32(texts.count))))
        }
    }

    /// The indices of the rules that match the pod and do not exclude it, in order.
    func matching(_ facts: MatchFacts) -> [Int] {
        let all = matchingEntries(facts)
        guard !excludeOwners.isEmpty, let firstExclude = all.firstIndex(where: { $0 >= ruleCount }) else { return all }
        let excluded = Set(all[firstExclude...].map { excludeOwners[$0 - ruleCount] })
        return all[..<firstExclude].filter { !excluded.contains($0) }
    }

    /// The indices of the compiled matches (rules', then excludes') that the pod meets, in order.
    private func matchingEntries(_ facts: MatchFacts) -> [Int] {
        let namespace = facts.store.bytes(facts.namespace)
        let serviceAccount = facts.store.bytes(facts.serviceAccount)
        var matched: [Int] = []
        for index in 0..<rules.count {
            let rule = rules[index]
            guard rule.roleMask & facts.role != 0,
                  matches(rule.namespaces, namespace),
                  matchesAny(rule.appNames, facts),
                  matches(rule.serviceAccounts, serviceAccount),
                  passes(rule.labelTests, facts, from: facts.labelsStart),
                  passes(rule.annotationTests, facts, from: facts.annotationsStart),
                  rule.resources.count == 0 || rule.resources.range.contains(where: { facts.requests(Int(resourceNumbers[$0])) }) else { continue }
            matched.append(index)
        }
        return matched
    }

    @inline(__always)
    private func matches(_ test: TextTest, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch test {
        case .any: return true
        case .oneOf(let slice): return slice.range.contains { matches(globs[$0], text) }
        }
    }

    /// The app-name test against each of the pod's app names (a pod may carry two labels).
    @inline(__always)
    private func matchesAny(_ test: TextTest, _ facts: MatchFacts) -> Bool {
        if case .any = test { return true }
        return (0..<facts.appNameCount).contains { matches(test, facts.store.bytes(facts.ranges[$0])) }
    }

    @inline(__always)
    private func passes(_ slice: Slice, _ facts: MatchFacts, from start: Int) -> Bool {
        slice.range.allSatisfy { passes(tests[$0], facts.ranges[start + Int(tests[$0].key)], facts.store) }
    }

    @inline(__always)
    private func matches(_ glob: GlobTest, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let literal = store.bytes(glob.literal)
        switch glob.shape {
        case .exact: return literal.count == text.count && memcmp(literal.baseAddress!, text.baseAddress!, text.count) == 0
        case .prefix: return literal.count <= text.count && (literal.isEmpty || memcmp(literal.baseAddress!, text.baseAddress!, literal.count) == 0)
        case .general: return generals[Int(glob.general)].matches(text)
        }
    }

    /// `value`: the pod's value of the test's key (absent if it has none).
    @inline(__always)
    private func passes(_ test: KeyTest, _ value: ByteStore.Range, _ podStore: ByteStore) -> Bool {
        switch test.op {
        case .exists: return !value.isAbsent
        case .doesNotExist: return value.isAbsent
        case .equals, .in: return test.values.range.contains { podStore.same(value, as: store, values[$0]) }
        case .notIn: return !test.values.range.contains { podStore.same(value, as: store, values[$0]) }
        }
    }
}
