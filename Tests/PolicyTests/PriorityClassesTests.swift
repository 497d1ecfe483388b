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

    func testTheManifestsGiveTheClassesValues() throws {
        let values = try PriorityClasses.values(at: manifests)
        XCTAssertEqual(values["spark-driver-critical"], 1_000_000)
        XCTAssertEqual(values["spark-executor"], 1_000)
        XCTAssertEqual(values["system-node-critical"], 2_000_001_000)
    }

    /// Drivers at or below executors: warned at the driver rule's name, only where both values are known.
    func testDriversNotAboveExecutorsAreWarnedAtTheRule() throws {
        let text = rules("""
            - {name: exec, match: {roles: [executor]}, set: {priorityClassName: spark-driver-critical}}
            - {name: drivers, match: {roles: [driver]}, set: {priorityClassName: spark-executor}}
            - {name: connect, match: {roles: [connect-server]}, set: {priorityClassName: spark-executor}}
            - {name: unknown, match: {roles: [driver]}, set: {priorityClassName: batch-low}}
        """)
        let set = try PolicyLoader.load(sources: [("p.yaml", text)])
        let values = try PriorityClasses.values(at: manifests)
        let warnings = PolicyWarnings.located(set, priorityClasses: try PriorityClasses.created(at: manifests), priorityValues: values)
            .map(\.description).filter { $0.contains("gives drivers") }
        XCTAssertEqual(warnings, [
            "p.yaml:8:14: warning: rule \"drivers\" gives drivers priority class \"spark-executor\" (value 1000), not above \"spark-driver-critical\" (value 1000000) that rule \"exec\" gives executors: under pressure the scheduler should preempt an executor, never the driver whose loss fails the whole job",
        ])
        // Without values (no --manifests), nothing to compare.
        XCTAssertTrue(PolicyWarnings.of(set).allSatisfy { !$0.contains("gives drivers") })
        // One rule for every role gives drivers the executors' class: not above it.
        let same = try PolicyLoader.load(sources: [("p.yaml", rules("    - {name: all, set: {priorityClassName: spark-executor}}\n"))])
        XCTAssertEqual(PolicyWarnings.of(same, priorityValues: values).filter { $0.contains("gives drivers") },
                       ["rule \"all\" gives drivers priority class \"spark-executor\" (value 1000), not above \"spark-executor\" (value 1000) that it gives executors: under pressure the scheduler should preempt an executor, never the driver whose loss fails the whole job"])
        // The shipped policy is right.
        let production = try PolicyLoader.load(path: URL(fileURLWithPath: manifests).appendingPathComponent("../../examples/production.yaml").standardized.path)
        XCTAssertTrue(PolicyWarnings.of(production, priorityValues: values).allSatisfy { !$0.contains("gives drivers") })
    }
}
