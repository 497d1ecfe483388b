// YAML scalars that look like other types, in each kind of field a rule sets: a string field keeps
// the text as written, an integer field takes decimal integers only, and whatever is accepted is a
// value of the field's own type in the patch (never a number text JSON has no form for).
import Admission
import JSON
@testable import Policy
import XCTest

final class ScalarTypingTests: XCTestCase {
    static let lookalikes = [".5", "1e3", "0x10", "0o17", "+inf", ".nan", "yes", "no", "on", "off", "010", "1_000",
                             "1e999", "0x1p3", "true", "12", "-3", "\"quoted \\\" é\"", "'0x10'"]

    /// The probe a one-rule policy sets, with `value` in the given place of its YAML.
    func probe(_ yaml: String) throws -> (JSON?, [String]) {
        let text = "apiVersion: sparkhook.io/v1alpha1\nkind: SparkPodPolicy\nmetadata: {name: p}\nspec:\n  rules:\n" +
            "    - name: r\n      set:\n        probes:\n          liveness: \(yaml)\n"
        do {
            let set = try PolicyLoader.load(sources: [("p.yaml", text)])
            return (set.rules[0].set.probes?[.liveness], [])
        } catch let error as PolicyError {
            return (nil, error.problems.map(\.description))
        }
    }

    /// The text YAML gives the scalar as written (quotes and escapes undone).
    func written(_ scalar: String) -> String {
        if scalar.hasPrefix("\"") { return "quoted \" é" }
        if scalar.hasPrefix("'") { return "0x10" }
        return scalar
    }

    func testStringFieldsKeepTheTextAsWritten() throws {
        for s in Self.lookalikes {
            let (value, problems) = try probe("{httpGet: {path: /, port: 4040, host: \(s), httpHeaders: [{name: x, value: \(s)}]}}")
            XCTAssertEqual(problems, [], s)
            XCTAssertEqual(value?["httpGet", "host"], .string(written(s)), s)
            XCTAssertEqual(value?["httpGet", "httpHeaders"]?.arrayValue?.first?["value"], .string(written(s)), s)
            let (exec, _) = try probe("{exec: {command: [sh, \(s)]}}")
            XCTAssertEqual(exec?["exec", "command"], ["sh", .string(written(s))], s)
        }
    }

    func testANullInAStringFieldIsAnError() throws {
        for s in ["~", "null", "Null", ""] {
            let (_, problems) = try probe("{httpGet: {path: /, port: 4040, host: \(s)}}")
            XCTAssertEqual(problems, ["p.yaml:9:59: probes.liveness.httpGet.host must be a string, not null"], s)
        }
    }

    func testIntegerFieldsTakeDecimalIntegersOnly() throws {
        for s in Self.lookalikes {
            let (value, problems) = try probe("{tcpSocket: {port: 7078}, periodSeconds: \(s)}")
            if s == "12" {
                XCTAssertEqual(problems, [])
                XCTAssertEqual(value?["periodSeconds"], 12)
            } else if s == "-3" {
                XCTAssertEqual(problems, ["p.yaml:9:62: probes.liveness.periodSeconds must be at least 1, got -3"])
            } else {
                XCTAssertEqual(problems.count, 1, s)
                XCTAssertEqual(problems.first, "p.yaml:9:62: probes.liveness.periodSeconds must be a decimal integer, not \"\(written(s))\"", s)
            }
        }
    }

    func testAPortIsANumberOrAName() throws {
        let (number, _) = try probe("{tcpSocket: {port: 7078}}")
        XCTAssertEqual(number?["tcpSocket", "port"], 7078)
        for s in ["yes", "1e3", "http"] {  // names, however they look
            XCTAssertEqual(try probe("{tcpSocket: {port: \(s)}}").0?["tcpSocket", "port"], .string(s), s)
        }
        XCTAssertEqual(try probe("{tcpSocket: {port: 0x10}}").1, ["p.yaml:9:40: tcpSocket.port must be a decimal integer, not \"0x10\""])
        for s in ["\"4040\"", ".5", "a.b"] {
            let (_, problems) = try probe("{tcpSocket: {port: \(s)}}")
            XCTAssertEqual(problems.count, 1, s)
            XCTAssertTrue(problems.first?.contains("is neither a port number nor a valid port name") == true, "\(s): \(problems)")
        }
    }

    func testEveryAcceptedValueIsJSONTheApiserverCanRead() throws {
        for s in Self.lookalikes {
            for yaml in ["{httpGet: {path: /, port: 4040, host: \(s)}}", "{exec: {command: [\(s)]}}", "{tcpSocket: {port: 1}, periodSeconds: \(s)}"] {
                guard let value = try probe(yaml).0 else { continue }
                XCTAssertNil(value.firstInvalidNumber(), yaml)
                XCTAssertEqual(try JSONParser.parseFully(value.serialized()), value, yaml)
            }
        }
    }
}
