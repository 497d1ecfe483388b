// The policy's own objects (a SparkPodPolicy document, its rules, what they match, set and split),
// described like the Pod's beside them, and the checks that need more than a field's type.

import JSON
import YAML

public enum PolicySchema {
    public static let apiVersion = "sparkhook.io/v1alpha1"
    public static let kind = "SparkPodPolicy"

    static let annotationSelector = SchemaObject("AnnotationSelector", PodSchema.labelSelector.fields.map { ($0.name, $0.type) })

    static let match = SchemaObject("Match", [
        ("roles", .list(.string)), ("namespaces", .list(.string)), ("podLabels", .selector(PodSchema.labelSelector)),
        ("annotations", .selector(annotationSelector)), ("appNames", .list(.string)), ("serviceAccounts", .list(.string)),
        ("resources", .list(.string)),
    ])

    static let probes = SchemaObject("Probes", [("container", .string)] + Probes.Kind.allCases.map { ($0.rawValue, FieldType.object(PodSchema.probe)) })

    static let set = SchemaObject("Set", SetField.all.map { ($0.name, $0.type) }, label: "set", flat: true)

    static let variant = SchemaObject("Variant", [("name", .string), ("weight", .int64), ("set", .object(set))],
                                      required: ["name", "weight"], label: "variant", flat: true)

    static let split = SchemaObject("Split", [
        ("base", .object(SchemaObject("SplitBase", [("count", .int64), ("variant", .string)], required: ["count", "variant"], label: "split.base"))),
        ("variants", .list(.object(variant))),
    ], required: ["variants"], label: "split")

    static let rule = SchemaObject("Rule", [
        ("name", .string), ("match", .object(match)), ("exclude", .object(match)), ("set", .object(set)),
        ("split", .object(split)), ("override", .boolean),
    ], required: ["name"], label: "rule", flat: true)

    public static let document = SchemaObject("SparkPodPolicy", [
        ("apiVersion", .string), ("kind", .string),
        ("metadata", .object(SchemaObject("PolicyMetadata", [
            ("name", .string), ("namespace", .string), ("labels", .map(.string)), ("annotations", .map(.string)),
        ], required: ["name"]))),
        ("spec", .object(SchemaObject("PolicySpec", [("rules", .list(.object(rule)))], required: ["rules"]))),
    ], required: ["apiVersion", "kind", "metadata", "spec"], label: "policy document", flat: true)

    /// Every check a policy document's objects get: the Pod's and the policy's own.
    public static let checks: SchemaChecks = PodSchema.checks.merging(own) { pod, _ in pod }

    static let own: SchemaChecks = [
        "SparkPodPolicy": { t, d in
            constant(t["apiVersion"], d, apiVersion)
            constant(t["kind"], d, kind)
        },
        "PolicyMetadata": { t, d in
            if let n = t["name"], let name = n.string, !Naming.isDNSSubdomain(name) {
                d.error(n.node, "metadata.name \"\(excerpt(name))\" must be a lowercase DNS subdomain")
            }
        },
        "Rule": rule,
        "Match": match,
        "Set": { t, d in
            for field in SetField.all { if let value = t[field.name] { field.check(value, d) } }
        },
        "Probes": probes,
        "Variant": { t, d in
            if let n = t["name"], let name = n.string, !Naming.isDNSSubdomain(name) {
                d.error(n.node, "variant name \"\(excerpt(name))\" must be lowercase letters, digits, '-' and '.'")
            }
            if let w = t["weight"], let weight = w.int {
                if weight <= 0 { d.error(w.node, "weight must be positive, got \(weight)") }
                if weight > 10_000 { d.error(w.node, "weight must be at most 10000, got \(weight)") }
            }
        },
        "SplitBase": { t, d in PodChecks.range(t["count"], d, "base.count", 0) },
        "Split": split,
    ]

    static func constant(_ t: Typed?, _ d: Diagnostics, _ expected: String) {
        guard let t, let text = t.string, text != expected else { return }
        d.error(t.node, "\(t.path) must be \(expected), got \"\(excerpt(text))\"")
    }

