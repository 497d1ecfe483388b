// Affinity merge rules on a table of pod × rule terms, written out by hand: required node
// affinity only narrows (the rule's terms ANDed into the pod's), conflicts follow override, the
// other terms are added once, and a mutated pod passed again is left as it is.
import Admission
import JSON
@testable import Policy
import XCTest

final class AffinityTests: XCTestCase {
    func zone(_ op: String, _ values: [String] = []) -> JSON {
        values.isEmpty ? ["key": "zone", "operator": .string(op)] : ["key": "zone", "operator": .string(op), "values": .array(values.map { .string($0) })]
    }
    func pool(_ value: String) -> JSON { ["key": "pool", "operator": "In", "values": [.string(value)]] }
    func term(_ requirements: JSON...) -> JSON { ["matchExpressions": .array(requirements)] }

    /// The driver fixture with these required node terms (none: no affinity at all).
    func pod(_ terms: [JSON]) throws -> JSON {
        var pod = try Fixtures.pod("driver-operator.json")
        if !terms.isEmpty {
            pod.set(["spec", "affinity"], ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": .array(terms)]]])
        }
        return pod
    }

    func rule(_ terms: [JSON], override: Bool = false) throws -> PolicySet {
        let text = String(decoding: JSON.array(terms).serialized(), as: UTF8.self)
        return try policy("    - {name: r, override: \(override), set: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: \(text)}}}}}\n")
    }

    func mutate(_ pod: JSON, _ set: PolicySet) -> Mutation {
        do { return try Mutator.mutate(pod: pod, namespace: "spark-jobs", policy: set) } catch {
            XCTFail("\(error)")
            return .untouched(pod, isSparkPod: false)
        }
    }

    func required(_ m: Mutation) -> JSON? {
        m.pod["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
    }

    func testRequiredNodeTermsAreANDedIn() throws {
        let cases: [(pod: [JSON], rule: [JSON], expected: [JSON], what: String)] = [
            ([], [term(zone("In", ["a"]))], [term(zone("In", ["a"]))], "a pod without terms takes the rule's"),
            ([term(zone("In", ["a", "b"]))], [term(pool("spark"))], [term(zone("In", ["a", "b"]), pool("spark"))], "one term each: both requirements"),
            ([term(zone("In", ["a"])), term(zone("In", ["b"]))], [term(pool("spark"))],
             [term(zone("In", ["a"]), pool("spark")), term(zone("In", ["b"]), pool("spark"))], "two pod terms: each gains the rule's"),
            ([term(zone("In", ["a"]))], [term(pool("spark")), term(pool("batch"))],
             [term(zone("In", ["a"]), pool("spark")), term(zone("In", ["a"]), pool("batch"))], "two rule terms: every pairing"),
            ([term(zone("In", ["a"])), term(zone("In", ["b"]))], [term(zone("In", ["b"]))],
             [term(zone("In", ["b"]))], "a pairing that can never match is left out; a requirement there already is not repeated"),
            ([term(zone("Exists"))], [term(zone("In", ["a"]))], [term(zone("Exists"), zone("In", ["a"]))], "Exists and In agree"),
        ]
        for c in cases {
            let m = mutate(try pod(c.pod), try rule(c.rule))
            XCTAssertEqual(required(m), .array(c.expected), c.what)
            XCTAssertEqual(m.warnings, [], c.what)
            let again = mutate(m.pod, try rule(c.rule))
            XCTAssertEqual(JSONPatch.diff(from: m.pod, to: again.pod), [], "idempotent: \(c.what)")
        }
    }

    func testTermsThatCanNeverMatchAreAConflictThatOverrideDecides() throws {
        let conflicts: [(pod: JSON, rule: JSON, what: String)] = [
            (term(zone("In", ["a"])), term(zone("In", ["b"])), "disjoint In values"),
            (term(zone("NotIn", ["a"])), term(zone("In", ["a"])), "In against NotIn of the same values"),
            (term(zone("DoesNotExist")), term(zone("Exists")), "Exists against DoesNotExist"),
            (term(zone("DoesNotExist")), term(zone("In", ["a"])), "In needs the key"),
        ]
        for c in conflicts {
            let keep = mutate(try pod([c.pod]), try rule([c.rule]))
            XCTAssertEqual(required(keep), [c.pod], c.what)
            XCTAssertEqual(keep.warnings, ["rule r: kept the pod's required node affinity: ANDed with the rule's, no node could match (override: false)"], c.what)
            let force = mutate(try pod([c.pod]), try rule([c.rule], override: true))
            XCTAssertEqual(required(force), [c.rule], c.what)
            XCTAssertEqual(force.warnings, [], c.what)
        }
    }

    func testPreferredAndPodAffinityTermsAreAddedOnce() throws {
        let rules = """
            - name: spot-preferred
              set:
                affinity:
                  nodeAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                      - {weight: 100, preference: {matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [spot]}]}}
                  podAntiAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 50
                        podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {spark-role: driver}}}

        """
        let set = try policy(rules)
        let m = mutate(try pod([]), set)
        XCTAssertEqual(m.pod["spec", "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue?.count, 1)
        XCTAssertEqual(m.pod["spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", ]?.arrayValue?.first?["weight"], 50)
        XCTAssertEqual(m.applied.first?.fields, ["/spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution",
                                                "/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution"])
        XCTAssertEqual(JSONPatch.diff(from: m.pod, to: mutate(m.pod, set).pod), [], "an equal term is there already")
    }

    func testWhatKubernetesWouldRefuseIsAPolicyError() {
        func problems(_ affinity: String) -> [String] {
            let text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      set: {affinity: \(affinity)}\n"
            do { _ = try PolicyLoader.load(sources: [("p.yaml", text)]); return [] } catch { return (error as? PolicyError)?.problems.map(\.description) ?? ["\(error)"] }
        }
        let required = { (e: String) in "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [\(e)]}]}}}" }
        XCTAssertEqual(problems(required("{key: zone, operator: Near, values: [a]}")).first?.contains("node selector operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt, got \"Near\""), true)
        XCTAssertEqual(problems(required("{key: zone, operator: In}")).first?.contains("operator In needs a non-empty values list"), true)
        XCTAssertEqual(problems(required("{key: zone, operator: Exists, values: [a]}")).first?.contains("operator Exists takes no values"), true)
        XCTAssertEqual(problems(required("{key: cores, operator: Gt, values: [a]}")).first?.contains("operator Gt takes exactly one value, a decimal integer"), true)
        XCTAssertEqual(problems(required("{key: cores, operator: Gt, values: [\"8\"]}")), [])
        XCTAssertEqual(problems(required("{operator: Exists}")).first?.contains("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0] needs key"), true)
        XCTAssertEqual(problems("{nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, preference: {matchExpressions: [{key: a, operator: Exists}]}}]}}").first?.contains("preferred term weight must be at most 100, got 101"), true)
        XCTAssertEqual(problems("{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {a: b}}}]}}").first?.contains("needs topologyKey"), true)
        XCTAssertEqual(problems("{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: \"bad key!\"}]}}").first?.contains("podAffinity topologyKey \"bad key!\""), true)
        XCTAssertEqual(problems("{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{}]}}}").first?.contains("an empty term matches no node"), true)
        XCTAssertEqual(problems("{podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: zone, matchLabelKeys: [spark-app-selector]}]}}").first?.contains("podAntiAffinity matchLabelKeys is not for a policy"), true)
    }
}
