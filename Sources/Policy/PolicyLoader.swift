// Loads a policy path (a file, or a folder such as a mounted ConfigMap) into a PolicySet,
// reporting every problem as file:line:column.
import Admission
import JSON
import Posix
import YAML

public enum PolicyLoader {
    public static let apiVersion = "sparkhook.io/v1alpha1"
    public static let kind = "SparkPodPolicy"
    /// The largest policy file read. A ConfigMap holds at most 1 MiB in all.
    public static let maxFileBytes = 4 * 1024 * 1024

    /// The policy files under `path`: the file itself, or a folder's regular files in name order,
    /// skipping hidden entries (a ConfigMap volume's `..data` and `..2024_...` folders among them).
    public static func files(at path: String) throws -> [String] {
        do { return try FileInput.files(at: path) } catch {
            throw PolicyError(problems: [YAMLError(file: path, mark: Mark(line: 0, column: 0), message: "cannot read policy: \(error)")])
        }
    }

    public static func load(path: String) throws -> PolicySet {
        let paths = try files(at: path)
        var sources: [(file: String, text: String)] = []
        for file in paths {
            let bytes: [UInt8]
            do { bytes = try FileInput.read(file, max: maxFileBytes) } catch {
                throw PolicyError(problems: [YAMLError(file: file, mark: Mark(line: 0, column: 0), message: "cannot read file: \(error)")])
            }
            sources.append((file, String(decoding: bytes, as: UTF8.self)))
        }
        return try load(sources: sources, emptyIs: path)
    }

    /// Parses and validates policy texts given as (file name, YAML text), in order.
    public static func load(sources: [(file: String, text: String)], emptyIs path: String = "policy") throws -> PolicySet {
        var problems: [YAMLError] = []
        var rules: [Rule] = []
        var seen: [String: (file: String, mark: Mark)] = [:]
        var documents = 0
        for (file, text) in sources {
            let diagnostics = Diagnostics(file: file)
            let nodes: [YAMLNode]
            do {
                nodes = try YAMLParser(text: text, file: file).documents()
            } catch let error as YAMLError {
                problems.append(error)
                continue
            }
            for node in nodes {
                documents += 1
                for (rule, nameNode) in PolicyDecoder(diagnostics).document(node) {
                    if let first = seen[rule.name] {
                        diagnostics.error(nameNode, "duplicate rule name \"\(rule.name)\"; first defined at \(first.file):\(first.mark)")
                    } else {
                        seen[rule.name] = (file, nameNode.mark)
                        rules.append(rule)
                    }
                }
            }
            problems += diagnostics.report
        }
        if documents == 0 && problems.isEmpty {
            problems.append(YAMLError(file: path, mark: Mark(line: 1, column: 1), message: "no \(kind) documents found"))
        }
        guard problems.isEmpty else { throw PolicyError(problems: problems) }
        return PolicySet(rules: rules, files: sources.map(\.file))
    }
}

/// Turns validated YAML nodes into the typed model; problems go to the diagnostics.
struct PolicyDecoder {
    let d: Diagnostics

    init(_ diagnostics: Diagnostics) { d = diagnostics }

    func document(_ node: YAMLNode) -> [(Rule, YAMLNode)] {
        guard let f = d.mapping(node, "policy document", known: ["apiVersion", "kind", "metadata", "spec"]) else { return [] }
        for required in ["apiVersion", "kind", "metadata", "spec"] where f[required] == nil {
            d.error(node, "policy document is missing \"\(required)\"")
        }
        if let v = f["apiVersion"], let text = d.string(v, "apiVersion"), text != PolicyLoader.apiVersion {
            d.error(v, "apiVersion must be \(PolicyLoader.apiVersion), got \"\(text)\"")
        }
        if let k = f["kind"], let text = d.string(k, "kind"), text != PolicyLoader.kind {
            d.error(k, "kind must be \(PolicyLoader.kind), got \"\(text)\"")
        }
        var policyName = "policy"
        if let m = f["metadata"], let meta = d.mapping(m, "metadata", known: ["name", "namespace", "labels", "annotations"]) {
            if let n = meta["name"], let name = d.string(n, "metadata.name") {
                if Naming.isDNSSubdomain(name) { policyName = name } else { d.error(n, "metadata.name \"\(name)\" must be a lowercase DNS subdomain") }
            } else if meta["name"] == nil {
                d.error(m, "metadata.name is required")
            }
        }
        guard let s = f["spec"], let spec = d.mapping(s, "spec", known: ["rules"]) else { return [] }
        guard let r = spec["rules"] else { d.error(s, "spec.rules is required"); return [] }
        guard let items = d.list(r, "spec.rules") else { return [] }
        return items.compactMap { rule($0, policy: policyName) }
    }

