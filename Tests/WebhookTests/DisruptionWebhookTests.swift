// /validate/disruptions without a socket: what counts, what does not, and hostile bodies.
import Foundation
import HTTPServer
import JSON
import Policy
@testable import Webhook
import Posix
import XCTest

final class DisruptionWebhookTests: XCTestCase {
    var handler: WebhookHandler!

    override func setUpWithError() throws {
        handler = WebhookHandler(policies: try PolicyStore(path: Fixtures.productionPolicy.path), metrics: Metrics(), logger: Logger(minimum: .error), endpoints: .webhook)
    }

    func review(operation: String = "UPDATE", role: String = "executor", reason: String? = "PreemptionByScheduler",
                before: String? = nil, grace: Int? = nil, pod uid: String = "pod-1") -> [UInt8] {
        func pod(_ reason: String?) -> String {
            let conditions = reason.map { #"[{"type":"DisruptionTarget","status":"True","reason":"\#($0)","message":"preempted by pod 1234-ab on node n1"}]"# } ?? "[]"
            let graceField = grace.map { #","deletionGracePeriodSeconds":\#($0)"# } ?? ""
            return #"{"metadata":{"name":"p","uid":"\#(uid)","namespace":"ns","labels":{"spark-role":"\#(role)","spark-app-name":"etl"}\#(graceField)},"spec":{"nodeName":"n1"},"status":{"conditions":\#(conditions)}}"#
        }
        let objects = operation == "DELETE" ? #""object":null,"oldObject":\#(pod(reason))"# : #""object":\#(pod(reason)),"oldObject":\#(pod(before))"#
        return Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"\#(operation)",\#(objects)}}"#.utf8)
    }

    func post(_ body: [UInt8]) -> HTTPResponse {
        handler.handle(HTTPRequest(method: "POST", path: "/validate/disruptions", headers: HTTPHeaders([("Content-Type", "application/json")]), body: body))
    }

    func count(_ role: SparkRole, _ reason: String) -> Int { handler.metrics.disruptions.value(role: role, reason: reason) }

    func testTheUpdateThatAddsTheConditionCountsOnceAndIsAllowed() {
        let response = post(review())
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains(#""uid":"u1","allowed":true"#))
        XCTAssertEqual(count(.executor, "PreemptionByScheduler"), 1)
        // Already there before: a later status update (another pod, so that the UID rule is not what holds it).
        XCTAssertEqual(post(review(before: "PreemptionByScheduler", pod: "pod-2")).status, 200)
        XCTAssertEqual(count(.executor, "PreemptionByScheduler"), 1)
    }

    func testAPodDeliveredTwiceCountsOnceAndTheMemoryIsBounded() {
        // The apiserver runs admission again when its write conflicts (a stale cached copy): the
        // same pod's disruption arrives twice.
        _ = post(review(operation: "DELETE", role: "driver", reason: "EvictionByEvictionAPI", grace: 30))
        _ = post(review(operation: "DELETE", role: "driver", reason: "EvictionByEvictionAPI", grace: 30))
        XCTAssertEqual(count(.driver, "EvictionByEvictionAPI"), 1)
        _ = post(review(pod: "pod-2"))
        _ = post(review(pod: "pod-2"))
        XCTAssertEqual(count(.executor, "PreemptionByScheduler"), 1)

        let counts = DisruptionCounts(remembered: 3)
        XCTAssertEqual(["a", "b", "a", "c", "d", "a"].map { counts.count(role: .executor, reason: "x", pod: $0) },
                       [true, true, false, true, true, true])  // "a" forgotten after 3 others
        XCTAssertTrue(counts.count(role: .executor, reason: "x", pod: ""))
        XCTAssertTrue(counts.count(role: .executor, reason: "x", pod: ""))
        XCTAssertEqual(counts.value(role: .executor, reason: "x"), 7)
        // Only a UID's first 64 bytes are remembered: two megabyte UIDs that share them are one pod.
        let huge = String(repeating: "u", count: 1_000_000)
        XCTAssertTrue(counts.count(role: .executor, reason: "x", pod: huge + "1"))
        XCTAssertFalse(counts.count(role: .executor, reason: "x", pod: huge + "2"))
    }

    func testReasonsAreBoundedAndRolesAreThePolicys() {
        _ = post(review(role: "driver", reason: "SomethingNew", pod: "pod-2"))
        XCTAssertEqual(count(.driver, "other"), 1)
        _ = post(review(role: "not-spark", pod: "pod-3"))
        XCTAssertEqual(SparkRole.allCases.map { count($0, "PreemptionByScheduler") }, [0, 0, 0])
        XCTAssertFalse(handler.metrics.render(server: nil).contains("SomethingNew"))
    }

    func testAnEvictionCountsOnTheFinishingDeleteOnly() {
        _ = post(review(operation: "DELETE", role: "driver", reason: "EvictionByEvictionAPI", grace: 30))
        _ = post(review(operation: "DELETE", role: "driver", reason: "EvictionByEvictionAPI", grace: 0, pod: "pod-2"))
        _ = post(review(operation: "DELETE", role: "driver", reason: "PreemptionByScheduler", grace: 30, pod: "pod-3"))
        XCTAssertEqual(count(.driver, "EvictionByEvictionAPI"), 1)
        XCTAssertEqual(count(.driver, "PreemptionByScheduler"), 0)
    }

    func testThePreemptorIsReadFromTheMessage() {
        XCTAssertEqual(WebhookHandler.preemptor("preempted by pod 1234-ab on node n1"), "1234-ab")
        XCTAssertEqual(WebhookHandler.preemptor("default-scheduler: preempting to accommodate a higher priority pod"), "")
        XCTAssertLessThanOrEqual(WebhookHandler.preemptor("preempted by pod " + String(repeating: "x", count: 100_000)).count, 200)
    }

    func testHostileBodiesAreRefusedWithoutCounting() {
        for body in ["", "[", "{}", String(repeating: "[", count: 100_000), #"{"apiVersion":"admission.k8s.io/v1","request":{}}"#] {
            XCTAssertEqual(post(Array(body.utf8)).status, 400, body.prefix(40).description)
        }
        XCTAssertFalse(handler.metrics.render(server: nil).contains("sparkhook_pod_disruptions_total{"))
    }

    /// A pod whose labels hold a key twice reads two ways (driver or executor): refused, not counted
    /// under the reading a silent null would have given.
    func testAKeyTwiceInThePodIsRefusedWithoutCounting() {
        let body = String(decoding: review(role: "driver"), as: UTF8.self)
            .replacingOccurrences(of: #""labels":{"#, with: #""labels":{"spark-role":"executor","#)
        XCTAssertEqual(post(Array(body.utf8)).status, 400)
        XCTAssertEqual(count(.driver, "PreemptionByScheduler") + count(.executor, "PreemptionByScheduler"), 0)
    }
}
