// Probes set on Spark's container: a probe that names a port the container lacks is not set.
import JSON

extension Mutator.State {
    mutating func setProbes(_ probes: Probes, _ rule: Rule, _ changed: inout [String]) {
        let kinds = Probes.Kind.allCases.filter { probes[$0] != nil }
        guard !kinds.isEmpty else { return }
        decodeOnce("containers")
        var containers = spec["containers"]?.arrayValue ?? []
        guard let index = SparkPod.mainContainer(in: containers, named: probes.container),
              var container = containers[index].objectValue else {
            let which = probes.container.map { "container \"\($0)\"" } ?? "Spark's container"
            warnings.append("rule \(rule.name): \(which) not found in the pod; probes not set")
            return
        }
        let name = container["name"]?.stringValue ?? ""
        let original = originalSpec["containers"]?.arrayValue?.first { $0["name"]?.stringValue == name }
        for kind in kinds {
            let probe = probes[kind]!
            let current = container[kind.field]
            if let current, current.contains(probe) { continue }
            if let port = Self.namedPort(probe), !Self.containerHasPort(container, named: port) {
                warnings.append("rule \(rule.name): container \(name) has no port named \"\(port)\"; \(kind.field) not set")
                continue
            }
            let pointer = "/spec/containers/\(index)/\(kind.field)"
            let creatorSet = original?[kind.field] != nil
            guard mayWrite(pointer, creatorSet: creatorSet, rule, what: "\(kind.field) of \(name)", current: nil) else { continue }
            container[kind.field] = probe
            setByUs.append(pointer)
            changed.append(pointer)
        }
        containers[index] = .object(container)
        spec["containers"] = .array(containers)
    }

    static func namedPort(_ probe: JSON) -> String? {
        for handler in ["httpGet", "tcpSocket"] {
            if let port = probe[handler]?["port"]?.stringValue { return port }
        }
        return nil
    }

    static func containerHasPort(_ container: JSONObject, named name: String) -> Bool {
        container["ports"]?.arrayValue?.contains { $0["name"]?.stringValue == name } ?? false
    }
}