    func rule(_ node: YAMLNode, policy: String) -> (Rule, YAMLNode)? {
        guard let f = d.mapping(node, "rule", known: ["name", "match", "exclude", "set", "split", "override"]) else { return nil }
        guard let nameNode = f["name"] else { d.error(node, "rule is missing \"name\""); return nil }
        guard let name = d.string(nameNode, "rule name") else { return nil }
        if !Naming.isDNSSubdomain(name) {
            d.error(nameNode, "rule name \"\(name)\" must be lowercase letters, digits, '-' and '.', beginning and ending with a letter or digit")
        }
        let match = f["match"].map { self.match($0, "match") } ?? Match()
        let exclude = f["exclude"].map { self.match($0, "exclude") }
        let set = f["set"].map { settings($0, "set") } ?? Settings()
        var split: Split? = nil
        if let s = f["split"] {
            split = self.split(s)
            if match.roles != [.executor] {
                d.error(f.keys["split"]!, "a split places executors: the rule needs match.roles: [executor]")
            }
        }
        if f["set"] == nil && f["split"] == nil { d.error(node, "rule \"\(name)\" has neither set nor split: it would do nothing") }
        let override = f["override"].flatMap { d.bool($0, "override") } ?? false
        return (Rule(name: name, policy: policy, match: match, exclude: exclude, set: set, split: split, override: override), nameNode)
    }

    /// A match, or an exclude: the same fields, named `what` in problems.
    func match(_ node: YAMLNode, _ what: String) -> Match {
        var m = Match()
        guard let f = d.mapping(node, what, known: ["roles", "namespaces", "podLabels", "annotations", "appNames", "serviceAccounts"]) else { return m }
        if let r = f["roles"], let roles = d.stringList(r, "\(what).roles") {
            var set = Set<SparkRole>()
            for (text, item) in roles {
                if let role = SparkRole(rawValue: text) { set.insert(role) } else {
                    d.error(item, "unknown role \"\(text)\"; expected driver, executor or connect-server")
                }
            }
            if roles.isEmpty { d.error(r, "\(what).roles is empty: the rule would match nothing") }
            m.roles = set
        }
        m.namespaces = f["namespaces"].map { globs($0, "\(what).namespaces") }
        m.appNames = f["appNames"].map { globs($0, "\(what).appNames") }
        m.serviceAccounts = f["serviceAccounts"].map { globs($0, "\(what).serviceAccounts") }
        m.podLabels = f["podLabels"].map { selector($0, "\(what).podLabels", checkValues: true) }
        m.annotations = f["annotations"].map { selector($0, "\(what).annotations", checkValues: false) }
        return m
    }

    func globs(_ node: YAMLNode, _ what: String) -> [Glob] {
        guard let items = d.stringList(node, what) else { return [] }
        return items.compactMap { text, item in
            do { return try Glob(text) } catch let problem as Glob.Problem {
                d.error(item, "bad glob \"\(text)\" in \(what): \(problem.message)")
            } catch {}
            return nil
        }
    }