    static func rule(_ t: Typed, _ d: Diagnostics) {
        if let n = t["name"], let name = n.string, !Naming.isDNSSubdomain(name) {
            d.error(n.node, "rule name \"\(excerpt(name))\" must be lowercase letters, digits, '-' and '.', beginning and ending with a letter or digit")
        }
        if t.has("split"), t["match"]?["roles"].map({ Set($0.strings.map(\.0)) }) != ["executor"] {
            d.error(t.keyNode("split")!, "a split places executors: the rule needs match.roles: [executor]")
        }
        if !t.has("set") && !t.has("split") {
            d.error(t.node, "rule \"\(excerpt(t["name"]?.string ?? ""))\" has neither set nor split: it would do nothing")
        }
        ProbeAdvice.check(t, d)
    }

    static func match(_ t: Typed, _ d: Diagnostics) {
        if let roles = t["roles"] {
            for (text, at) in roles.strings where SparkRole(rawValue: text) == nil {
                d.error(at.node, "unknown role \"\(excerpt(text))\"; expected driver, executor or connect-server")
            }
            if roles.whole?.isEmpty == true { d.error(roles.node, "\(roles.path) is empty: the rule would match nothing") }
        }
        for field in ["namespaces", "appNames", "serviceAccounts"] {
            for (text, at) in t[field]?.strings ?? [] {
                do { _ = try Glob(text) } catch let problem as Glob.Problem {
                    d.error(at.node, "bad glob \"\(excerpt(text))\" in \(t[field]!.path): \(problem.message)")
                } catch {}
            }
        }
        if let resources = t["resources"] {
            for (text, at) in resources.strings {
                if let problem = Naming.labelKeyProblem(text) { d.error(at.node, "resource name \"\(excerpt(text))\" \(problem)") }
            }
            if resources.whole?.isEmpty == true { d.error(resources.node, "\(resources.path) is empty: name at least one resource") }
        }
    }

    static func probes(_ t: Typed, _ d: Diagnostics) {
        let handlers = PodSchema.probeHandlers.dropLast().joined(separator: ", ") + " or " + PodSchema.probeHandlers.last!
        for kind in Probes.Kind.allCases {
            guard let probe = t[kind.rawValue] else { continue }
            let present = PodSchema.probeHandlers.filter { probe.has($0) }
            if present.count != 1 {
                d.error(probe.node, "\(kind.rawValue) probe must have exactly one handler (\(handlers)), found \(present.isEmpty ? "none" : present.joined(separator: ", "))")
            }
            if let s = probe["successThreshold"], let value = s.int, value > 1, kind != .readiness {  // below 1: the Probe check says so
                d.error(s.node, "successThreshold must be 1 for \(kind.rawValue) probes")
            }
        }
    }

    static func split(_ t: Typed, _ d: Diagnostics) {
        guard let v = t["variants"] else { return }
        var names: [String] = [], seen = Set<String>()
        for variant in v.items {
            guard let n = variant["name"], let name = n.string else { continue }
            if !seen.insert(name).inserted { d.error(n.node, "duplicate variant name \"\(excerpt(name))\"") }
            names.append(name)
        }
        // The rest is about the variants together: judged only on a list that typed whole.
        guard let variants = v.whole else { return }
        if variants.isEmpty { d.error(v.node, "a split needs at least one variant") }
        if let b = t["base"]?["variant"], let name = b.string, !seen.contains(name) {
            d.error(b.node, "base.variant \"\(excerpt(name))\" is not one of the variants (\(names.joined(separator: ", ")))")
        }
        let weights = variants.compactMap { $0["weight"]?.int }
        if !weights.isEmpty, weights.allSatisfy({ $0 > 0 && $0 <= 10_000 }),
           SplitSchedule.cycleLength(weights: weights) > SplitSchedule.maxCycle {
            d.error(v.node, "weights too fine-grained: their sum divided by their greatest common divisor must be at most \(SplitSchedule.maxCycle)")
        }
    }
}
