// Policy test suites (`sparkhook test`): files of kind SparkPodPolicyTest naming a policy and cases
// of a pod and what must come of it. A suite is read whole first, with every problem reported as
// file:line:column, then its cases run through the same decision as /mutate and preview.
import Admission
import JSON
import Policy
import Webhook
import YAML

/// One case as read: the pod (or executors 1..count of it) and what is expected.
struct TestCase {
    var name: String
    var mark: Mark
    var input: PreviewInput
    var namespace: String?
    var executors: Int?
    var applied: [String]?
    var matchedUnchanged: [String]?
    var fields: [(pointer: JSONPointer, value: JSON, text: String)] = []
    var absent: [(pointer: JSONPointer, text: String)] = []
    var warnings: [String]?
    var warningsContain: [String] = []
    var variants: [(rule: String, counts: [(variant: String, count: Int)])] = []
}

public struct TestSuite {
    public let file: String
    let policy: PolicySet
    let cases: [TestCase]

    public static let kind = "SparkPodPolicyTest"

    /// Reads a suite; throws a PolicyError (file:line:column lines) when it or its policy is wrong.
    public init(file: String) throws {
        self.file = file
        let bytes = try PolicyLoader.read(file)
        let nodes: [YAMLNode]
        do { nodes = try YAMLParser(text: String(decoding: bytes, as: UTF8.self), file: file).documents() } catch let error as YAMLError {
            throw PolicyError(problems: [error])
        }
        let reader = SuiteReader(file: file)
        // Named on the command line, any file runs: one that is not a suite says so, not what a
        // suite's reader would make of, say, a policy.
        guard nodes.contains(where: Self.isSuiteDocument) else {
            let kinds = nodes.compactMap { node -> String? in
                guard case .mapping(let pairs, _) = node else { return nil }
                return pairs.first { $0.key.scalarText == "kind" }?.value.scalarText.map { excerpt($0) }
            }
            let found = nodes.isEmpty ? "it holds no document" : kinds.isEmpty ? "its documents have no kind" : "found kind \(kinds.joined(separator: ", "))"
            throw PolicyError(problems: [YAMLError(file: file, mark: nodes.first?.mark ?? Mark(line: 1, column: 1),
                                                   message: "not a policy test suite: no document of kind \(Self.kind) (\(found))")])
        }
        guard nodes.count == 1 else {
            throw PolicyError(problems: [YAMLError(file: file, mark: nodes.dropFirst().first?.mark ?? Mark(line: 1, column: 1),
                                                   message: "a test file holds one \(Self.kind) document, found \(nodes.count)")])
        }
        let (policyPath, cases) = reader.suite(nodes[0])
        guard reader.problems.isEmpty, let policyPath else { throw PolicyError(problems: reader.problems) }
        policy = try PolicyLoader.load(path: policyPath)
        self.cases = cases
    }

    /// Runs every case; the results in order.
    public func run() -> [CaseResult] {
        cases.map { c in
            let problems = check(c)
            return CaseResult(file: file, name: c.name, problems: problems)
        }
    }

    private func decide(_ c: TestCase, _ input: PreviewInput) -> PreviewOutcome? {
        var input = input
        if let namespace = c.namespace { input.namespace = namespace }
        return try? PreviewOutcome(input, policy: policy)
    }

    private func check(_ c: TestCase) -> [String] {
        if let count = c.executors { return checkExecutors(c, count) }
        guard let result = decide(c, c.input) else { return ["the decision failed"] }
        var problems: [String] = []
        let applied = result.applied.map(\.label)
        if let expected = c.applied, expected != applied {
            problems.append("applied \(Self.list(applied)), expected \(Self.list(expected))")
        }
        let unchanged = result.unchanged.map(\.label)
        if let expected = c.matchedUnchanged, expected != unchanged {
            problems.append("matchedUnchanged \(Self.list(unchanged)), expected \(Self.list(expected))")
        }
        let pod = result.pod
        for (pointer, value, text) in c.fields {
            let actual = pod.value(at: pointer)
            if actual != value { problems.append("\(text) is \(actual.map { excerpt($0.text, max: 200) } ?? "absent"), expected \(excerpt(value.text, max: 200))") }
        }
        for (pointer, text) in c.absent where pod.value(at: pointer) != nil {
            problems.append("\(text) is present, expected absent")
        }
        let warnings = result.warnings
        if let expected = c.warnings, expected != warnings {
            problems.append("warnings \(Self.list(warnings)), expected \(Self.list(expected))")
        }
        for text in c.warningsContain where !warnings.contains(where: { $0.contains(text) }) {
            problems.append("no warning contains \"\(text)\"; warnings \(Self.list(warnings))")
        }
        return problems
    }

    /// The pod as executors 1...count of one application, each decided on its own.
    private func checkExecutors(_ c: TestCase, _ count: Int) -> [String] {
        guard var pod = c.input.pod?.objectValue, var metadata = pod["metadata"]?.objectValue else { return ["the executors' pod has no metadata"] }
        var labels = metadata["labels"]?.objectValue ?? JSONObject()
        var counts: [String: [String: Int]] = [:]
        for id in 1...count {
            labels["spark-exec-id"] = .string(String(id))
            metadata["labels"] = .object(labels)
            pod["metadata"] = .object(metadata)
            var input = c.input
            input.pod = .object(pod)
            guard let result = decide(c, input) else { return ["the decision failed for spark-exec-id \(id)"] }
            // Where the split placed it, whether or not the variant's values changed the pod.
            for rule in result.applied + result.unchanged {
                guard let variant = rule.variant else { continue }
                counts[rule.rule, default: [:]][variant, default: 0] += 1
            }
        }
        var problems: [String] = []
        for (rule, expected) in c.variants {
            let actual = counts[rule] ?? [:]
            let want = Dictionary(expected.map { ($0.variant, $0.count) }, uniquingKeysWith: { a, _ in a })
            if actual != want {
                let shown = actual.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                let wanted = expected.map { "\($0.variant): \($0.count)" }.joined(separator: ", ")
                problems.append("\(rule) placed {\(shown)}, expected {\(wanted)}")
            }
        }
        return problems
    }

    static func list(_ items: [String]) -> String { "[" + items.map { "\"\(excerpt($0, max: 120))\"" }.joined(separator: ", ") + "]" }
}

public struct CaseResult {
    public let file: String
    public let name: String
    /// What differed; empty when the case passed.
    public let problems: [String]
    public var passed: Bool { problems.isEmpty }
}