    /// A plain label map, or a selector with matchLabels and matchExpressions.
    func selector(_ node: YAMLNode, _ what: String, checkValues: Bool) -> LabelSelector {
        var selector = LabelSelector()
        guard case .mapping(let pairs, _) = node else {
            d.error(node, "\(what) must be a mapping, not a \(node.kindName)")
            return selector
        }
        let keys = pairs.compactMap { $0.key.scalarText }
        let isSelector = !keys.isEmpty && keys.allSatisfy { $0 == "matchLabels" || $0 == "matchExpressions" }
        if !isSelector {
            selector.matchLabels = labels(node, what, checkValues: checkValues)
            return selector
        }
        guard let f = d.mapping(node, what, known: ["matchLabels", "matchExpressions"]) else { return selector }
        if let ml = f["matchLabels"] { selector.matchLabels = labels(ml, "\(what).matchLabels", checkValues: checkValues) }
        if let me = f["matchExpressions"], let items = d.list(me, "\(what).matchExpressions") {
            for item in items {
                guard let e = d.mapping(item, "match expression", known: ["key", "operator", "values"]) else { continue }
                guard let keyNode = e["key"], let key = d.string(keyNode, "key") else {
                    if e["key"] == nil { d.error(item, "match expression needs a key") }
                    continue
                }
                if checkValues, let problem = Naming.labelKeyProblem(key) { d.error(keyNode, "label key \"\(key)\" \(problem)") }
                guard let opNode = e["operator"], let opText = d.string(opNode, "operator") else {
                    if e["operator"] == nil { d.error(item, "match expression needs an operator") }
                    continue
                }
                guard let op = LabelSelector.Operator(rawValue: opText) else {
                    d.error(opNode, "operator must be In, NotIn, Exists or DoesNotExist, got \"\(opText)\"")
                    continue
                }
                let values = e["values"].flatMap { d.stringList($0, "values") } ?? []
                _ = setOperatorValues(opText, count: values.count, operator: opNode, values: e["values"])
                if checkValues {
                    for (value, valueNode) in values {
                        if let problem = Naming.labelValueProblem(value) { d.error(valueNode, problem) }
                    }
                }
                selector.matchExpressions.append(.init(key: key, op: op, values: values.map(\.0)))
            }
        }
        return selector
    }

    func labels(_ node: YAMLNode, _ what: String, checkValues: Bool) -> [(key: String, value: String)] {
        guard let map = d.stringMap(node, what) else { return [] }
        if checkValues {
            for entry in map {
                if let problem = Naming.labelKeyProblem(entry.key) { d.error(entry.node, "label key \"\(entry.key)\" \(problem)") }
                if let problem = Naming.labelValueProblem(entry.value, for: entry.key) { d.error(entry.node, problem) }
            }
        }
        return map.map { ($0.key, $0.value) }
    }

    /// A rule's labels or annotations: keys as Kubernetes names them (an optional DNS-subdomain
    /// prefix and a name), label values as Kubernetes allows them, and none of Spark's
    /// bookkeeping or sparkhook's own record.
    func metadataMap(_ node: YAMLNode, _ what: String) -> [(key: String, value: String)] {
        guard let map = d.stringMap(node, what) else { return [] }
        let isLabels = what == "labels"
        for entry in map {
            if let problem = Naming.labelKeyProblem(entry.key) { d.error(entry.node, "\(what) key \"\(excerpt(entry.key))\" \(problem)") }
            if isLabels, let problem = Naming.labelValueProblem(entry.value, for: entry.key) { d.error(entry.node, problem) }
            if isLabels && Naming.isSparkBookkeeping(label: entry.key) {
                d.error(entry.node, "label \(entry.key) is Spark's bookkeeping (spark-role, spark-app-selector, spark-app-name, spark-exec-id, spark-exec-resourceprofile-id, spark-version, sparkoperator.k8s.io/*): a rule may not set it")
            }
            if !isLabels && entry.key == Mutator.appliedAnnotation {
                d.error(entry.node, "annotation \(entry.key) is sparkhook's record of what it applied: a rule may not set it")
            }
        }
        return map.map { ($0.key, $0.value) }
    }

