// Rule matching compiled for the hot path. Every pod is tested against every rule, so a rule must
// cost a few byte compares: no hashing, no reference counting, no allocation per rule. The label
// and annotation keys the rules name are numbered once per policy; a pod's values for them are
// looked up once per pod, and a rule then reads them by number.
import Admission
import Glibc
import JSON

/// UTF-8 strings copied into one allocation and read as raw bytes.
final class ByteStore: @unchecked Sendable {
    /// Where a string sits in the store; `absent` for a value the pod does not have.
    struct Range {
        var start: Int32
        var count: Int32
        static let absent = Range(start: -1, count: 0)
        var isAbsent: Bool { start < 0 }
    }

    // Written only while the store is filled, before it is shared; read on every rule test,
    // where a dynamic exclusivity check would cost more than the test itself.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var used = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func add(_ text: String) -> Range {
        var text = text
        return text.withUTF8(add)
    }

    func add(_ bytes: UnsafeBufferPointer<UInt8>) -> Range {
        if used + bytes.count > capacity {
            capacity = max(capacity * 2, used + bytes.count)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.initialize(from: base, count: used)
            base.deallocate()
            base = grown
        }
        if let source = bytes.baseAddress { (base + used).initialize(from: source, count: bytes.count) }
        defer { used += bytes.count }
        return Range(start: Int32(used), count: Int32(bytes.count))
    }

    @inline(__always)
    func bytes(_ r: Range) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(r.start), count: Int(r.count))
    }

    /// Both present and byte for byte the same.
    @inline(__always)
    func same(_ r: Range, as other: ByteStore, _ o: Range) -> Bool {
        r.count == o.count && !r.isAbsent && !o.isAbsent
            && memcmp(base + Int(r.start), other.base + Int(o.start), Int(r.count)) == 0
    }
}

/// Plain values in memory of their own, read without reference counting or exclusivity checks:
/// the tables the matcher reads once per rule.
final class PlainArray<Element: BitwiseCopyable>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Element>

    init(_ elements: [Element]) {
        buffer = .allocate(capacity: elements.count)
        _ = buffer.initialize(from: elements)
    }

    /// `count` copies of `value`, to be set in place (while the array is filled, before it is
    /// shared): per pod, without a temporary Swift array to copy from.
    init(repeating value: Element, count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: value)
    }

    deinit { buffer.deallocate() }

    var count: Int { buffer.count }

    @inline(__always)
    subscript(index: Int) -> Element {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }
}

/// The label and annotation keys and the resource names the policy's rules test, numbered.
final class MatchKeys: Sendable {
    let labels: [String: Int]
    let annotations: [String: Int]
    let resources: [String: Int]
    /// The same names in number order: what a pod's bytes are searched for.
    let resourceNames: [String]

    init(_ matches: [Match]) {
        func number(_ selectors: [LabelSelector?]) -> [String: Int] {
            var keys: [String: Int] = [:]
            for selector in selectors.compactMap({ $0 }) {
                for key in selector.matchLabels.map(\.key) + selector.matchExpressions.map(\.key) where keys[key] == nil {
                    keys[key] = keys.count
                }
            }
            return keys
        }
        labels = number(matches.map(\.podLabels))
        annotations = number(matches.map(\.annotations))
        var resources: [String: Int] = [:]
        for name in matches.flatMap({ $0.resources ?? [] }) where resources[name] == nil { resources[name] = resources.count }
        self.resources = resources
        resourceNames = resources.sorted { $0.value < $1.value }.map(\.key)
    }
}

/// What rules match on, prepared once per pod.
final class MatchFacts {
    let role: UInt8
    let store = ByteStore()
    let namespace: ByteStore.Range
    let serviceAccount: ByteStore.Range
    /// One table, in three parts: the app names, then the label values by key number (MatchKeys),
    /// then the annotation values by key number; absent where the pod has no such label or
    /// annotation. One allocation per pod instead of one per part.
    let ranges: PlainArray<ByteStore.Range>
    let appNameCount: Int
    var labelsStart: Int { appNameCount }
    let annotationsStart: Int
    /// The containers' list as it came (raw, for a look at its bytes before anything is decoded);
    /// nil when no rule names resources.
    private let containerList: JSON?
    private let keys: MatchKeys
    /// Which of the numbered resources Spark's container asks for, read when a rule first asks
    /// (most pods never reach a rule's resource test); empty when none (no allocation for the
    /// usual answer), nil until asked.
    private var requested: [Bool]?

    init(role: SparkRole, namespace: String, appNames: [String], serviceAccount: String,
         labels: JSONObject?, annotations: JSON?, containerList: JSON? = nil, keys: MatchKeys) {
        self.role = role.bit
        self.namespace = store.add(namespace)
        self.serviceAccount = store.add(serviceAccount)
        appNameCount = appNames.count
        annotationsStart = appNames.count + keys.labels.count
        ranges = PlainArray(repeating: ByteStore.Range.absent, count: annotationsStart + keys.annotations.count)
        for (i, name) in appNames.enumerated() { ranges[i] = store.add(name) }
        Self.fill(ranges, from: appNameCount, labels, keys.labels, store)
        Self.fill(ranges, from: annotationsStart, annotations?.objectValue, keys.annotations, store)
        self.containerList = containerList
        self.keys = keys
    }

    /// Whether Spark's container requests or limits resource `number` (MatchKeys) above zero.
    func requests(_ number: Int) -> Bool {
        if let requested { return number < requested.count && requested[number] }
        // Most pods name none of the resources anywhere in their containers: a look at the bytes
        // (about a thousand instructions) instead of reading the containers (over ten thousand).
        if let list = containerList, !keys.resourceNames.contains(where: { list.rawMayContain($0) ?? true }) {
            requested = []
            return false
        }
        let found = Self.requested(in: containerList?.arrayValue ?? [], keys.resources)
        requested = found
        return found[number]
    }

    /// Spark's container as probes find it; a quantity that is not one counts as not asked for.
    /// Each container is read for the four members that decide, in one pass over its top level
    /// that builds none of the others (a container read whole cost ten times the rest of the test).
    private static func requested(in containers: [JSON], _ names: [String: Int]) -> [Bool] {
        var found = [Bool](repeating: false, count: names.count)
        let read = containers.map { (try? $0.members(["name", "args", "env", "resources"])) ?? nil }
        let chosen = read.map { m -> JSON in
            guard let m else { return .null }
            return .object(JSONObject([.init(key: "name", value: m[0] ?? .null), .init(key: "args", value: m[1] ?? .null), .init(key: "env", value: m[2] ?? .null)]))
        }
        guard let index = SparkPod.mainContainer(in: chosen, named: nil), let parts = (try? read[index]?[3]?.members(["requests", "limits"])) ?? nil else { return found }
        for part in parts {
            for entry in part?.objectValue ?? JSONObject() {
                if let number = names[entry.key], Quantity.isPositive(entry.value) == true { found[number] = true }
            }
        }
        return found
    }

    /// The values of the numbered keys, at `start` on; `object` is decoded only when a rule
    /// tests one of its keys.
    private static func fill(_ ranges: PlainArray<ByteStore.Range>, from start: Int, _ object: @autoclosure () -> JSONObject?,
                             _ keys: [String: Int], _ store: ByteStore) {
        guard !keys.isEmpty, let object = object() else { return }
        for entry in object {
            if let number = keys[entry.key], let value = entry.value.stringValue, ranges[start + number].isAbsent {
                ranges[start + number] = store.add(value)
            }
        }
    }
}

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
