// The policy loader on any YAML text: a policy or its file:line:column errors, never a crash; a
// policy it accepts loads the same again.
import FuzzSupport
import Policy

@_cdecl("fuzz_policy_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { testOneInput($0, $1) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { data.map { fuzz($0, size) } ?? 0 }

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let set = try PolicyLoader.load(sources: [("fuzz.yaml", text)])
        let again = try PolicyLoader.load(sources: [("fuzz.yaml", text)])
        if set.rules.map(\.name) != again.rules.map(\.name) { fatalError("the same text loaded two ways") }
    } catch let error as PolicyError {
        if error.problems.isEmpty { fatalError("refused without a reason") }
    } catch {
        fatalError("unexpected error \(error)")
    }
    return 0
}
