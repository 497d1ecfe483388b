// A one-file policy from a few rule lines, and the problems the loader finds in it.
@testable import Policy

protocol PolicyText {}

extension PolicyText {
    func problems(_ body: String, file: String = "p.yaml") -> [String] {
        do {
            _ = try PolicyLoader.load(sources: [(file, body)])
            return []
        } catch let error as PolicyError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    /// A policy whose rules are the given YAML lines, indented under spec.rules (rules start at line 6).
    func rules(_ lines: String) -> String {
        "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata:\n  name: p\nspec:\n  rules:\n" + lines
    }
}
