// Micro-benchmark of one admission decision: decode the review, match, mutate, diff, encode the
// response. For each fixture and policy: median and p99 time per decision, and heap allocations
// per decision. Usage: sparkhook-bench [--iterations N] [--fixtures DIR] [--policy FILE]...
import Admission
import CMallocCounter
import Glibc
import JSON
import Policy
import Posix
import Webhook

func now() -> UInt64 { TimeSource.monotonicNanos() }

/// A plain message on stderr and exit status 1: a missing file is a usage problem, not a crash.
func fail(_ message: String) -> Never {
    FileInput.writeToStandardError("sparkhook-bench: \(message)\n")
    exit(1)
}

func readBytes(_ path: String) -> [UInt8] {
    do { return try FileInput.read(path) } catch { fail("cannot read \(path): \(error)") }
}

func listJSON(_ dir: String) -> [String] {
    guard let names = FileInput.entries(dir) else { fail("cannot open \(dir)") }
    return names.filter { $0.hasSuffix(".json") }.map { dir + "/" + $0 }
}

/// `count` rules that match no fixture pod (team namespaces, app names, labels), in front of a
/// policy's own rules: what passing over rules costs.
func nonMatchingRules(_ count: Int) -> String {
    var text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: teams}\nspec:\n  rules:\n"
    for i in 0..<count {
        let match: String
        switch i % 3 {
        case 0: match = "{namespaces: [\"team-\(i)-*\"]}"
        case 1: match = "{appNames: [\"team-\(i)-*\"], roles: [executor, driver]}"
        default: match = "{podLabels: {team: t\(i)}}"
        }
        text += "    - {name: team-\(i), match: \(match), set: {priorityClassName: team-\(i), nodeSelector: {pool: team-\(i)}}}\n"
    }
    return text
}

let usage = """
    usage: sparkhook-bench [--iterations N] [--fixtures DIR] [--policy FILE]... [--no-large] [--untimed]
      --iterations N   decisions per fixture and policy (default 20000); the median and p99 are printed
      --fixtures DIR   AdmissionReview JSON files (default bench/fixtures)
      --policy FILE    policy to decide with, repeatable (default examples/production.yaml)
      --no-large       skip the 500-rule policy built from the first policy
      --untimed        read no clock and sort no samples (for counting instructions: both vary
                       with the machine, and the sort's cost grows faster than the decisions)
    """

var iterations = 20_000
var fixturesDir = "bench/fixtures"
var policies: [String] = []
var includeLarge = true
var timed = true
var args = CommandLine.arguments.dropFirst()
while let flag = args.popFirst() {
    switch flag {
    case "--iterations": iterations = Int(args.popFirst() ?? "") ?? iterations
    case "--fixtures": fixturesDir = args.popFirst() ?? fixturesDir
    case "--policy": policies.append(args.popFirst() ?? "")
    case "--no-large": includeLarge = false
    case "--untimed": timed = false
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        FileInput.writeToStandardError("sparkhook-bench: unknown flag \(flag)\n\(usage)\n")
        exit(2)
    }
}
if policies.isEmpty { policies = ["examples/production.yaml"] }

var sets: [(String, PolicySet)] = []
do {
    for path in policies { sets.append((path, try PolicyLoader.load(path: path))) }
    if includeLarge, let first = policies.first {
        let text = String(decoding: readBytes(first), as: UTF8.self)
        sets.append(("500 more rules, none matching", try PolicyLoader.load(sources: [("teams.yaml", nonMatchingRules(500)), (first, text)])))
    }
} catch {
    fail("\(error)")
}

print("Admission decision (decode, match, mutate, diff, encode), \(iterations) iterations each, medians")
print(String(repeating: "-", count: 110))
// A value wider than its column still gets one space: a slow run (a p99 of 10 ms and more) must not
// run two columns together.
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
print(pad("policy", 32) + pad("fixture", 40) + lpad("median", 10) + lpad("p99", 10) + lpad("allocs", 9) + lpad("bytes", 8))
for (name, set) in sets {
    for fixture in listJSON(fixturesDir) {
        let body = readBytes(fixture)
        var samples = [UInt64](repeating: 0, count: iterations)
        var outBytes = 0
        for _ in 0..<min(2000, iterations) {  // warm up
            outBytes = (try? Decision.decide(body: body, policy: set))?.response.review(apiVersion: "admission.k8s.io/v1").count ?? 0
        }
        let allocsBefore = cmalloc_count()
        if timed {
            for i in 0..<iterations {
                let t0 = now()
                let outcome = try Decision.decide(body: body, policy: set)
                let answer = outcome.response.review(apiVersion: outcome.request.apiVersion)
                samples[i] = now() - t0
                outBytes = answer.count
            }
        } else {
            for _ in 0..<iterations {
                let outcome = try Decision.decide(body: body, policy: set)
                outBytes = outcome.response.review(apiVersion: outcome.request.apiVersion).count
            }
        }
        let allocs = Double(cmalloc_count() - allocsBefore) / Double(iterations)
        if timed { samples.sort() }
        let median = Double(samples[iterations / 2]) / 1000
        let p99 = Double(samples[iterations * 99 / 100]) / 1000
        let fixtureName = String(fixture.split(separator: "/").last!)
        print(pad(String(name.suffix(31)), 32) + pad(fixtureName, 40) + lpad(timed ? format2(median) + "us" : "-", 10)
              + lpad(timed ? format2(p99) + "us" : "-", 10) + lpad(String(Int(allocs.rounded())), 9) + lpad(String(outBytes), 8))
    }
}

func format2(_ v: Double) -> String {
    let scaled = (v * 100).rounded() / 100
    var s = String(scaled)
    if let dot = s.firstIndex(of: ".") , s.distance(from: dot, to: s.endIndex) == 2 { s += "0" }
    return s
}
