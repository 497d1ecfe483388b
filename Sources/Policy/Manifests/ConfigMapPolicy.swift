// The policy a ConfigMap holds: its `data` keys, as the files a mounted volume shows the server.
// One reading for the apply-time check (/validate/policy) and `sparkhook check` of a manifest, so
// that both refuse the same ConfigMaps for the same reasons.
import JSON

public enum ConfigMapPolicy {
    /// The name manifests/base gives the policy ConfigMap, the one the validating webhook checks.
    public static let name = "sparkhook-policy"
    /// A ConfigMap holds at most 1 MiB of data; more is not a ConfigMap the apiserver would store.
    public static let maxDataBytes = 1024 * 1024

    /// Why a ConfigMap cannot be a policy at all, before any document in it is read.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// The `data` or `binaryData` key it is about, if one.
        public let key: String?
        init(_ description: String, key: String? = nil) { self.description = description; self.key = key }
    }

    /// The policy sources: the `data` entries a mounted volume would show as files that
    /// `PolicyLoader.files(at:)` reads (no hidden names), in name order, as (key, text).
    public static func sources(_ configMap: JSON?) throws(Refusal) -> [(file: String, text: String)] {
        // A mounted volume shows binaryData keys as files too, which the server would read as policies.
        if let binary = configMap?["binaryData"]?.objectValue, let key = binary.keys.first(where: { !$0.hasPrefix(".") }) {
            throw Refusal("binaryData.\(excerpt(key)): sparkhook would read it as a policy file; put policy documents in data", key: key)
        }
        guard let data = configMap?["data"] else { throw Refusal("the ConfigMap has no data: sparkhook would find no policy") }
        guard let entries = data.objectValue else { throw Refusal("data is not an object") }
        var sources: [(file: String, text: String)] = []
        var size = 0
        for entry in entries.entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) where !entry.key.hasPrefix(".") {
            guard let text = entry.value.stringValue else { throw Refusal("data.\(excerpt(entry.key)) is not a string", key: entry.key) }
            size += text.utf8.count
            guard size <= maxDataBytes else { throw Refusal("data is larger than \(maxDataBytes) bytes") }
            sources.append((entry.key, text))
        }
        return sources
    }

    /// Whether a ConfigMap in a set of manifests is a sparkhook policy, for `check`, which reads
    /// kustomize output with other ConfigMaps in it: the one named `sparkhook-policy`, or one whose
    /// data declares a policy document (a line `kind: SparkPodPolicy`, however indented or quoted).
    /// A line rather than parsed documents: a policy with a YAML mistake in it is still checked.
    public static func isPolicy(_ configMap: JSON) -> Bool {
        if configMap["metadata", "name"]?.stringValue == name { return true }
        guard let entries = configMap["data"]?.objectValue?.entries else { return false }
        return entries.contains { entry in
            guard let text = entry.value.stringValue else { return false }
            return text.split(separator: "\n", omittingEmptySubsequences: true).contains { line in
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                return words.count == 2 && words[0] == "kind:" && ["SparkPodPolicy", "\"SparkPodPolicy\"", "'SparkPodPolicy'"].contains(words[1])
            }
        }
    }
}
