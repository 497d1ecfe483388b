// sparkhook's command line: serve, preview, check, test. Parses, validates and calls the libraries.
import Admission
import ArgumentParser
import Glibc
import HTTPServer
import JSON
import Policy
import PolicyTest
import Posix
import Webhook

@main
struct Sparkhook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparkhook",
        abstract: "A mutating admission webhook for Apache Spark pods.",
        version: Build.version,
        subcommands: [Serve.self, Preview.self, Check.self, Test.self, Schema.self])
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a policy: exit 0 when valid, else 1 with file:line:column: message lines.",
        discussion: """
            PATH is a policy file, a folder of them, or Kubernetes manifests: a file of many documents \
            or kustomize output (- reads standard input). Policy documents among them are one policy; \
            each policy ConfigMap (named sparkhook-policy, or with a line `kind: SparkPodPolicy` in its \
            data) is checked as the apply-time check does, at file:line:column of the manifest. Other \
            objects are skipped.
            """)

    @Option(help: "A policy file, a folder of them, or manifests holding the policy ConfigMap; - reads standard input.", completion: .file())
    var policy: String?

    @Argument(help: "The same as --policy, for `sparkhook check PATH`.", completion: .file())
    var path: String?

    @Option(help: "Manifests (a YAML file, such as kustomize's output, or a folder of them) whose PriorityClass objects, with Kubernetes' own, are the classes the cluster has: warn about a rule naming another.", completion: .file())
    var manifests: String?

    @Option(name: .customLong("priority-classes"), help: "More classes the cluster has, comma-separated (with or instead of --manifests).")
    var priorityClasses: String?

    @Flag(help: "Fail (exit 1) on a warning too, for CI.")
    var strict = false

    func validate() throws {
        guard (policy == nil) != (path == nil) else { throw ValidationError("name the policy once: --policy PATH or PATH") }
        try validatePriorityClasses(priorityClasses)
    }

    func run() throws {
        let checked: [PolicyCheck.Checked]
        do {
            var known: Set<String>? = priorityClasses.map(PriorityClasses.parse)
            if let manifests { known = (known ?? []).union(try PriorityClasses.created(at: manifests)) }
            let values = try manifests.map(PriorityClasses.values(at:)) ?? [:]
            checked = try PolicyCheck.run(path: policy ?? path!, priorityClasses: known, priorityValues: values)
        } catch let error as PolicyError {
            printError(error.description)
            throw ExitCode(1)
        }
        var failed = false
        for result in checked {
            for problem in result.problems { printError(problem.description) }
            for warning in result.warnings { printError(warning.position == nil ? "\(result.name): \(warning)" : warning.description) }
            guard let set = result.set else { failed = true; continue }
            if strict && !result.warnings.isEmpty { failed = true }
            // The hash sparkhook_policy_info{hash} will show for these files (a ConfigMap's keys as
            // the kubelet mounts them), so that an operator can tell when every replica serves them.
            let hash = result.sources.isEmpty ? (policy ?? path).flatMap { $0 == "-" ? nil : try? PolicyHash.load(path: $0).1 }
                                              : PolicyHash.of(sources: result.sources)
            print("\(result.name): valid: \(set.rules.count) rule\(set.rules.count == 1 ? "" : "s") from \(result.from)\(hash.map { ", hash \($0) (sparkhook_policy_info{hash} when served)" } ?? "")\(strict && !result.warnings.isEmpty ? " (warnings fail under --strict)" : "")")
        }
        if failed { throw ExitCode(1) }
    }
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dry run: show the patch and the mutated pod for an AdmissionReview or a Pod (JSON or YAML), or what a SparkApplication's pods get.")

    @Option(help: "A policy file, or a folder of them.", completion: .file())
    var policy: String

    @Argument(help: "An AdmissionReview, or a Pod in JSON or YAML; - reads standard input.", completion: .file())
    var file: String?

    @Option(name: .customLong("spark-application"), help: "A SparkApplication (sparkoperator.k8s.io/v1beta2): preview its driver and executors 1..N.", completion: .file())
    var sparkApplication: String?

    @Option(help: "Executors to build (default: spec.executor.instances, else spark.executor.instances in sparkConf, else dynamicAllocation.maxExecutors, else 2, Spark's default).")
    var executors: Int?

    @Option(name: .shortAndLong, help: "table (for a person) or json, with --spark-application.")
    var output: PreviewOutput = .table

    func validate() throws {
        guard (file == nil) != (sparkApplication == nil) else { throw ValidationError("name either a FILE or --spark-application") }
        if let executors, executors < 1 || executors > 100_000 { throw ValidationError("--executors must be from 1 to 100000") }
    }

    func run() throws {
        let set: PolicySet
        do { set = try PolicyLoader.load(path: policy) } catch let error as PolicyError {
            printError(error.description)
            throw ExitCode(1)
        }
        let path = sparkApplication ?? file!
        let bytes: [UInt8]
        do { bytes = try FileInput.read(path) } catch {
            printError("\(path): cannot read: \(error)")
            throw ExitCode(1)
        }
        do {
            if sparkApplication != nil {
                let document = try PreviewInput.document(bytes, format: .guess(path: path, bytes: bytes), source: path)
                let app = try SparkApplication(document)
                let result = try ApplicationPreview(app, policy: set, executors: executors ?? app.executorCount)
                print(output == .json ? result.json.pretty() : result.table, terminator: "")
                return
            }
            let source = path == "-" ? "<stdin>" : path
            let input: PreviewInput
            do { input = try PreviewInput(bytes, format: .guess(path: path, bytes: bytes), source: source) } catch {
                // What a user holds is more often a SparkApplication than a pod: say which flag reads it.
                if (try? PreviewInput.document(bytes, format: .guess(path: path, bytes: bytes), source: source))?["kind"]?.stringValue == "SparkApplication" {
                    throw AdmissionError("\(source) is a SparkApplication, not a Pod or an AdmissionReview: preview the pods it makes with --spark-application \(path)")
                }
                throw error
            }
            print(try Decision.preview(input, policy: set).pretty(), terminator: "")
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run policy test suites (kind: SparkPodPolicyTest): one line per case, then N passed, M failed; exit 1 on a failure, 2 on a file that cannot be read.")

    @Argument(help: "Test files (each runs, and says so if it is not a suite), or folders searched for SparkPodPolicyTest files, whatever their names.", completion: .file())
    var paths: [String]

    @Option(help: "Also write the results as JUnit XML to this file.", completion: .file())
    var junit: String?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one test file or folder") }
    }

    func run() throws {
        let outcome = PolicyTestRunner.run(paths: paths)
        for (_, problems) in outcome.broken { printError(problems) }
        for line in outcome.lines { print(line) }
        if let junit {
            guard FileInput.write(PolicyTestRunner.junit(outcome), to: junit) else {
                printError("\(junit): cannot write")
                throw ExitCode(2)
            }
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

/// The parts of the Pod schema that policies are checked against, as JSON: for the test that
/// compares them with a real apiserver's OpenAPI document. With --set, the fields a rule may set:
/// for the test that compares every one of them as the apiserver stores it.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Pod schema types that values under `set` are checked against.", shouldDisplay: false)

    @Flag(help: "Print the fields a rule may set, with their types, instead.")
    var set = false

    func run() throws { print((set ? SetFields.described : PodSchema.described).pretty(), terminator: "") }
}

func printError(_ text: String) {
    FileInput.writeToStandardError(text.hasSuffix("\n") ? text : text + "\n")
}

/// `--priority-classes` of check and serve: every name one a PriorityClass can have.
func validatePriorityClasses(_ list: String?) throws {
    if let list, let bad = PriorityClasses.parse(list).first(where: { !PriorityClasses.isName($0) }) {
        throw ValidationError("--priority-classes: \"\(bad)\" is not a lowercase DNS subdomain")
    }
}
