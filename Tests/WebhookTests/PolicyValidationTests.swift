// /validate/policy as a request in and an AdmissionReview out: what the apiserver stores or refuses.
import Foundation
import HTTPServer
import JSON
@testable import Webhook
import XCTest

final class PolicyValidationTests: PolicyFolderTestCase {
    func review(_ data: [String: String]) -> [UInt8] {
        let object: JSON = .object(["metadata": .object(["name": .string("sparkhook-policy")]),
                                    "data": .object(JSONObject(data.map { .init(key: $0.key, value: .string($0.value)) }))])
        let request: JSON = .object(["uid": .string("u-1"), "kind": .object(["group": .string(""), "version": .string("v1"), "kind": .string("ConfigMap")]),
                                     "operation": .string("UPDATE"), "namespace": .string("sparkhook-system"), "object": object])
        return JSON.object(["apiVersion": .string("admission.k8s.io/v1"), "kind": .string("AdmissionReview"), "request": request]).serialized()
    }

    func answer(_ h: WebhookHandler, _ data: [String: String]) throws -> JSON {
        let response = post(h, "/validate/policy", review(data))
        XCTAssertEqual(response.status, 200)
        let answer = try JSONParser.parseFully(response.body)
        XCTAssertEqual(answer["response", "uid"], "u-1")
        return answer
    }

    var production: String { get throws { try String(contentsOf: folder.appendingPathComponent("policy.yaml"), encoding: .utf8) } }

    func testAValidPolicyIsAllowedWithoutWarnings() throws {
        let a = try answer(try handler(), ["policy.yaml": try production])
        XCTAssertEqual(a["response", "allowed"], true)
        XCTAssertNil(a["response", "warnings"])
        XCTAssertNil(a["response", "status"])
    }

    func testAnInvalidPolicyIsRefusedWithKeyLineColumn() throws {
        let bad = try production.replacingOccurrences(of: "priorityClassName: spark-driver-critical", with: "prioritClassName: spark-driver-critical")
        let h = try handler()
        let a = try answer(h, ["team.yaml": bad, "..data": "spec: [", ".hidden": "spec: ["])
        XCTAssertEqual(a["response", "allowed"], false)
        let message = try XCTUnwrap(a["response", "status", "message"]?.stringValue)
        XCTAssertTrue(message.contains(#"team.yaml:15:9: unknown field "prioritClassName" in set"#), message)
        XCTAssertTrue(message.hasPrefix("invalid sparkhook policy (1 problem):\n"), message)
        let metrics = h.metrics.render(server: nil)
        XCTAssertTrue(metrics.contains(#"sparkhook_requests_total{endpoint="validate_policy",outcome="denied"} 1"#), metrics)
    }

    func testAtMostFiftyProblemsAreListed() throws {
        let rules = (1...80).map { "    - {name: r\($0), bogus\($0): 1, set: {schedulerName: a}}" }.joined(separator: "\n")
        let text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: x}\nspec:\n  rules:\n" + rules + "\n"
        let message = try XCTUnwrap(try answer(try handler(), ["policy.yaml": text])["response", "status", "message"]?.stringValue)
        XCTAssertEqual(message.split(separator: "\n").filter { $0.hasPrefix("policy.yaml:") }.count, 50, message)
    }

    func testASuspiciousPolicyIsAllowedWithWarnings() throws {
        let text = """
            apiVersion: sparkhook.io/v1alpha1
            kind: SparkPodPolicy
            metadata: {name: x}
            spec:
              rules:
                - name: never
                  match: {roles: [executor]}
                  exclude: {roles: [executor]}
                  set: {schedulerName: a}
                - name: mix
                  match: {roles: [executor]}
                  split:
                    variants:
                      - {name: spot, weight: 1, set: {schedulerName: a}}
                      - {name: on-demand, weight: 49, set: {schedulerName: b}}

            """
        let a = try answer(try handler(), ["policy.yaml": text])
        XCTAssertEqual(a["response", "allowed"], true)
        XCTAssertEqual(a["response", "warnings"]?.arrayValue?.compactMap(\.stringValue), [
            #"rule "never" can never match: its exclude skips every role it matches"#,
            #"rule "mix": split variant "spot" gets no executor in applications of fewer than 49 executors"#,
        ])
    }

    /// The schema checks' warnings reach the apply-time check by themselves, at KEY:LINE:COLUMN:
    /// a Spark Connect probe on gRPC (which it does not serve) is stored, with the warning.
    func testAProbeSparkNeverPassesIsAllowedWithItsWarningAtKeyLineColumn() throws {
        let tcp = "readiness: {tcpSocket: {port: 15002}, periodSeconds: 10}"
        let lines = try production.split(separator: "\n", omittingEmptySubsequences: false)
        let line = try XCTUnwrap(lines.firstIndex { $0.hasSuffix(tcp) }) + 1
        let column = lines[line - 1].prefix { $0 == " " }.count + 1
        let grpc = try production.replacingOccurrences(of: tcp, with: "readiness: {grpc: {port: 15002}, periodSeconds: 10}")
        let a = try answer(try handler(), ["team.yaml": grpc])
        XCTAssertEqual(a["response", "allowed"], true)
        let warnings = a["response", "warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings.first?.hasPrefix("team.yaml:\(line):\(column): rule \"connect-probes\": readiness probe: Spark Connect (through 4.3) serves no grpc.health.v1 service") == true, "\(warnings)")
    }

    /// A ConfigMap with a key twice reads two ways: refused as not JSON, not judged on one reading
    /// (read as a silent null before the object was reachable only through the checked read).
    func testAKeyTwiceInTheConfigMapIsNotJSON() throws {
        let body = String(decoding: review(["policy.yaml": try production]), as: UTF8.self)
            .replacingOccurrences(of: #""data":{"#, with: #""data":{"policy.yaml":"spec: [","#)
        let response = post(try handler(), "/validate/policy", Array(body.utf8))
        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("duplicate key"), String(decoding: response.body, as: UTF8.self))
    }

    func testNoPolicyAndNotAReviewAreRefused() throws {
        let h = try handler()
        XCTAssertEqual(try answer(h, [:])["response", "allowed"], false)
        XCTAssertEqual(post(h, "/validate/policy", Array("{}".utf8)).status, 400)
        let binary = try JSONParser.parseFully(post(h, "/validate/policy", Array(String(decoding: review(["policy.yaml": try production]), as: UTF8.self)
            .replacingOccurrences(of: #""data":"#, with: #""binaryData":{"p.yaml":"AA=="},"data":"#).utf8)).body)
        XCTAssertEqual(binary["response", "allowed"], false)
        XCTAssertEqual(binary["response", "status", "message"]?.stringValue?.hasPrefix("binaryData.p.yaml: "), true)
        XCTAssertEqual(post(h, "/validate/policy", review([:]), "text/plain").status, 415)
        XCTAssertEqual(post(try handler(.admin), "/validate/policy", review([:])).status, 404)
    }
}
