// What a pod offers the matcher: the label and annotation keys the policy's rules test, numbered
// once per policy, and a pod's values for them, looked up once per pod.
import JSON

/// The label and annotation keys and the resource names the policy's rules test, numbered.
final class MatchKeys: Sendable {
    let labels: [String: Int]
    let annotations: [String: Int]
    let resources: [String: Int]
    /// The same names in number order: what a pod's bytes are searched for.
    let resourceNames: [String]

    init(_ matches: [Match]) {
        func number(_ selectors: [LabelSelector?]) -> [String: Int] {
            var keys: [String: Int] = [:]
            for selector in selectors.compactMap({ $0 }) {
                for key in selector.matchLabels.map(\.key) + selector.matchExpressions.map(\.key) where keys[key] == nil {
                    keys[key] = keys.count
                }
            }
            return keys
        }
        labels = number(matches.map(\.podLabels))
        annotations = number(matches.map(\.annotations))
        var resources: [String: Int] = [:]
        for name in matches.flatMap({ $0.resources ?? [] }) where resources[name] == nil { resources[name] = resources.count }
        self.resources = resources
        resourceNames = resources.sorted { $0.value < $1.value }.map(\.key)
    }
}

/// What rules match on, prepared once per pod.
final class MatchFacts {
    let role: UInt8
    let store = ByteStore()
    let namespace: ByteStore.Range
    let serviceAccount: ByteStore.Range
    /// One table, in three parts: the app names, then the label values by key number (MatchKeys),
    /// then the annotation values by key number; absent where the pod has no such label or
    /// annotation. One allocation per pod instead of one per part.
    let ranges: PlainArray<ByteStore.Range>
    let appNameCount: Int
    var labelsStart: Int { appNameCount }
    let annotationsStart: Int
    /// The containers' list as it came (raw, for a look at its bytes before anything is decoded);
    /// nil when no rule names resources.
    private let containerList: JSON?
    private let keys: MatchKeys
    /// Which of the numbered resources Spark's container asks for, read when a rule first asks
    /// (most pods never reach a rule's resource test); empty when none (no allocation for the
    /// usual answer), nil until asked.
    private var requested: [Bool]?

    init(role: SparkRole, namespace: String, appNames: [String], serviceAccount: String,
         labels: JSONObject?, annotations: JSON?, containerList: JSON? = nil, keys: MatchKeys) {
        self.role = role.bit
        self.namespace = store.add(namespace)
        self.serviceAccount = store.add(serviceAccount)
        appNameCount = appNames.count
        annotationsStart = appNames.count + keys.labels.count
        ranges = PlainArray(repeating: ByteStore.Range.absent, count: annotationsStart + keys.annotations.count)
        for (i, name) in appNames.enumerated() { ranges[i] = store.add(name) }
        Self.fill(ranges, from: appNameCount, labels, keys.labels, store)
        Self.fill(ranges, from: annotationsStart, annotations?.objectValue, keys.annotations, store)
        self.containerList = containerList
        self.keys = keys
    }

    /// Whether Spark's container requests or limits resource `number` (MatchKeys) above zero.
    func requests(_ number: Int) -> Bool {
        if let requested { return number < requested.count && requested[number] }
        // Most pods name none of the resources anywhere in their containers: a look at the bytes
        // (about a thousand instructions) instead of reading the containers (over ten thousand).
        if let list = containerList, !keys.resourceNames.contains(where: { list.rawMayContain($0) ?? true }) {
            requested = []
            return false
        }
        let found = Self.requested(in: containerList?.arrayValue ?? [], keys.resources)
        requested = found
        return found[number]
    }

    /// Spark's container as probes find it; a quantity that is not one counts as not asked for.
    /// Each container is read for the four members that decide, in one pass over its top level
    /// that builds none of the others (a container read whole cost ten times the rest of the test).
    private static func requested(in containers: [JSON], _ names: [String: Int]) -> [Bool] {
        var found = [Bool](repeating: false, count: names.count)
        let read = containers.map { (try? $0.members(["name", "args", "env", "resources"])) ?? nil }
        let chosen = read.map { m -> JSON in
            guard let m else { return .null }
            return .object(JSONObject([.init(key: "name", value: m[0] ?? .null), .init(key: "args", value: m[1] ?? .null), .init(key: "env", value: m[2] ?? .null)]))
        }
        guard let index = SparkPod.mainContainer(in: chosen, named: nil), let parts = (try? read[index]?[3]?.members(["requests", "limits"])) ?? nil else { return found }
        for part in parts {
            for entry in part?.objectValue ?? JSONObject() {
                if let number = names[entry.key], Quantity.isPositive(entry.value) == true { found[number] = true }
            }
        }
        return found
    }

    /// The values of the numbered keys, at `start` on; `object` is decoded only when a rule
    /// tests one of its keys.
    private static func fill(_ ranges: PlainArray<ByteStore.Range>, from start: Int, _ object: @autoclosure () -> JSONObject?,
                             _ keys: [String: Int], _ store: ByteStore) {
        guard !keys.isEmpty, let object = object() else { return }
        for entry in object {
            if let number = keys[entry.key], let value = entry.value.stringValue, ranges[start + number].isAbsent {
                ranges[start + number] = store.add(value)
            }
        }
    }
}
