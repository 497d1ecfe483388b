// The priority classes a cluster has, as far as a policy check can know: the ones Kubernetes
// creates itself and the PriorityClass objects of the manifests given. The apiserver refuses a
// pod whose class does not exist, so a rule naming another class is worth a warning.
import YAML

public enum PriorityClasses {
    /// Created by every kube-apiserver.
    public static let builtIn: Set<String> = ["system-cluster-critical", "system-node-critical"]

    /// The names of the PriorityClass documents in the YAML files at `path` (a file, or a folder's
    /// files such as manifests/base or kustomize output saved to a file).
    public static func created(at path: String) throws -> Set<String> {
        Set(try declared(at: path).map(\.name))
    }

    /// The values of the PriorityClass documents at `path` that give one (an integer), with the
    /// values of Kubernetes' own classes: what the check of drivers above executors compares.
    public static func values(at path: String) throws -> [String: Int] {
        var values = builtInValues
        for (name, value) in try declared(at: path) { if let value { values[name] = value } }
        return values
    }

    static let builtInValues = ["system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000]

    private static func declared(at path: String) throws -> [(name: String, value: Int?)] {
        var classes: [(name: String, value: Int?)] = []
        for file in try PolicyLoader.files(at: path, what: "manifests") where file.hasSuffix(".yaml") || file.hasSuffix(".yml") || file == path {
            let bytes = try PolicyLoader.read(file)
            let documents: [YAMLNode]
            do { documents = try YAMLParser(text: String(decoding: bytes, as: UTF8.self), file: file).documents() } catch let error as YAMLError {
                throw PolicyError(problems: [error])
            }
            for document in documents {
                guard case .mapping(let pairs, _) = document,
                      pairs.contains(where: { $0.key.scalarText == "kind" && $0.value.scalarText == "PriorityClass" }),
                      case .mapping(let metadata, _)? = pairs.first(where: { $0.key.scalarText == "metadata" })?.value,
                      let name = metadata.first(where: { $0.key.scalarText == "name" })?.value.scalarText else { continue }
                classes.append((name, pairs.first { $0.key.scalarText == "value" }?.value.scalarText.flatMap { Int($0) }))
            }
        }
        return classes
    }

    /// A comma-separated list, as `--priority-classes` takes it.
    public static func parse(_ list: String) -> Set<String> {
        Set(list.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty })
    }

    public static func isName(_ s: String) -> Bool { Naming.isDNSSubdomain(s) }

    /// Rules that give drivers a class not above a class another (or the same) rule gives
    /// executors, where `values` has both: preemption should take an executor, never the driver
    /// whose loss fails the whole job. Each with the rule giving executors theirs.
    static func driversNotAbove(in set: PolicySet, values: [String: Int]) -> [(rule: Int, driver: String, executor: String, by: String)] {
        func reaches(_ rule: Rule, _ role: SparkRole) -> Bool { rule.match.roles?.contains(role) ?? true }
        var executorClasses: [(name: String, rule: String)] = []
        for rule in set.rules where reaches(rule, .executor) {
            for name in ([rule.set.priorityClassName] + rule.variantSettings.map(\.priorityClassName)).compactMap({ $0 })
            where !executorClasses.contains(where: { $0.name == name }) {
                executorClasses.append((name, rule.name))
            }
        }
        var found: [(rule: Int, driver: String, executor: String, by: String)] = []
        for (i, rule) in set.rules.enumerated() where reaches(rule, .driver) {
            guard let driver = rule.set.priorityClassName, let driverValue = values[driver] else { continue }
            for executor in executorClasses {
                guard let executorValue = values[executor.name], driverValue <= executorValue else { continue }
                found.append((i, driver, executor.name, executor.rule))
            }
        }
        return found
    }

    /// The classes the rules name that `known` (and Kubernetes) do not have, each with the rules naming it.
    static func missing(in set: PolicySet, known: Set<String>) -> [(name: String, rules: [String])] {
        set.priorityClasses.subtracting(known).subtracting(builtIn).sorted().map { name in
            (name, set.rules.filter { rule in
                rule.set.priorityClassName == name || rule.split?.variants.contains { $0.set.priorityClassName == name } == true
            }.map(\.name))
        }
    }
}
