// Which priority classes the cluster will have, read from the manifests, and the warning for a
// rule naming another (the apiserver refuses a pod whose class does not exist).
import Foundation
@testable import Policy
import XCTest

final class PriorityClassesTests: XCTestCase, PolicyText {
    var manifests: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests/base").standardized.path }

    func testTheManifestsCreateTheProductionClasses() throws {
        XCTAssertEqual(try PriorityClasses.created(at: manifests), ["spark-driver-critical", "spark-executor"])
    }

    func testAClassNoManifestCreatesIsWarnedAboutWithItsRules() throws {
        let set = try PolicyLoader.load(sources: [("p.yaml", rules("""
            - {name: a, set: {priorityClassName: spark-executor}}
            - {name: b, set: {priorityClassName: batch-low}}
            - {name: c, match: {roles: [executor]}, split: {variants: [{name: v, weight: 1, set: {priorityClassName: batch-low}}]}}
            - {name: d, set: {priorityClassName: system-node-critical}}
        """))])
        let known = try PriorityClasses.created(at: manifests)
        XCTAssertEqual(PolicyWarnings.of(set, priorityClasses: known).filter { $0.hasPrefix("priority class") }, [
            "priority class \"batch-low\" (set by rule \"b\", rule \"c\") is not created by the manifests: the apiserver refuses every pod given it until the class exists",
        ])
        XCTAssertTrue(PolicyWarnings.of(set).allSatisfy { !$0.hasPrefix("priority class") }, "no manifests, no such warning")
        XCTAssertEqual(PriorityClasses.parse(" a, b,,c "), ["a", "b", "c"])
    }
}
