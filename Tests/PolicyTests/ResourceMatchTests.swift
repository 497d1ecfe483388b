// match.resources and exclude.resources: what Spark's container requests or limits, quantities
// read strictly (a malformed one does not count), names checked as Kubernetes resource names.
import JSON
@testable import Policy
import XCTest

final class ResourceMatchTests: XCTestCase, PolicyText {
    func testQuantitiesAboveZero() {
        for text in ["1", "500m", "+2", "0.5", ".5", "1.", "2Gi", "1Ki", "3E", "1e3", "1E-2", "0001", "7n", "4u"] {
            XCTAssertEqual(Quantity.isPositive(text), true, text)
        }
        for text in ["0", "0m", "0.0", "-1", "-500m", "+0", "0Gi", "0e9"] {
            XCTAssertEqual(Quantity.isPositive(text), false, text)
        }
        for text in ["", "abc", "1 ", " 1", "1x", "1Gb", "1ei", "1e", "1e+", "--1", "1..2", ".", "+", "1Ki1",
                     "0x10", "1_000", "inf", String(repeating: "1", count: 65)] {
            XCTAssertNil(Quantity.isPositive(text), text)
        }
        XCTAssertEqual(Quantity.isPositive(.int(2)), true)
        XCTAssertEqual(Quantity.isPositive(.int(0)), false)
        XCTAssertNil(Quantity.isPositive(.bool(true)))
        XCTAssertNil(Quantity.isPositive(.null))
    }

    let gpuRule = """
        - name: gpu
          match: {roles: [executor], resources: [nvidia.com/gpu, amd.com/gpu]}
          set: {nodeSelector: {accelerator: gpu}}

    """

    /// The executor fixture with these resources on its Spark container (or on a sidecar).
    func executor(_ resources: JSON?, sidecar: JSON? = nil) throws -> JSON {
        var pod = try Fixtures.pod("executor-submit.json")
        var containers = pod["spec"]?["containers"]?.arrayValue ?? []
        var spark = containers[0].objectValue ?? JSONObject()
        spark["resources"] = resources
        containers[0] = .object(spark)
        if let sidecar { containers.insert(["name": "proxy", "image": "envoy", "resources": sidecar], at: 0) }
        pod.set(["spec", "containers"], .array(containers))
        return pod
    }

    /// The rules applied, the same whether the pod is decoded already (a preview) or comes as
    /// bytes not read yet (an admission: the containers' bytes are looked at first).
    func applied(_ pod: JSON, _ set: PolicySet, line: UInt = #line) throws -> [String] {
        let decoded = try Mutator.mutate(pod: pod, namespace: "spark-jobs", policy: set).applied.map(\.rule)
        let raw = try JSONParser.parse(pod.serialized())
        XCTAssertEqual(try Mutator.mutate(pod: raw, namespace: "spark-jobs", policy: set).applied.map(\.rule), decoded, "raw", line: line)
        return decoded
    }

    func testAnExecutorAskingForAGPUMatches() throws {
        let set = try policy(gpuRule)
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": "1"], "requests": ["cpu": "2"]]), set), ["gpu"])
        XCTAssertEqual(try applied(executor(["requests": ["amd.com/gpu": "500m"]]), set), ["gpu"])
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": 2]]), set), ["gpu"])
        // Zero, none, a malformed quantity: no match, and no error either.
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": "0"]]), set), [])
        XCTAssertEqual(try applied(executor(["limits": ["cpu": "4"]]), set), [])
        XCTAssertEqual(try applied(executor(nil), set), [])
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": "lots"]]), set), [])
        XCTAssertEqual(try applied(executor(["limits": "not an object"]), set), [])
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": ["1"]]]), set), [])
        // A sidecar's GPU is not Spark's.
        XCTAssertEqual(try applied(executor(["limits": ["cpu": "1"]], sidecar: ["limits": ["nvidia.com/gpu": "1"]]), set), [])
        // The role still has to match: a driver with a GPU is not an executor.
        var driver = try executor(["limits": ["nvidia.com/gpu": "1"]])
        driver.set(["metadata", "labels", "spark-role"], "driver")
        XCTAssertEqual(try applied(driver, set), [])
    }

    func testExcludeResources() throws {
        let set = try policy("""
            - name: cpu-pool
              match: {roles: [executor]}
              exclude: {resources: [nvidia.com/gpu]}
              set: {nodeSelector: {pool: cpu}}

        """)
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": "1"]]), set), [])
        XCTAssertEqual(try applied(executor(["limits": ["nvidia.com/gpu": "0"]]), set), ["cpu-pool"])
        // An exclude on resources is a condition: not "skips every pod".
        XCTAssertEqual(PolicyWarnings.of(set), [])
    }

    func testResourceNamesAreCheckedWhereWritten() {
        XCTAssertEqual(problems(rules("    - name: a\n      match: {resources: [nvidia.com/gpu, \"bad name\", \"-x/y\"]}\n      set: {priorityClassName: x}\n")), [
            "p.yaml:8:43: resource name \"bad name\" \(Naming.qualifiedNameRule)",
            "p.yaml:8:55: resource name \"-x/y\" prefix \"-x\" must be a lowercase DNS subdomain",
        ])
        XCTAssertEqual(problems(rules("    - name: a\n      exclude: {resources: []}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:28: exclude.resources is empty: name at least one resource"])
        XCTAssertEqual(problems(rules("    - name: a\n      match: {resources: nvidia.com/gpu}\n      set: {priorityClassName: x}\n")),
                       ["p.yaml:8:26: match.resources must be a list, not a string"])
        // A string field keeps the text as written: `1` is the name "1".
        XCTAssertEqual(problems(rules("    - name: a\n      match: {resources: [1]}\n      set: {priorityClassName: x}\n")), [])
    }
}
