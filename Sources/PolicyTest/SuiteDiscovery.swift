// Which files under a folder are policy test suites: the ones that are (a SparkPodPolicyTest
// document), whatever they are called: `policy-tests.yaml` and `prod_test.yml` run like
// `production-test.yaml`. A file named on the command line always runs, suite or not.
import Policy
import Posix
import YAML

extension PolicyTestRunner {
    /// The suites a path names: the file itself, or the suites under a folder, in name order; nil
    /// when the path is not there.
    public static func suites(under path: String) -> [String]? {
        guard let kind = FileInput.kind(path) else { return nil }
        if kind != .directory { return [path] }
        var found: [String] = []
        for name in FileInput.entries(path) ?? [] where !name.hasPrefix(".") {
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            switch FileInput.kind(full) {
            case .directory?: found += suites(under: full) ?? []
            case .file? where isSuite(full): found.append(full)
            default: break
            }
        }
        return found
    }

    /// Whether a file in a searched folder is a suite: one of its documents is a mapping of kind
    /// SparkPodPolicyTest. A file that does not parse counts when it names the kind, so that a suite
    /// with a YAML mistake is reported rather than skipped. Files without the word are not parsed
    /// (pods, policies, anything else beside the suites); files too large to be a suite are skipped.
    static func isSuite(_ file: String) -> Bool {
        guard let bytes = try? FileInput.read(file, max: PolicyLoader.maxFileBytes) else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains(TestSuite.kind) else { return false }
        guard let documents = try? YAMLParser(text: text, file: file).documents() else { return true }
        return documents.contains { TestSuite.isSuiteDocument($0) }
    }
}

extension TestSuite {
    /// A document that says it is a suite: a mapping whose kind is SparkPodPolicyTest.
    static func isSuiteDocument(_ node: YAMLNode) -> Bool {
        guard case .mapping(let pairs, _) = node else { return false }
        return pairs.contains { $0.key.scalarText == "kind" && $0.value.scalarText == kind }
    }
}
