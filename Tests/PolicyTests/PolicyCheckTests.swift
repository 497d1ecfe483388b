// `check` of what users edit: manifests with a policy ConfigMap among other objects, problems and
// warnings at file:line:column of the manifest, other ConfigMaps and objects skipped.
import Foundation
@testable import Policy
import XCTest

final class PolicyCheckTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("PolicyCheckTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Every line `check` prints about the path: problems, warnings, and the valid ones' names.
    func lines(_ path: String, classes: Set<String>? = nil) throws -> [String] {
        var out: [String] = []
        for r in try PolicyCheck.run(path: path, priorityClasses: classes) {
            out += r.problems.map(\.description)
            out += r.warnings.map(\.description)
            if let set = r.set { out.append("\(r.name): valid \(set.rules.count) from \(r.from)") }
        }
        return out.map { $0.replacingOccurrences(of: folder.path + "/", with: "") }
    }

    static let policy = """
        apiVersion: sparkhook.io/v1alpha1
        kind: SparkPodPolicy
        metadata: {name: p}
        spec:
          rules:
            - name: executors
              match: {roles: [executor]}
              set: {priorityClassName: spark-exec}

        """

    /// The policy as a ConfigMap's literal block, indented `indent` spaces, after a Deployment.
    static func manifest(_ policy: String, name: String = "sparkhook-policy", indent: Int = 4) -> String {
        let block = policy.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
        return """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: sparkhook}
            ---
            # the policy
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: \(name)
            data:
              policy.yaml: |

            """ + block
    }

    func testAPolicyConfigMapIsCheckedAtTheManifestsLinesAndColumns() throws {
        let bad = Self.policy.replacingOccurrences(of: "spark-exec", with: "Not_A_Class").replacingOccurrences(of: "roles: [executor]", with: "roles: [exec]")
        let file = try write("policy.yaml", Self.manifest(bad))
        XCTAssertEqual(try lines(file), [
            // line 7 of the policy is line 11 + 7 of the manifest; its column 23, 4 further right.
            "policy.yaml:18:27: unknown role \"exec\"; expected driver, executor or connect-server",
            "policy.yaml:19:36: priorityClassName \"Not_A_Class\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)",
        ])
        XCTAssertEqual(try lines(try write("deep.yaml", Self.manifest(bad, indent: 8))).first,
                       "deep.yaml:18:31: unknown role \"exec\"; expected driver, executor or connect-server")
    }

    func testWarningsArePlacedAtTheRulesName() throws {
        let file = try write("policy.yaml", Self.manifest(Self.policy))
        XCTAssertEqual(try lines(file, classes: ["spark-driver"]), [
            "policy.yaml:17:17: warning: priority class \"spark-exec\" (set by rule \"executors\") is not created by the manifests: the apiserver refuses every pod given it until the class exists",
            "policy.yaml:6:1: ConfigMap sparkhook-policy: valid 1 from 1 key",
        ])
        let plain = try write("plain.yaml", Self.policy)
        XCTAssertEqual(try lines(plain, classes: [])[0].prefix(34), "plain.yaml:6:13: warning: priority")
    }

    func testOtherObjectsAndConfigMapsAreSkipped() throws {
        let other = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: grafana}\ndata: {dashboard.json: \"{}\"}\n"
        let file = try write("all.yaml", Self.manifest(Self.policy) + other)
        XCTAssertEqual(try lines(file), ["all.yaml:6:1: ConfigMap sparkhook-policy: valid 1 from 1 key"])
        // Another name, but its data declares a policy: checked too.
        let renamed = try write("renamed.yaml", Self.manifest(Self.policy, name: "prod-policy"))
        XCTAssertEqual(try lines(renamed), ["renamed.yaml:6:1: ConfigMap prod-policy: valid 1 from 1 key"])
        // Nothing of sparkhook's at all: the loader's own answer, as for an empty policy file.
        let none = try write("none.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n" + other)
        XCTAssertEqual(try lines(none), ["none.yaml:1:1: no SparkPodPolicy documents found"])
    }

    func testAPolicyWithAWrongKindIsReportedNotSkipped() throws {
        let file = try write("typo.yaml", Self.policy.replacingOccurrences(of: "kind: SparkPodPolicy", with: "kind: SparkPodPolcy"))
        XCTAssertEqual(try lines(file), ["typo.yaml:2:7: kind must be SparkPodPolicy, got \"SparkPodPolcy\""])
    }

    func testAValueThatIsNotALiteralBlockNamesTheKeysLineAndColumn() throws {
        let quoted = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sparkhook-policy}\ndata:\n  a.yaml: \"kind: SparkPodPolicy\\nspec: 1\\n\"\n"
        let file = try write("quoted.yaml", quoted)
        XCTAssertEqual(try lines(file).first, "quoted.yaml:5:11: a.yaml:1:1: policy document needs apiVersion")
        let binary = try write("binary.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sparkhook-policy}\nbinaryData:\n  p.bin: AAAA\n")
        XCTAssertEqual(try lines(binary), ["binary.yaml:5:10: binaryData.p.bin: sparkhook would read it as a policy file; put policy documents in data"])
    }

    func testTwoPolicyConfigMapsAreTwoPolicies() throws {
        let second = Self.manifest(Self.policy).replacingOccurrences(of: "name: sparkhook-policy", with: "name: sparkhook-policy\n  namespace: b")
        let file = try write("two.yaml", Self.manifest(Self.policy) + "---\n" + second)
        XCTAssertEqual(try lines(file), ["two.yaml:6:1: ConfigMap sparkhook-policy: valid 1 from 1 key", "two.yaml:26:1: ConfigMap b/sparkhook-policy: valid 1 from 1 key"])
    }
}
