// The admission decision on any review bytes, with the example production policy: the answer is
// valid JSON, and its patch applied to the original pod gives the mutated pod.
import Admission
import FuzzSupport
import JSON
import Policy
import Webhook

let policy = examplePolicy("production.yaml")

@_cdecl("fuzz_admission_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { testOneInput($0, $1) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { data.map { fuzz($0, size) } ?? 0 }

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? AdmissionRequest(body: body), let outcome = try? Decision.decide(request, policy: policy) else { return 0 }
    let answer = outcome.response.review(apiVersion: request.apiVersion)
    guard (try? JSONParser.parseFully(answer)) != nil else { fatalError("the answer is not JSON: \(String(decoding: answer, as: UTF8.self))") }
    if let mutation = outcome.mutation, !outcome.response.patch.isEmpty {
        guard let patched = try? JSONPatch.apply(outcome.response.patch, to: mutation.original) else {
            fatalError("the patch does not apply: \(outcome.response.patch)")
        }
        if patched != mutation.pod { fatalError("the patch does not give the mutated pod") }
    }
    return 0
}
