// Required node affinity narrowing as a property: for generated creator and rule terms, the
// mutated pod's terms match exactly the nodes both sides match (checked against an evaluator of
// Kubernetes' rules written here, over every label assignment of the keys involved), keep no term
// that implies another, and a second pass changes nothing.
import Admission
import JSON
import Posix
@testable import Policy
import XCTest

extension AffinityTests {
    var conflict: String { "rule r: kept the pod's required node affinity: ANDed with the rule's, no node could match (override: false)" }

    func requirement(_ key: String, _ op: String, _ values: [String] = []) -> JSON {
        values.isEmpty ? ["key": .string(key), "operator": .string(op)]
            : ["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]
    }

    func testTwoCreatorTermsAndTwoRuleTermsGiveFourAndThenNoPatch() throws {
        let creator = [term(requirement("zone", "In", ["a"])), term(requirement("zone", "In", ["b"]))]
        let ruleTerms = [term(requirement("pool", "In", ["spark"])), term(requirement("pool", "In", ["batch"]))]
        let policy = try rule(ruleTerms)
        let once = mutate(try pod(creator), policy)
        XCTAssertEqual(required(once)?.arrayValue?.count, 4)
        let twice = mutate(once.pod, policy)
        XCTAssertEqual(JSONPatch.diff(from: once.pod, to: twice.pod), [], "a second pass gave a patch")
        XCTAssertEqual(twice.applied.first?.fields, [String]())
    }

    func testImpliedRequirementsAndTermsAddNothing() throws {
        let cases: [(pod: [JSON], rule: [JSON], expected: [JSON], what: String)] = [
            ([term(requirement("zone", "In", ["a"]))], [term(requirement("zone", "Exists"))],
             [term(requirement("zone", "In", ["a"]))], "In implies Exists"),
            ([term(requirement("zone", "In", ["a"]))], [term(requirement("zone", "In", ["b", "a"]))],
             [term(requirement("zone", "In", ["a"]))], "In a subset implies In"),
            ([term(requirement("gpu", "Gt", ["4"]))], [term(requirement("gpu", "Gt", ["2"]))],
             [term(requirement("gpu", "Gt", ["4"]))], "Gt 4 implies Gt 2"),
            ([], [term(requirement("zone", "In", ["a"])), term(requirement("zone", "In", ["a"]), requirement("pool", "Exists"))],
             [term(requirement("zone", "In", ["a"]))], "a rule term that implies another adds nothing"),
        ]
        for c in cases {
            let m = mutate(try pod(c.pod), try rule(c.rule))
            XCTAssertEqual(required(m), .array(c.expected), c.what)
        }
    }

    func testTermsNoNodeMeetsAreConflicts() throws {
        let cases: [(pod: [JSON], rule: [JSON], what: String)] = [
            ([["matchExpressions": []]], [term(requirement("zone", "In", ["a"]))], "an empty term matches no node: it must not gain the rule's"),
            ([term(requirement("gpu", "Gt", ["5"]))], [term(requirement("gpu", "Lt", ["6"]))], "no integer between 5 and 6"),
            ([term(requirement("gpu", "In", ["x"]))], [term(requirement("gpu", "Gt", ["1"]))], "x is not an integer"),
        ]
        for c in cases {
            let m = mutate(try pod(c.pod), try rule(c.rule))
            XCTAssertEqual(m.warnings, [conflict], c.what)
            XCTAssertEqual(required(m), .array(c.pod), c.what)
        }
    }

    // MARK: the property

    struct SplitMix {
        var random: SplitMix64
        init(state: UInt64) { random = SplitMix64(seed: state) }
        mutating func next(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    static var labelKeys: [String] { ["zone", "pool"] }
    static var labelValues: [String] { ["1", "3", "x"] }
    static var names: [String] { ["n1", "n2"] }
    func generatedRequirement(_ g: inout SplitMix) -> (field: Bool, json: JSON) {
        if g.next(6) == 0 {
            return (true, requirement("metadata.name", g.pick(["In", "NotIn"]), [g.pick(Self.names)]))
        }
        let key = g.pick(Self.labelKeys)
        switch g.pick(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]) {
        case "In": return (false, requirement(key, "In", Array(Set((0...g.next(2)).map { _ in g.pick(Self.labelValues) })).sorted()))
        case "NotIn": return (false, requirement(key, "NotIn", Array(Set((0...g.next(2)).map { _ in g.pick(Self.labelValues) })).sorted()))
        case "Gt": return (false, requirement(key, "Gt", [g.pick(["1", "3"])]))
        case "Lt": return (false, requirement(key, "Lt", [g.pick(["1", "3"])]))
        case let op: return (false, requirement(key, op))
        }
    }

    func generatedTerm(_ g: inout SplitMix) -> JSON {
        var expressions: [JSON] = [], fields: [JSON] = []
        for _ in 0...g.next(3) {
            let r = generatedRequirement(&g)
            if r.field { fields.append(r.json) } else { expressions.append(r.json) }
        }
        var term = JSONObject()
        if !expressions.isEmpty { term["matchExpressions"] = .array(expressions) }
        if !fields.isEmpty { term["matchFields"] = .array(fields) }
        return .object(term)
    }

    /// A node as Kubernetes' required node affinity sees it: labels, and its name as a field.
    typealias Node = (labels: [String: String], name: String)

    /// Every label assignment over the keys: absent, a value the terms use, the integers next to
    /// Gt/Lt bounds, or one other value; and every name the terms use, or another.
    static var nodes: [Node] {
        let perKey: [String?] = [nil] + labelValues + ["0", "2", "4", "other"]
        var out: [Node] = []
        for zone in perKey { for pool in perKey { for name in names + ["n-other"] {
            var labels: [String: String] = [:]
            labels["zone"] = zone
            labels["pool"] = pool
            out.append((labels, name))
        } } }
        return out
    }

    /// Kubernetes' rules, written out independently of the code under test.
    static func matches(_ term: JSON, _ node: Node) -> Bool {
        let expressions = term["matchExpressions"]?.arrayValue ?? [], fields = term["matchFields"]?.arrayValue ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        func holds(_ r: JSON, _ value: String?) -> Bool {
            let values = (r["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch r["operator"]?.stringValue {
            case "In": return value.map(values.contains) ?? false
            case "NotIn": return value.map { !values.contains($0) } ?? true
            case "Exists": return value != nil
            case "DoesNotExist": return value == nil
            case "Gt": return value.flatMap { Int64($0) }.map { $0 > Int64(values[0])! } ?? false
            case "Lt": return value.flatMap { Int64($0) }.map { $0 < Int64(values[0])! } ?? false
            default: return false
            }
        }
        return expressions.allSatisfy { holds($0, node.labels[$0["key"]!.stringValue!]) }
            && fields.allSatisfy { holds($0, node.name) }
    }

    static func matchesAny(_ terms: [JSON], _ node: Node) -> Bool { terms.contains { matches($0, node) } }

    func requirementSet(_ term: JSON) -> [JSON] { (term["matchExpressions"]?.arrayValue ?? []) + (term["matchFields"]?.arrayValue ?? []) }

    func testNarrowingMatchesExactlyBothSidesAndIsIdempotent() throws {
        var g = SplitMix(state: 27)
        var conflicts = 0, narrowed = 0
        for n in 0..<300 {
            let creator = (0..<g.next(4)).map { _ in g.next(12) == 0 ? JSON.object(["matchExpressions": []]) : generatedTerm(&g) }
            let ruleTerms = (0...g.next(2)).map { _ in generatedTerm(&g) }
            let what = "case \(n): creator \(JSON.array(creator).text) rule \(JSON.array(ruleTerms).text)"
            let policy = try rule(ruleTerms)
            let once = mutate(try pod(creator), policy)
            let result = required(once)?.arrayValue ?? []
            if once.warnings == [conflict] {
                conflicts += 1
                XCTAssertEqual(result, creator, what)
                for node in Self.nodes where Self.matchesAny(creator, node) && Self.matchesAny(ruleTerms, node) {
                    XCTFail("\(what): called a conflict, but \(node) matches both"); break
                }
            } else {
                narrowed += 1
                XCTAssertEqual(once.warnings, [String](), what)
                for node in Self.nodes {
                    let expected = (creator.isEmpty || Self.matchesAny(creator, node)) && Self.matchesAny(ruleTerms, node)
                    if Self.matchesAny(result, node) != expected {
                        XCTFail("\(what): result \(JSON.array(result).text) on \(node): \(!expected)"); break
                    }
                }
                for (i, a) in result.enumerated() {
                    for (j, b) in result.enumerated() where i != j {
                        let inA = requirementSet(a)
                        XCTAssertFalse(requirementSet(b).allSatisfy(inA.contains), "\(what): term \(i) includes all of term \(j)")
                    }
                }
            }
            let twice = mutate(once.pod, policy)
            XCTAssertEqual(JSONPatch.diff(from: once.pod, to: twice.pod), [], "\(what): a second pass gave a patch")
        }
        // The generator covers both outcomes often enough for the property to say something.
        XCTAssertGreaterThan(conflicts, 20)
        XCTAssertGreaterThan(narrowed, 100)
    }
}
