// The webhook's endpoints as what they are: a request in, a response out, with no socket.
import Foundation
import HTTPServer
import JSON
import Policy
import Posix
import Synchronization
@testable import Webhook
import XCTest

final class WebhookHandlerTests: PolicyFolderTestCase {
    func testMutateAnswersAReviewWithAPatchInItsVersion() throws {
        let h = try handler()
        let response = post(h, "/mutate", try Fixtures.bytes("executor-operator.json"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        let answer = try JSONParser.parseFully(response.body)
        XCTAssertEqual(answer["apiVersion"], "admission.k8s.io/v1")
        XCTAssertEqual(answer["response", "allowed"], true)
        XCTAssertEqual(answer["response", "patchType"], "JSONPatch")
        XCTAssertEqual(answer["response", "auditAnnotations", "applied"]?.stringValue?.hasPrefix("executor-priority,executor-mix/"), true)
    }

    func testMutateRefusesWhatIsNotAReviewWithTheRightStatus() throws {
        let h = try handler()
        XCTAssertEqual(post(h, "/mutate", try Fixtures.bytes("executor-operator.json"), "text/plain").status, 415)
        let notJSON = post(h, "/mutate", Array("[1,".utf8))
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertTrue(String(decoding: notJSON.body, as: UTF8.self).hasPrefix("not an AdmissionReview: body is not JSON"))
        XCTAssertEqual(post(h, "/mutate", Array(#"{"kind":"Pod"}"#.utf8)).status, 400)
        let huge = post(h, "/mutate", Array((#"{"kind":""# + String(repeating: "x", count: 100_000) + #""}"#).utf8))
        XCTAssertEqual(huge.status, 400)
        XCTAssertLessThan(huge.body.count, 300, "the reason quotes an excerpt, not the input")
    }

    func testPreviewReadsItsBodyAsItsContentTypeSays() throws {
        let h = try handler()
        let pod = Array("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {spark-role: driver}}\nspec: {containers: [{name: c, args: [driver]}]}\n".utf8)
        XCTAssertEqual(post(h, "/preview", pod, "application/yaml").status, 200)
        XCTAssertEqual(post(h, "/preview", pod, "text/yaml; charset=utf-8").status, 200)
        XCTAssertEqual(post(h, "/preview", pod, "application/json").status, 400)
        XCTAssertEqual(post(h, "/preview", pod, "text/plain").status, 415)
        XCTAssertEqual(post(h, "/preview", [UInt8](repeating: 0x20, count: WebhookHandler.defaultMaxPreviewBytes + 1), "application/yaml").status, 413)
        XCTAssertTrue(h.runsOffLoop(HTTPRequest(method: "POST", path: "/preview")))
        XCTAssertFalse(h.runsOffLoop(HTTPRequest(method: "POST", path: "/mutate")))
    }

    func testAPreviewOfANonPodReviewShowsWhatMutateDoes() throws {
        let h = try handler()
        let review = #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},"object":{"kind":"ConfigMap","metadata":{"name":"c"}}}}"#
        let response = post(h, "/preview", Array(review.utf8))
        XCTAssertEqual(response.status, 200)
        let preview = try JSONParser.parseFully(response.body)
        XCTAssertEqual(preview["patch"], [])
        XCTAssertEqual(preview["pod", "kind"], "ConfigMap")
        XCTAssertEqual(preview["warnings"]?.arrayValue?.first?.stringValue,
                       "the review's object is not a Pod (v1/ConfigMap): /mutate allows it unchanged, with no patch")
        let mutate = try JSONParser.parseFully(post(h, "/mutate", Array(review.utf8)).body)
        XCTAssertNil(mutate["response", "patch"])
    }

    func testEachListenerServesItsOwnEndpoints() throws {
        let webhook = try handler(.webhook), admin = try handler(.admin)
        let review = try Fixtures.bytes("driver-submit.json")
        XCTAssertEqual(post(webhook, "/mutate", review).status, 200)
        XCTAssertEqual(post(webhook, "/preview", review).status, 404)
        XCTAssertEqual(webhook.handle(HTTPRequest(method: "GET", path: "/metrics")).status, 404)
        XCTAssertEqual(post(admin, "/mutate", review).status, 404)
        XCTAssertEqual(post(admin, "/preview", review).status, 200)
        let metrics = admin.handle(HTTPRequest(method: "GET", path: "/metrics"))
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(String(decoding: metrics.body, as: UTF8.self).contains(#"sparkhook_requests_total{endpoint="preview",outcome="ok"} 1"#))
        for h in [webhook, admin] {
            XCTAssertEqual(h.handle(HTTPRequest(method: "GET", path: "/healthz")).status, 200)
            XCTAssertEqual(h.handle(HTTPRequest(method: "GET", path: "/readyz")).status, 503, "no server serving yet")
            XCTAssertEqual(h.handle(HTTPRequest(method: "GET", path: "/nope")).status, 404)
        }
        XCTAssertEqual(webhook.handle(HTTPRequest(method: "GET", path: "/mutate")).status, 405)
    }

    /// An admission's duration is read from the handler's clock: on a clock that moves 3 ms
    /// between its readings, the histogram has the admission in the 5 ms bucket and not below.
    func testTheAdmissionDurationIsTheHandlersClocks() throws {
        let ticks = Mutex<UInt64>(0)
        let clock = TimeSource(nanos: { ticks.withLock { $0 += 3_000_000; return $0 } }, seconds: { 0 })
        let h = WebhookHandler(policies: try PolicyStore(path: folder.path), metrics: Metrics(), logger: Logger(minimum: .error), clock: clock)
        XCTAssertEqual(post(h, "/mutate", try Fixtures.bytes("executor-operator.json")).status, 200)
        let text = h.metrics.render(server: nil)
        XCTAssertTrue(text.contains("sparkhook_admission_duration_seconds_bucket{le=\"0.0025\"} 0\n"), text)
        XCTAssertTrue(text.contains("sparkhook_admission_duration_seconds_bucket{le=\"0.005\"} 1\n"), text)
        XCTAssertTrue(text.contains("sparkhook_admission_duration_seconds_sum 0.003\n"), text)
    }

    func testPodsAreCountedByRoleAndTheClassTheyLeaveWith() throws {
        let h = try handler()
        for name in ["driver-operator.json", "executor-operator.json", "executor-submit.json", "non-spark.json"] {
            XCTAssertEqual(post(h, "/mutate", try Fixtures.bytes(name)).status, 200)
        }
        let text = String(decoding: h.handle(HTTPRequest(method: "GET", path: "/metrics")).body, as: UTF8.self)
        XCTAssertTrue(text.contains(#"sparkhook_pods_total{role="driver",priority_class="spark-driver-critical"} 1"#), text)
        XCTAssertTrue(text.contains(#"sparkhook_pods_total{role="executor",priority_class="spark-executor"} 2"#), text)
        XCTAssertFalse(text.contains(#"role="nginx""#))
        XCTAssertTrue(text.contains(#"sparkhook_patches_total{rule="executor-mix",variant="on-demand"} 2"#), text)
    }

    /// Spark 4.2's deployment allocator: an executor with no id of its own is admitted, placed on
    /// the split's fallback variant, warned about, and counted once (not again on reinvocation).
    func testADeploymentAllocatedExecutorIsCountedAsAFallback() throws {
        let h = try handler()
        XCTAssertTrue(h.metrics.render(server: nil).contains("# HELP sparkhook_split_fallbacks_total "))
        XCTAssertEqual(post(h, "/mutate", try Fixtures.bytes("executor-operator.json")).status, 200)
        XCTAssertFalse(h.metrics.render(server: nil).contains("sparkhook_split_fallbacks_total{"), "an executor with an id is no fallback")
        let review = try JSONParser.parseFully(try Fixtures.bytes("allocators/executor-deployment.json"))
        let answer = try JSONParser.parseFully(post(h, "/mutate", review.serialized()).body)
        XCTAssertEqual(answer["response", "allowed"], true)
        XCTAssertEqual(answer["response", "auditAnnotations", "applied"]?.stringValue?.contains("executor-mix/on-demand"), true)
        XCTAssertEqual(answer["response", "warnings"]?.arrayValue?.contains { $0.stringValue?.contains("Spark's deployment allocator") == true }, true)
        XCTAssertTrue(h.metrics.render(server: nil).contains("sparkhook_split_fallbacks_total{rule=\"executor-mix\",variant=\"on-demand\"} 1\n"))
        // Reinvocation: the mutated pod again changes nothing and is not counted again.
        let mutated = try Mutator.mutate(pod: try XCTUnwrap(review["request", "object"]), namespace: "spark-jobs", policy: h.policies.current.policy).pod
        var request = try XCTUnwrap(review["request"]?.objectValue), again = try XCTUnwrap(review.objectValue)
        request["object"] = mutated
        again["request"] = .object(request)
        let second = try JSONParser.parseFully(post(h, "/mutate", JSON.object(again).serialized()).body)
        XCTAssertNil(second["response", "patch"], "nothing left to change")
        XCTAssertTrue(h.metrics.render(server: nil).contains("sparkhook_split_fallbacks_total{rule=\"executor-mix\",variant=\"on-demand\"} 1\n"))
    }
}
