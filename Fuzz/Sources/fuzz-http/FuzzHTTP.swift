// The HTTP request parser on any bytes, whole and split into reads at points the input picks:
// both must give the same requests and errors, in the same order.
import FuzzSupport
import HTTPServer

struct Outcome: Equatable {
    var method = "", path = "", query = "", body: [UInt8] = [], keepAlive = false, status = 0
}

/// Every event of `bytes` fed as reads ending at `cuts` (and at the end), in order.
func events(_ bytes: [UInt8], cuts: [Int]) -> [Outcome] {
    var limits = HTTPLimits()
    limits.maxBodyBytes = 1 << 16
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    var start = 0
    var out: [Outcome] = []
    for end in cuts + [bytes.count] where end >= buffer.count {
        buffer.append(contentsOf: bytes[buffer.count..<end])
        loop: while true {
            switch parser.parse(buffer, &start) {
            case .needMore: break loop
            case .expectContinue: continue
            case .request(let r):
                out.append(Outcome(method: r.method, path: r.path, query: r.query, body: r.body, keepAlive: r.keepAlive))
            case .error(let e):
                out.append(Outcome(status: e.status))
                return out  // the connection closes after an error
            }
        }
    }
    return out
}

@_cdecl("fuzz_http_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { testOneInput($0, $1) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { data.map { fuzz($0, size) } ?? 0 }

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    // The first byte picks the reads: a cut every (byte % 13 + 1) bytes.
    let step = Int(data[0] % 13) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = events(bytes, cuts: [])
    let split = events(bytes, cuts: Array(stride(from: step, to: bytes.count, by: step)))
    if whole != split { fatalError("split reads disagree with one read: \(whole) vs \(split)") }
    return 0
}
