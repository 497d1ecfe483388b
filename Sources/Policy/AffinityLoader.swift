// A rule's `affinity`, read as the Pod schema types it, then checked as the apiserver would check
// it: node selector operators and their values, weights, topology keys, label selectors.
import JSON
import YAML

extension PolicyDecoder {
    func affinity(_ node: YAMLNode) -> AffinitySettings? {
        let before = d.count
        guard let value = typed(node, .object(PodSchema.affinity), "affinity") else { return nil }
        // The typing vouched for the shape; these walks find what Kubernetes would refuse.
        let f = fields(node)
        if let n = f["nodeAffinity"] {
            let na = fields(n)
            if let r = na["requiredDuringSchedulingIgnoredDuringExecution"], let terms = fields(r)["nodeSelectorTerms"] {
                let list = items(terms)
                if list.isEmpty { d.error(terms, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms must not be empty") }
                for term in list { nodeSelectorTerm(term) }
            }
            for p in items(na["preferredDuringSchedulingIgnoredDuringExecution"]) {
                let pf = fields(p)
                if let w = pf["weight"] { _ = d.int(w, "preferred term weight", min: 1, max: 100) }
                if let term = pf["preference"] { nodeSelectorTerm(term) }
            }
        }
        for kind in ["podAffinity", "podAntiAffinity"] {
            guard let a = f[kind] else { continue }
            let af = fields(a)
            for term in items(af["requiredDuringSchedulingIgnoredDuringExecution"]) { podAffinityTerm(term, kind) }
            for p in items(af["preferredDuringSchedulingIgnoredDuringExecution"]) {
                let pf = fields(p)
                if let w = pf["weight"] { _ = d.int(w, "\(kind) weight", min: 1, max: 100) }
                if let term = pf["podAffinityTerm"] { podAffinityTerm(term, kind) }
            }
        }
        return d.count == before ? AffinitySettings(value) : nil
    }

    private func fields(_ node: YAMLNode?) -> [String: YAMLNode] {
        guard case .mapping(let pairs, _)? = node else { return [:] }
        var out: [String: YAMLNode] = [:]
        for (key, value) in pairs { if let name = key.scalarText { out[name] = value } }
        return out
    }

    private func items(_ node: YAMLNode?) -> [YAMLNode] {
        if case .sequence(let items, _)? = node { return items }
        return []
    }

    private func nodeSelectorTerm(_ term: YAMLNode) {
        let f = fields(term)
        if items(f["matchExpressions"]).isEmpty && items(f["matchFields"]).isEmpty {
            d.error(term, "a node selector term needs matchExpressions or matchFields: an empty term matches no node")
        }
        for r in items(f["matchExpressions"]) { nodeRequirement(r, labelKey: true) }
        for r in items(f["matchFields"]) { nodeRequirement(r, labelKey: false) }
    }

    private func nodeRequirement(_ node: YAMLNode, labelKey: Bool) {
        let f = fields(node)
        if labelKey, let k = f["key"], let key = k.scalarText, let problem = Naming.labelKeyProblem(key) {
            d.error(k, "label key \"\(excerpt(key))\" \(problem)")
        }
        guard let o = f["operator"], let op = o.scalarText else { return }
        let values = items(f["values"])
        if setOperatorValues(op, count: values.count, operator: o, values: f["values"]) { return }
        switch op {
        case "Gt", "Lt":
            if values.count != 1 || values.first?.scalarText.flatMap(YAMLNode.decimalInteger) == nil {
                d.error(f["values"] ?? o, "operator \(op) takes exactly one value, a decimal integer")
            }
        default:
            d.error(o, "node selector operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt, got \"\(excerpt(op))\"")
        }
    }

    private func podAffinityTerm(_ term: YAMLNode, _ kind: String) {
        let f = fields(term)
        if let t = f["topologyKey"], let key = t.scalarText, let problem = Naming.labelKeyProblem(key) {
            d.error(t, "\(kind) topologyKey \"\(excerpt(key))\" \(problem)")
        }
        for name in ["matchLabelKeys", "mismatchLabelKeys"] where f[name] != nil {
            // The apiserver folds these into the labelSelector after admission: on reinvocation
            // the stored term would no longer equal the rule's, and it would be added again.
            d.error(f[name]!, "\(kind) \(name) is not for a policy: the apiserver rewrites the term after admission; write the labelSelector out instead")
        }
        if let l = f["labelSelector"] { _ = selector(l, "\(kind) labelSelector", checkValues: true) }
        if let n = f["namespaceSelector"] { _ = selector(n, "\(kind) namespaceSelector", checkValues: true) }
    }
}
