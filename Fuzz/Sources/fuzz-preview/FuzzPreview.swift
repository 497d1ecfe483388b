// /preview's input on any bytes, read as JSON or YAML (the first byte picks): a preview that is
// valid JSON, or an error, never a crash.
import Admission
import FuzzSupport
import JSON
import Policy
import Webhook

let policy = examplePolicy("production.yaml")

@_cdecl("fuzz_preview_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { testOneInput($0, $1) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { data.map { fuzz($0, size) } ?? 0 }

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let format: InputFormat = data[0] & 1 == 0 ? .json : .yaml
    guard let input = try? PreviewInput(bytes, format: format, source: "fuzz"),
          let preview = try? Decision.preview(input, policy: policy) else { return 0 }
    let text = preview.serialized()
    guard (try? JSONParser.parseFully(text)) != nil else { fatalError("the preview is not JSON: \(String(decoding: text, as: UTF8.self))") }
    return 0
}
