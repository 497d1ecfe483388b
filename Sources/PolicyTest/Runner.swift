// Runs the suites under some paths: one line per case, `N passed, M failed` at the end, and the
// JUnit XML CI systems read.
import Policy
import Posix
import YAML

public enum PolicyTestRunner {
    public struct Outcome {
        public var lines: [String] = []
        public var results: [CaseResult] = []
        /// Files that could not be read or parsed, with their file:line:column problems.
        public var broken: [(file: String, problems: String)] = []
        public var passed: Int { results.filter(\.passed).count }
        public var failed: Int { results.count - passed }
        /// 0 all passed, 1 a case failed, 2 a file could not be read or parsed.
        public var exitCode: Int32 { !broken.isEmpty ? 2 : failed > 0 ? 1 : 0 }
    }

    public static func run(paths: [String]) -> Outcome {
        var outcome = Outcome()
        for path in paths {
            guard let files = suites(under: path) else {
                outcome.broken.append((path, "\(path): no such file or folder"))
                continue
            }
            if files.isEmpty { outcome.broken.append((path, "\(path): no \(TestSuite.kind) suites in this folder")) }
            for file in files {
                do {
                    let suite = try TestSuite(file: file)
                    for result in suite.run() {
                        outcome.results.append(result)
                        outcome.lines.append(result.passed ? "ok   \(file): \(result.name)"
                                                           : "FAIL \(file): \(result.name): " + result.problems.joined(separator: "; "))
                    }
                } catch {
                    outcome.broken.append((file, "\(error)"))
                }
            }
        }
        outcome.lines.append("\(outcome.passed) passed, \(outcome.failed) failed")
        return outcome
    }

    /// JUnit XML: a testsuite per file, a testcase per case, a failure with what differed.
    public static func junit(_ outcome: Outcome) -> String {
        var files: [String] = []
        for r in outcome.results where !files.contains(r.file) { files.append(r.file) }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"sparkhook\" tests=\"\(outcome.results.count)\" failures=\"\(outcome.failed)\" errors=\"\(outcome.broken.count)\">\n"
        for file in files {
            let cases = outcome.results.filter { $0.file == file }
            xml += "  <testsuite name=\"\(escape(file))\" tests=\"\(cases.count)\" failures=\"\(cases.filter { !$0.passed }.count)\">\n"
            for c in cases {
                xml += "    <testcase classname=\"\(escape(file))\" name=\"\(escape(c.name))\""
                if c.passed {
                    xml += "/>\n"
                } else {
                    let message = c.problems.joined(separator: "; ")
                    xml += ">\n      <failure message=\"\(escape(message))\">\(escape(message))</failure>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        for (file, problems) in outcome.broken {
            xml += "  <testsuite name=\"\(escape(file))\" tests=\"0\" errors=\"1\">\n    <error message=\"\(escape(problems))\"/>\n  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            default: if c.value >= 0x20 || c == "\t" { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