    func settings(_ node: YAMLNode, _ what: String) -> Settings {
        var s = Settings()
        guard let f = d.mapping(node, what, known: ["priorityClassName", "schedulerName", "labels", "annotations", "terminationGracePeriodSeconds",
                                                     "nodeSelector", "tolerations", "topologySpreadConstraints", "affinity", "probes"]) else { return s }
        if let p = f["priorityClassName"], let name = d.string(p, "priorityClassName") {
            if Naming.isDNSSubdomain(name) { s.priorityClassName = name } else {
                d.error(p, "priorityClassName \"\(name)\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)")
            }
        }
        if let n = f["schedulerName"], let name = d.string(n, "schedulerName") {
            if Naming.isDNSSubdomain(name) { s.schedulerName = name } else {
                d.error(n, "schedulerName \"\(excerpt(name))\" must be a lowercase DNS subdomain (letters, digits, '-' and '.', at most 253 characters)")
            }
        }
        if let t = f["terminationGracePeriodSeconds"] { s.terminationGracePeriodSeconds = d.int(t, "terminationGracePeriodSeconds", min: 0) }
        if let l = f["labels"] { s.labels = metadataMap(l, "labels") }
        if let a = f["annotations"] { s.annotations = metadataMap(a, "annotations") }
        if let n = f["nodeSelector"] { s.nodeSelector = labels(n, "nodeSelector", checkValues: true) }
        if let t = f["tolerations"], let items = d.list(t, "tolerations") { s.tolerations = items.compactMap(toleration) }
        if let t = f["topologySpreadConstraints"], let items = d.list(t, "topologySpreadConstraints") {
            s.topologySpreadConstraints = items.compactMap(spreadConstraint)
        }
        if let a = f["affinity"] { s.affinity = affinity(a) }
        if let p = f["probes"] { s.probes = probes(p) }
        return s
    }

    func toleration(_ node: YAMLNode) -> JSON? {
        let before = d.count
        guard let f = d.mapping(node, "toleration", known: PodSchema.toleration.fieldNames) else { return nil }
        let key = f["key"].flatMap { d.string($0, "toleration key") } ?? ""
        if !key.isEmpty, let problem = Naming.labelKeyProblem(key) { d.error(f["key"]!, "toleration key \"\(key)\" \(problem)") }
        var op = "Equal"
        if let o = f["operator"], let text = d.string(o, "toleration operator") {
            if text == "Equal" || text == "Exists" { op = text } else { d.error(o, "toleration operator must be Exists or Equal, got \"\(text)\"") }
        }
        if key.isEmpty && op != "Exists" { d.error(node, "a toleration without a key must have operator Exists") }
        if let v = f["value"], let value = d.string(v, "toleration value") {
            if op == "Exists" && !value.isEmpty { d.error(v, "a toleration with operator Exists must not have a value") }
            if !Naming.isLabelValue(value) { d.error(v, "invalid toleration value \"\(value)\": must be a valid label value") }
        }
        var effect = ""
        if let e = f["effect"], let text = d.string(e, "toleration effect") {
            if ["", "NoSchedule", "PreferNoSchedule", "NoExecute"].contains(text) { effect = text } else {
                d.error(e, "toleration effect must be NoSchedule, PreferNoSchedule or NoExecute, got \"\(text)\"")
            }
        }
        if let s = f["tolerationSeconds"], d.int(s, "tolerationSeconds") != nil, effect != "NoExecute" {
            d.error(s, "tolerationSeconds is only valid with effect NoExecute")
        }
        return d.count == before ? typed(node, .object(PodSchema.toleration), "toleration") : nil
    }

