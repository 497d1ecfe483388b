// What a previewed pod ends with, by value: each field a rule set (the rule that set it last), and
// the placement fields the application gave the pod that it keeps. Read from the pod as built and
// as mutated, so what is shown is what the apiserver would be asked to store.
import JSON

enum PodOutcome {
    /// The fields of a pod a policy and an application both decide (see CONTRACT "Policy"):
    /// maps are shown by key, lists by element, so a kept entry is told from an added one.
    static let placement: [(field: String, byMember: Bool)] = [
        ("priorityClassName", false), ("schedulerName", false), ("terminationGracePeriodSeconds", false),
        ("nodeSelector", true), ("tolerations", true), ("topologySpreadConstraints", true), ("affinity", false),
    ]

    /// `{"set": [{field, value, rule}], "kept": [{field, value}]}` for one pod.
    static func of(built: JSON, preview: JSON) -> JSON {
        let mutated = preview["pod"] ?? built
        var set: [(field: String, rule: String)] = []
        for applied in preview["applied"]?.arrayValue ?? [] {
            let label = (applied["rule"]?.stringValue ?? "") + (applied["variant"]?.stringValue.map { "/" + $0 } ?? "")
            for field in (applied["fields"]?.arrayValue ?? []).compactMap(\.stringValue) {
                set.removeAll { $0.field == field }
                set.append((field, label))
            }
        }
        let setValues: [JSON] = set.compactMap { entry in
            guard let pointer = try? JSONPointer(parsing: entry.field), let value = mutated.value(at: pointer) else { return nil }
            return ["field": .string(entry.field), "value": value, "rule": .string(entry.rule)]
        }
        var kept: [JSON] = []
        for (field, byMember) in placement {
            guard let mine = built["spec", field] else { continue }
            let theirs = mutated["spec", field]
            let members: [(String, JSON, JSON?)]
            if byMember, let object = mine.objectValue {
                members = object.entries.map { ("/" + JSONPointer.escape($0.key), $0.value, theirs?.objectValue?[$0.key]) }
            } else if byMember, let array = mine.arrayValue {
                let now = theirs?.arrayValue ?? []
                members = array.enumerated().map { ("/\($0.offset)", $0.element, now.contains($0.element) ? $0.element : nil) }
            } else {
                members = [("", mine, theirs)]
            }
            for (suffix, value, now) in members where now == value {
                let pointer = "/spec/" + field + suffix
                if set.contains(where: { $0.field == pointer }) { continue }
                kept.append(["field": .string(pointer), "value": value])
            }
        }
        return ["set": .array(setValues), "kept": .array(kept)]
    }

    /// One line per value: `  /spec/priorityClassName: spark-driver-critical (driver-priority)`.
    static func lines(_ outcome: JSON?, indent: String) -> String {
        var out = ""
        func show(_ v: JSON) -> String { v.stringValue ?? v.text }
        for s in outcome?["set"]?.arrayValue ?? [] {
            out += "\(indent)\(s["field"]?.stringValue ?? ""): \(show(s["value"] ?? .null)) (\(s["rule"]?.stringValue ?? ""))\n"
        }
        for k in outcome?["kept"]?.arrayValue ?? [] {
            out += "\(indent)\(k["field"]?.stringValue ?? ""): \(show(k["value"] ?? .null)) (the application's, kept)\n"
        }
        return out
    }
}
