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
        var names = Set<String>()
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
                names.insert(name)
            }
        }
        return names
    }

    /// A comma-separated list, as `--priority-classes` takes it.
    public static func parse(_ list: String) -> Set<String> {
        Set(list.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty })
    }

    public static func isName(_ s: String) -> Bool { Naming.isDNSSubdomain(s) }

    /// The classes the rules name that `known` (and Kubernetes) do not have, each with the rules naming it.
    static func missing(in set: PolicySet, known: Set<String>) -> [(name: String, rules: [String])] {
        set.priorityClasses.subtracting(known).subtracting(builtIn).sorted().map { name in
            (name, set.rules.filter { rule in
                rule.set.priorityClassName == name || rule.split?.variants.contains { $0.set.priorityClassName == name } == true
            }.map(\.name))
        }
    }
}