    func spreadConstraint(_ node: YAMLNode) -> JSON? {
        let before = d.count
        guard let f = d.mapping(node, "topology spread constraint", known: PodSchema.topologySpreadConstraint.fieldNames) else { return nil }
        if let m = f["maxSkew"] { _ = d.int(m, "maxSkew", min: 1) } else { d.error(node, "topology spread constraint needs maxSkew (at least 1)") }
        if let t = f["topologyKey"], let key = d.string(t, "topologyKey") {
            if let problem = Naming.labelKeyProblem(key) { d.error(t, "topologyKey \"\(key)\" \(problem)") }
        } else if f["topologyKey"] == nil {
            d.error(node, "topology spread constraint needs topologyKey")
        }
        var when = ""
        if let w = f["whenUnsatisfiable"], let text = d.string(w, "whenUnsatisfiable") {
            when = text
            if text != "DoNotSchedule" && text != "ScheduleAnyway" {
                d.error(w, "whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway, got \"\(text)\"")
            }
        } else if f["whenUnsatisfiable"] == nil {
            d.error(node, "topology spread constraint needs whenUnsatisfiable (DoNotSchedule or ScheduleAnyway)")
        }
        if let m = f["minDomains"], d.int(m, "minDomains", min: 1) != nil, when == "ScheduleAnyway" {
            d.error(m, "minDomains is only valid with whenUnsatisfiable: DoNotSchedule")
        }
        if let l = f["labelSelector"] { _ = selector(l, "labelSelector", checkValues: true) }
        if let k = f["matchLabelKeys"], let keys = d.stringList(k, "matchLabelKeys") {
            for (key, item) in keys { if let problem = Naming.labelKeyProblem(key) { d.error(item, "label key \"\(key)\" \(problem)") } }
        }
        for name in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
            if let p = f[name], let text = d.string(p, name), text != "Honor" && text != "Ignore" {
                d.error(p, "\(name) must be Honor or Ignore, got \"\(text)\"")
            }
        }
        return d.count == before ? typed(node, .object(PodSchema.topologySpreadConstraint), "topology spread constraint") : nil
    }

    func probes(_ node: YAMLNode) -> Probes? {
        guard let f = d.mapping(node, "probes", known: ["container", "liveness", "readiness", "startup"]) else { return nil }
        var probes = Probes()
        if let c = f["container"] { probes.container = d.string(c, "probes.container") }
        for kind in Probes.Kind.allCases {
            if let p = f[kind.rawValue] { probes[kind] = probe(p, kind) }
        }
        return probes
    }

    func probe(_ node: YAMLNode, _ kind: Probes.Kind) -> JSON? {
        let before = d.count
        guard let f = d.mapping(node, "\(kind.rawValue) probe", known: PodSchema.probe.fieldNames) else { return nil }
        let present = PodSchema.probeHandlers.filter { f[$0] != nil }
        if present.count != 1 {
            let handlers = PodSchema.probeHandlers.dropLast().joined(separator: ", ") + " or " + PodSchema.probeHandlers.last!
            d.error(node, "\(kind.rawValue) probe must have exactly one handler (\(handlers)), found \(present.isEmpty ? "none" : present.joined(separator: ", "))")
        }
        for name in PodSchema.probeNumbers {
            guard let n = f[name] else { continue }
            let minimum = ["periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"].contains(name) ? 1 : 0
            if let value = d.int(n, name, min: minimum), name == "successThreshold", kind != .readiness, value != 1 {
                d.error(n, "successThreshold must be 1 for \(kind.rawValue) probes")
            }
        }
        if let h = f["httpGet"], let g = d.mapping(h, "httpGet", known: PodSchema.httpGetAction.fieldNames) {
            port(g["port"], in: h, "httpGet")
            if let p = g["path"], let path = d.string(p, "httpGet.path"), !path.hasPrefix("/") { d.error(p, "httpGet.path must begin with /") }
            if let s = g["scheme"], let scheme = d.string(s, "httpGet.scheme"), scheme != "HTTP" && scheme != "HTTPS" {
                d.error(s, "httpGet.scheme must be HTTP or HTTPS, got \"\(scheme)\"")
            }
            if let hh = g["httpHeaders"], let items = d.list(hh, "httpHeaders") {
                for item in items {
                    if let header = d.mapping(item, "http header", known: PodSchema.httpHeader.fieldNames), header["name"] == nil {
                        d.error(item, "http header needs a name")
                    }
                }
            }
        }
        if let t = f["tcpSocket"], let g = d.mapping(t, "tcpSocket", known: PodSchema.tcpSocketAction.fieldNames) { port(g["port"], in: t, "tcpSocket") }
        if let e = f["exec"], let g = d.mapping(e, "exec", known: PodSchema.execAction.fieldNames) {
            if let c = g["command"], let command = d.stringList(c, "exec.command") {
                if command.isEmpty { d.error(c, "exec.command must not be empty") }
            } else if g["command"] == nil {
                d.error(e, "exec needs a command")
            }
        }
        if let r = f["grpc"], let g = d.mapping(r, "grpc", known: PodSchema.grpcAction.fieldNames) {
            if let p = g["port"] { _ = d.int(p, "grpc.port (a number: gRPC probes take no port names)", min: 1, max: 65535) } else { d.error(r, "grpc needs a port") }
            if let s = g["service"] { _ = d.string(s, "grpc.service") }
        }
        return d.count == before ? typed(node, .object(PodSchema.probe), "\(kind.rawValue) probe") : nil
    }

    /// A probe port: a number 1-65535 or a container port name.
    func port(_ node: YAMLNode?, in parent: YAMLNode, _ what: String) {
        guard let node else { return d.error(parent, "\(what) needs a port") }
        guard case .scalar(let text, let style, _, _) = node else { return d.error(node, "\(what).port must be a number or a port name") }
        if style == .plain, YAMLNode.integer(text) != nil {
            _ = d.int(node, "\(what).port", min: 1, max: 65535)
        } else if !Naming.isPortName(text) {
            d.error(node, "\(what).port \"\(text)\" is neither a port number nor a valid port name (1-15 lowercase letters, digits and '-')")
        }
    }

    /// The values a set-based requirement's operator takes (label selectors and node selectors
    /// alike): false when `op` is none of In, NotIn, Exists, DoesNotExist.
    func setOperatorValues(_ op: String, count: Int, operator opNode: YAMLNode, values: YAMLNode?) -> Bool {
        switch op {
        case "In", "NotIn":
            if count == 0 { d.error(opNode, "operator \(op) needs a non-empty values list") }
        case "Exists", "DoesNotExist":
            if count > 0 { d.error(values ?? opNode, "operator \(op) takes no values") }
        default:
            return false
        }
        return true
    }

    func split(_ node: YAMLNode) -> Split? {
        guard let f = d.mapping(node, "split", known: ["base", "variants"]) else { return nil }
        guard let v = f["variants"] else { d.error(node, "a split needs variants"); return nil }
        guard let items = d.list(v, "split.variants") else { return nil }
        if items.isEmpty { d.error(v, "a split needs at least one variant"); return nil }
        var variants: [Variant] = []
        let before = d.count
        for item in items {
            guard let vf = d.mapping(item, "variant", known: ["name", "weight", "set"]) else { continue }
            guard let n = vf["name"], let name = d.string(n, "variant name") else {
                if vf["name"] == nil { d.error(item, "variant needs a name") }
                continue
            }
            if !Naming.isDNSSubdomain(name) { d.error(n, "variant name \"\(name)\" must be lowercase letters, digits, '-' and '.'") }
            if variants.contains(where: { $0.name == name }) { d.error(n, "duplicate variant name \"\(name)\"") }
            var weight = 0
            if let w = vf["weight"] {
                if let value = d.int(w, "weight") {
                    if value <= 0 { d.error(w, "weight must be positive, got \(value)") } else if value > 10_000 {
                        d.error(w, "weight must be at most 10000, got \(value)")
                    } else { weight = value }
                }
            } else {
                d.error(item, "variant \"\(name)\" needs a weight")
            }
            let set = vf["set"].map { settings($0, "variant set") } ?? Settings()
            variants.append(Variant(name: name, weight: weight, set: set))
        }
        var baseCount = 0
        var baseVariant: Int? = nil
        if let b = f["base"], let bf = d.mapping(b, "split.base", known: ["count", "variant"]) {
            if let c = bf["count"] { baseCount = d.int(c, "base.count", min: 0) ?? 0 } else { d.error(b, "split.base needs a count") }
            if let bv = bf["variant"], let name = d.string(bv, "base.variant") {
                baseVariant = variants.firstIndex { $0.name == name }
                if baseVariant == nil { d.error(bv, "base.variant \"\(name)\" is not one of the variants (\(variants.map(\.name).joined(separator: ", ")))") }
            } else if bf["variant"] == nil {
                d.error(b, "split.base needs a variant")
            }
        }
        // The schedule divides by weights and indexes variants: never build one the checks above
        // would have refused, whatever they reported.
        guard d.count == before, !variants.isEmpty, variants.allSatisfy({ $0.weight > 0 }) else { return nil }
        if SplitSchedule.cycleLength(weights: variants.map(\.weight)) > SplitSchedule.maxCycle {
            d.error(v, "weights too fine-grained: their sum divided by their greatest common divisor must be at most \(SplitSchedule.maxCycle)")
            return nil
        }
        return Split(baseCount: baseCount, baseVariant: baseVariant, variants: variants,
                     schedule: SplitSchedule(weights: variants.map(\.weight)))
    }
}
