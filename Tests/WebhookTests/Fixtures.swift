// The project's AdmissionReviews (Tests/Fixtures) and one-rule policies, for the webhook's tests.
import Admission
import Foundation
import JSON
import Policy

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// examples/production.yaml, the policy most tests serve.
    static let productionPolicy = URL(fileURLWithPath: directory).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/production.yaml")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }

    static func review(_ name: String) throws -> AdmissionRequest { try AdmissionRequest(body: try bytes(name)) }
}

/// A policy of these rules (YAML lines indented under spec.rules).
func policy(_ rules: String) throws -> PolicySet {
    try PolicyLoader.load(sources: [("test.yaml", "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: t}\nspec:\n  rules:\n" + rules)])
}
