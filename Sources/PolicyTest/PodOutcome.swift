// What a previewed pod ends with, by value: each field a rule set (the rule that set it last), and
// the placement fields the application gave the pod that it keeps. Read from the pod as built and
// as mutated, so what is shown is what the apiserver would be asked to store.
import JSON
import Policy
import Webhook

struct PodOutcome {
    var set: [(field: String, value: JSON, rule: String)] = []
    var kept: [(field: String, value: JSON)] = []

    /// The fields of a pod a policy and an application both decide (SetField's placement fields):
    /// maps are shown by key, lists by element, so a kept entry is told from an added one.
    static let placement = SetFields.placement

    init(built: JSON, preview: PreviewOutcome) {
        let mutated = preview.pod
        var setBy: [(field: String, rule: String)] = []
        for applied in preview.applied {
            for field in applied.fields {
                setBy.removeAll { $0.field == field }
                setBy.append((field, applied.label))
            }
        }
        set = setBy.compactMap { entry in
            guard let pointer = try? JSONPointer(parsing: entry.field), let value = mutated.value(at: pointer) else { return nil }
            return (entry.field, value, entry.rule)
        }
        for (field, byMember) in Self.placement {
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
                if setBy.contains(where: { $0.field == pointer }) { continue }
                kept.append((pointer, value))
            }
        }
    }

    /// `"set": [{field, value, rule}]` and `"kept": [{field, value}]`.
    var setJSON: JSON { .array(set.map { ["field": .string($0.field), "value": $0.value, "rule": .string($0.rule)] }) }
    var keptJSON: JSON { .array(kept.map { ["field": .string($0.field), "value": $0.value] }) }

    /// One line per value: `  /spec/priorityClassName: spark-driver-critical (driver-priority)`.
    func lines(indent: String) -> String {
        var out = ""
        func show(_ v: JSON) -> String { v.stringValue ?? v.text }
        for s in set { out += "\(indent)\(s.field): \(show(s.value)) (\(s.rule))\n" }
        for k in kept { out += "\(indent)\(k.field): \(show(k.value)) (the application's, kept)\n" }
        return out
    }
}
