// Probes Kubernetes accepts but Spark fails are warned at the probe (file:line:column), the policy
// still loads; the example policies get none of these warnings.
import Foundation
@testable import Policy
import XCTest

final class ProbeAdviceTests: XCTestCase, PolicyText {
    func warnings(_ lines: String) throws -> [String] {
        try PolicyLoader.load(sources: [("p.yaml", rules(lines))]).warnings.map(\.description)
    }

    func testAGRPCProbeOnSparkConnectsPortIsWarnedAtTheProbe() throws {
        let found = try warnings("""
            - name: connect
              match: {roles: [connect-server]}
              set:
                probes:
                  startup: {grpc: {port: 15002}, periodSeconds: 5}
                  readiness: {tcpSocket: {port: 15002}}
            - {name: any-role, set: {probes: {liveness: {grpc: {port: 15002}}}}}
            - {name: executors, match: {roles: [executor]}, set: {probes: {liveness: {grpc: {port: 15002}}}}}
            - {name: not-connect, match: {roles: [driver]}, exclude: {roles: [driver]}, set: {probes: {liveness: {grpc: {port: 15002}}}}}
            - {name: other-port, match: {roles: [connect-server]}, set: {probes: {liveness: {grpc: {port: 9000}}}}}
        """)
        guard found.count == 2 else { return XCTFail("want 2 warnings, got \(found)") }
        XCTAssertTrue(found[0].hasPrefix("p.yaml:11:11: rule \"connect\": startup probe: Spark Connect (through 4.3) serves no grpc.health.v1 service"), found[0])
        XCTAssertTrue(found[0].hasSuffix("use tcpSocket: {port: 15002}"), found[0])
        XCTAssertTrue(found[1].hasPrefix("p.yaml:13:39: rule \"any-role\": liveness probe: Spark Connect"), found[1])
    }

    func testADriverProbeOnTheUIPortIsWarnedWithWhatToDoInstead() throws {
        let found = try warnings("""
            - name: driver
              match: {roles: [driver]}
              set:
                probes:
                  readiness: {httpGet: {path: /, port: 4040}}
                  liveness: {tcpSocket: {port: spark-ui}}
                  startup: {tcpSocket: {port: 7078}}
            - {name: connect-ui, match: {roles: [connect-server]}, set: {probes: {readiness: {httpGet: {path: /, port: 4040}}}}}
            - {name: driver-rpc, match: {roles: [driver]}, set: {probes: {liveness: {tcpSocket: {port: driver-rpc-port}}}}}
        """)
        guard found.count == 2 else { return XCTFail("want 2 warnings, got \(found)") }
        XCTAssertTrue(found[0].hasPrefix("p.yaml:11:11: rule \"driver\": readiness probe on the driver's UI port (4040): the driver is not Ready until the UI answers (never with spark.ui.enabled=false)"), found[0])
        XCTAssertTrue(found[0].hasSuffix("a driver needs no readiness probe"), found[0])
        XCTAssertTrue(found[1].hasPrefix("p.yaml:12:11: rule \"driver\": liveness probe on the driver's UI port (spark-ui): with spark.ui.enabled=false nothing listens there"), found[1])
        XCTAssertTrue(found[1].hasSuffix("tcpSocket: {port: 7078}"), found[1])
    }

    func testWarningsComeFirstAmongThePolicysWarningsAndDoNotRefuseIt() throws {
        let set = try PolicyLoader.load(sources: [("p.yaml", rules("""
            - {name: driver, match: {roles: [driver]}, set: {probes: {readiness: {httpGet: {path: /, port: 4040}}}}}
            - {name: never, exclude: {}, set: {priorityClassName: x}}
        """))])
        let all = PolicyWarnings.of(set)
        guard all.count == 2 else { return XCTFail("want 2 warnings, got \(all)") }
        XCTAssertTrue(all[0].hasPrefix("p.yaml:7:63: rule \"driver\": readiness probe on the driver's UI port"), all[0])
        XCTAssertEqual(PolicyWarnings.whole(set).map(\.message), [all[1]])
    }

    func testTheExamplePoliciesFollowTheAdvice() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized.path
        let files = try FileManager.default.contentsOfDirectory(atPath: examples).filter { $0.hasSuffix(".yaml") }
        XCTAssertTrue(files.contains("production.yaml") && files.contains("probes.yaml"), "\(files)")
        for file in files {
            XCTAssertEqual(try PolicyLoader.load(path: "\(examples)/\(file)").warnings.map(\.description), [], file)
        }
    }
}
