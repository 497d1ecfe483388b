// The decision on a review: what the answer holds, and what it refuses to send.
import Admission
import JSON
@testable import Policy
@testable import Webhook
import XCTest

final class DecisionTests: XCTestCase {
    func testASparkPodNoRuleMatchesGetsABareAllow() throws {
        let set = try policy("    - {name: elsewhere, match: {namespaces: [team-*]}, set: {priorityClassName: x}}\n")
        for name in ["driver-operator.json", "executor-submit.json", "apiserver-captured-globaldefault.json"] {
            let outcome = try Decision.decide(try Fixtures.review(name), policy: set)
            XCTAssertEqual(outcome.response.patch, [], name)
            XCTAssertTrue(outcome.response.auditAnnotations.isEmpty, name)
            XCTAssertTrue(outcome.response.warnings.isEmpty, name)
            XCTAssertEqual(outcome.mutation?.isSparkPod, true, name)
        }
    }

    func testARepeatedKeyInALevelTheDecisionReadsIsTheClientsError() throws {
        let text = String(decoding: try Fixtures.bytes("driver-operator.json"), as: UTF8.self)
            .replacingOccurrences(of: #""serviceAccountName": "spark-operator-spark""#, with: #""serviceAccountName": "a", "serviceAccountName": true"#)
        let set = try policy("    - {name: a, set: {priorityClassName: x}}\n")
        XCTAssertThrowsError(try Decision.decide(body: Array(text.utf8), policy: set)) { error in
            XCTAssertTrue(error is AdmissionError, "\(error)")
            XCTAssertTrue("\(error)".contains("duplicate key"), "\(error)")
        }
    }
}

/// If any path ever put a number text JSON has no form for into a patch, the answer's own check
/// must catch it before the apiserver refuses the pod: the decision throws, and the webhook then
/// allows the pod unchanged with a warning (its e2e test drives that path).
extension DecisionTests {
    func testAPatchWithANumberJSONCannotReadIsRefusedBeforeItIsSent() throws {
        let loaded = try policy("    - {name: a, set: {probes: {liveness: {httpGet: {path: /, port: 4040, host: x}}}}}\n")
        var settings = loaded.rules[0].set
        settings.probes?[.liveness] = ["httpGet": ["path": "/", "port": 4040, "host": .number(".5")]]
        let rule = Rule(name: "a", policy: "t", match: loaded.rules[0].match, set: settings, split: nil, override: false)
        let set = PolicySet(rules: [rule], files: ["t"])
        XCTAssertThrowsError(try Decision.decide(try Fixtures.review("driver-operator.json"), policy: set)) {
            XCTAssertTrue("\($0)".hasPrefix("generated patch would not apply: the value at /spec/containers/0/livenessProbe holds .5, which is not a JSON number"), "\($0)")
        }
        XCTAssertNoThrow(try Decision.decide(try Fixtures.review("driver-operator.json"), policy: loaded))
    }
}

/// The log line's pod name is read inside the decision's read: the handler read it after the
/// decision's last check, so a malformed metadata level there was logged as no name and allowed.
extension DecisionTests {
    func testWhatPassesThroughIsNotReadAtAnyLogLevel() throws {
        let set = try policy("    - {name: a, set: {priorityClassName: x}}\n")
        let body = #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},"object":{"metadata":{"name":"c","name":"d"}}}}"#
        let request = try AdmissionRequest(body: Array(body.utf8))
        for readName in [false, true] {
            let outcome = try Decision.decide(request, policy: set, readName: readName)
            XCTAssertTrue(outcome.response.patch.isEmpty)
            XCTAssertNil(outcome.mutation)
            XCTAssertNil(outcome.name)
        }
        let pod = try Decision.decide(try Fixtures.review("driver-operator.json"), policy: set, readName: true)
        XCTAssertEqual(pod.name, "spark-pi-driver")
    }
}
