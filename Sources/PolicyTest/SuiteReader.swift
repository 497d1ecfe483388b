// Reads a SparkPodPolicyTest document into cases, every problem at its file:line:column. Paths in
// it (the policy, each case's pod) are relative to the test file.
import Admission
import JSON
import Policy
import Posix
import Webhook
import YAML

struct SuiteReader {
    let file: String
    /// The policy's own reader, so a suite is read by the same rules as the policy it tests.
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

    func error(_ node: YAMLNode, _ message: String) { d.error(node, message) }

    func fields(_ node: YAMLNode, _ what: String, known: [String]) -> Fields? { d.mapping(node, what, known: known) }

    func string(_ node: YAMLNode, _ what: String) -> String? { d.string(node, what) }

    func strings(_ node: YAMLNode, _ what: String) -> [String]? { d.stringList(node, what)?.map(\.0) }

    func pointer(_ node: YAMLNode) -> JSONPointer? {
        guard let text = string(node, "a JSON pointer") else { return nil }
        do { return try JSONPointer(parsing: text) } catch {
            self.error(node, "\"\(excerpt(text))\" is not a JSON pointer (RFC 6901: empty, or /-separated tokens)")
            return nil
        }
    }

    /// The suite's policy path and its cases.
    func suite(_ node: YAMLNode) -> (String?, [TestCase]) {
        guard let f = fields(node, "test file", known: ["apiVersion", "kind", "metadata", "policy", "cases"]) else { return (nil, []) }
        if let v = f["apiVersion"], string(v, "apiVersion") != PolicyLoader.apiVersion {
            error(v, "apiVersion must be \(PolicyLoader.apiVersion)")
        }
        if let k = f["kind"], string(k, "kind") != TestSuite.kind { error(k, "kind must be \(TestSuite.kind)") }
        for required in ["apiVersion", "kind", "policy", "cases"] where f[required] == nil {
            error(node, "test file is missing \"\(required)\"")
        }
        let policy = f["policy"].flatMap { string($0, "policy") }.map(resolve)
        if let p = policy, FileInput.kind(p) == nil, let node = f["policy"] { error(node, "policy \(p) does not exist") }
        guard let c = f["cases"] else { return (policy, []) }
        guard case .sequence(let items, _) = c else {
            error(c, "cases must be a list, not a \(c.kindName)")
            return (policy, [])
        }
        if items.isEmpty { error(c, "cases is empty: the file would test nothing") }
        var names = Set<String>()
        var cases: [TestCase] = []
        for item in items {
            guard let testCase = self.testCase(item) else { continue }
            if !names.insert(testCase.name).inserted { error(item, "duplicate case name \"\(excerpt(testCase.name))\"") }
            cases.append(testCase)
        }
        return (policy, cases)
    }

    func testCase(_ node: YAMLNode) -> TestCase? {
        guard let f = fields(node, "case", known: ["name", "pod", "object", "executors", "namespace", "expect"]) else { return nil }
        guard let nameNode = f["name"], let name = string(nameNode, "case name") else {
            if f["name"] == nil { error(node, "a case needs a name") }
            return nil
        }
        var podNode = f["pod"], executors: Int? = nil
        if let e = f["executors"], let ef = fields(e, "executors", known: ["pod", "count"]) {
            podNode = ef["pod"]
            if let countNode = ef["count"], case .scalar(let text, .plain, _, _) = countNode, let n = YAMLNode.decimalInteger(text), n >= 1, n <= 100_000 {
                executors = n
            } else {
                error(ef["count"] ?? e, "executors.count must be a decimal integer from 1 to 100000")
            }
            if ef["pod"] == nil { error(e, "executors needs a pod") }
        }
        let sources = [podNode != nil, f["object"] != nil].filter { $0 }.count
        if sources != 1 { error(node, "a case names its pod once: pod, object or executors.pod") }
        var input: PreviewInput?
        if let p = podNode, let path = string(p, "pod") {
            let full = resolve(path)
            do {
                let bytes = try FileInput.read(full, max: PolicyLoader.maxFileBytes)
                input = try PreviewInput(bytes, format: .guess(path: full, bytes: bytes), source: full)
            } catch {
                self.error(p, "pod \(path): \(excerpt("\(error)", max: 300))")
            }
        } else if let o = f["object"] {
            do {
                let object = try o.json(file: file)
                input = try PreviewInput(object.serialized(), format: .json, source: file)
            } catch let problem as YAMLError {
                d.add(problem)
            } catch {
                self.error(o, "object: \(excerpt("\(error)", max: 300))")
            }
        }
        var c = TestCase(name: name, mark: node.mark, input: input ?? (try! PreviewInput(Array("{\"kind\":\"Pod\"}".utf8), format: .json, source: "")),
                         namespace: f["namespace"].flatMap { string($0, "namespace") }, executors: executors)
        guard let e = f["expect"] else {
            error(node, "case \"\(excerpt(name))\" has no expect: it would test nothing")
            return c
        }
        guard let x = fields(e, "expect", known: ["applied", "fields", "absent", "warnings", "warningsContain", "variants"]) else { return c }
        if executors != nil {
            for key in ["applied", "fields", "absent", "warnings", "warningsContain"] where x[key] != nil {
                error(x[key]!, "an executors case expects variants only")
            }
            guard let v = x["variants"], case .mapping(let rules, _) = v else {
                error(e, "an executors case needs expect.variants: {rule: {variant: count}}")
                return c
            }
            for (ruleNode, countsNode) in rules {
                guard let rule = ruleNode.scalarText, case .mapping(let pairs, _) = countsNode else {
                    error(countsNode, "variants maps a rule to {variant: count}")
                    continue
                }
                var counts: [(String, Int)] = []
                for (variantNode, countNode) in pairs {
                    guard let variant = variantNode.scalarText, case .scalar(let text, .plain, _, _) = countNode, let n = YAMLNode.decimalInteger(text), n >= 0 else {
                        error(countNode, "a variant's count must be a decimal integer, 0 or more")
                        continue
                    }
                    counts.append((variant, n))
                }
                c.variants.append((rule, counts))
            }
            return c
        }
        if x["variants"] != nil { error(x["variants"]!, "variants are for an executors case") }
        c.applied = x["applied"].flatMap { strings($0, "expect.applied") }
        if let fl = x["fields"] {
            if case .mapping(let pairs, _) = fl {
                for (key, value) in pairs {
                    guard let p = pointer(key) else { continue }
                    do { c.fields.append((p, try value.json(file: file), key.scalarText ?? "")) } catch let problem as YAMLError { d.add(problem) } catch {}
                }
            } else {
                error(fl, "expect.fields maps JSON pointers to values")
            }
        }
        if let a = x["absent"], case .sequence(let items, _) = a {
            for item in items { if let p = pointer(item) { c.absent.append((p, item.scalarText ?? "")) } }
        } else if let a = x["absent"] {
            error(a, "expect.absent must be a list of JSON pointers")
        }
        c.warnings = x["warnings"].flatMap { strings($0, "expect.warnings") }
        c.warningsContain = x["warningsContain"].flatMap { strings($0, "expect.warningsContain") } ?? []
        return c
    }
}
