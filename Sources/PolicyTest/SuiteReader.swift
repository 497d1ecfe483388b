// Reads a SparkPodPolicyTest document into cases with the policy's own reader (SchemaReader, the
// same Diagnostics): typed by the suite's schema below, checked, then turned into cases. Paths in
// it (the policy, each case's pod) are relative to the test file.
import Admission
import JSON
import Policy
import Posix
import Webhook
import YAML

enum SuiteSchema {
    static let executors = SchemaObject("Executors", [("pod", .string), ("count", .int64)], required: ["pod", "count"], label: "executors")

    static let expect = SchemaObject("Expect", [
        ("applied", .list(.string)), ("matchedUnchanged", .list(.string)), ("fields", .map(.any)), ("absent", .list(.string)),
        ("warnings", .list(.string)), ("warningsContain", .list(.string)), ("variants", .map(.map(.int64))),
    ], label: "expect")

    static let testCase = SchemaObject("Case", [
        ("name", .string), ("pod", .string), ("object", .any), ("executors", .object(executors)),
        ("namespace", .string), ("expect", .object(expect)),
    ], required: ["name"], label: "case")

    static let document = SchemaObject(TestSuite.kind, [
        ("apiVersion", .string), ("kind", .string), ("metadata", .any), ("policy", .string), ("cases", .list(.object(testCase))),
    ], required: ["apiVersion", "kind", "policy", "cases"], label: "test file", flat: true)

    static let checks: SchemaChecks = [
        TestSuite.kind: { t, d in
            for (field, expected) in [("apiVersion", PolicyLoader.apiVersion), ("kind", TestSuite.kind)] {
                if let v = t[field], let text = v.string, text != expected { d.error(v.node, "\(field) must be \(expected)") }
            }
            if let c = t["cases"], c.whole?.isEmpty == true { d.error(c.node, "cases is empty: the file would test nothing") }
            var names = Set<String>()
            for c in t["cases"]?.items ?? [] {
                if let name = c["name"]?.string, !names.insert(name).inserted { d.error(c.node, "duplicate case name \"\(excerpt(name))\"") }
            }
        },
        "Case": { t, d in
            let sources = [t.has("pod"), t.has("object"), t.has("executors")].filter { $0 }.count
            if sources != 1 { d.error(t.node, "a case names its pod once: pod, object or executors.pod") }
            guard let x = t["expect"] else {
                if !t.has("expect") { d.error(t.node, "case \"\(excerpt(t["name"]?.string ?? ""))\" has no expect: it would test nothing") }
                return
            }
            if t.has("executors") {
                for key in ["applied", "matchedUnchanged", "fields", "absent", "warnings", "warningsContain"] where x.has(key) {
                    d.error(x.keyNode(key)!, "an executors case expects variants only")
                }
                if !x.has("variants") { d.error(x.node, "an executors case needs expect.variants: {rule: {variant: count}}") }
            } else if x.has("variants") {
                d.error(x.keyNode("variants")!, "variants are for an executors case")
            }
        },
        "Executors": { t, d in
            if let c = t["count"], let n = c.int, n < 1 || n > 100_000 { d.error(c.node, "executors.count must be from 1 to 100000, got \(n)") }
        },
        "Expect": { t, d in
            for entry in t["fields"]?.entries ?? [] where pointer(entry.key) == nil { notAPointer(entry.key, entry.keyNode, d) }
            for (text, at) in t["absent"]?.strings ?? [] where pointer(text) == nil { notAPointer(text, at.node, d) }
            for rule in t["variants"]?.entries ?? [] {
                for variant in rule.value?.entries ?? [] {
                    if let c = variant.value, let n = c.int, n < 0 { d.error(c.node, "a variant's count must be 0 or more, got \(n)") }
                }
            }
        },
    ]

    static func pointer(_ text: String) -> JSONPointer? { try? JSONPointer(parsing: text) }

    static func notAPointer(_ text: String, _ node: YAMLNode, _ d: Diagnostics) {
        d.error(node, "\"\(excerpt(text))\" is not a JSON pointer (RFC 6901: empty, or /-separated tokens)")
    }
}

struct SuiteReader {
    let file: String
    let d: Diagnostics

    init(file: String) {
        self.file = file
        d = Diagnostics(file: file)
    }

    /// What was wrong, with a last line for problems past the cap.
    var problems: [YAMLError] { d.report }

    private var directory: String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return String(file[..<slash])
    }

    private func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }

    /// The suite's policy path and its cases.
    func suite(_ node: YAMLNode) -> (String?, [TestCase]) {
        guard let t = SchemaReader(d, checks: SuiteSchema.checks).read(node, .object(SuiteSchema.document), "test file") else { return (nil, []) }
        let policy = t["policy"]?.string.map(resolve)
        if let p = policy, FileInput.kind(p) == nil, let at = t["policy"] { d.error(at.node, "policy \(p) does not exist") }
        return (policy, (t["cases"]?.items ?? []).compactMap(testCase))
    }

    func testCase(_ t: Typed) -> TestCase? {
        guard let name = t["name"]?.string else { return nil }
        var input: PreviewInput?
        if let p = t["pod"] ?? t["executors"]?["pod"], let path = p.string {
            let full = resolve(path)
            do {
                let bytes = try FileInput.read(full, max: PolicyLoader.maxFileBytes)
                input = try PreviewInput(bytes, format: .guess(path: full, bytes: bytes), source: full)
            } catch {
                d.error(p.node, "pod \(path): \(excerpt("\(error)", max: 300))")
            }
        } else if let o = t["object"] {
            do { input = try PreviewInput(o.json.serialized(), format: .json, source: file) } catch {
                d.error(o.node, "object: \(excerpt("\(error)", max: 300))")
            }
        }
        var c = TestCase(name: name, mark: t.node.mark, input: input ?? (try! PreviewInput(Array("{\"kind\":\"Pod\"}".utf8), format: .json, source: "")),
                         namespace: t["namespace"]?.string, executors: t["executors"]?["count"]?.int)
        guard let x = t["expect"] else { return c }
        // Explicit loops, not nested map/compactMap closures: Swift 6.3.1's optimizer crashes on the
        // closure form (SIL ownership verifier, signal 6) in release builds only; debug built fine,
        // which is how a broken release build once went unnoticed. `make release` in CI guards it.
        var variants: [(String, [(String, Int)])] = []
        for rule in x["variants"]?.entries ?? [] {
            var counts: [(String, Int)] = []
            for v in rule.value?.entries ?? [] {
                if let n = v.value?.int { counts.append((v.key, n)) }
            }
            variants.append((rule.key, counts))
        }
        c.variants = variants
        c.applied = x["applied"]?.strings.map(\.0)
        c.matchedUnchanged = x["matchedUnchanged"]?.strings.map(\.0)
        c.fields = (x["fields"]?.entries ?? []).compactMap { e in
            guard let p = SuiteSchema.pointer(e.key), let value = e.value else { return nil }
            return (p, value.json, e.key)
        }
        c.absent = (x["absent"]?.strings ?? []).compactMap { text, _ in SuiteSchema.pointer(text).map { ($0, text) } }
        c.warnings = x["warnings"]?.strings.map(\.0)
        c.warningsContain = x["warningsContain"]?.strings.map(\.0) ?? []
        return c
    }
}
