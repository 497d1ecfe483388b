// The series of one family as a family's reader adds them: the name and label names come from the
// family's declaration, so a reader gives values only.
public struct MetricSeries {
    let name: String
    let labels: [String]
    private(set) var text = ""

    init(name: String, labels: [String]) {
        self.name = name
        self.labels = labels
    }

    /// A series without labels.
    public mutating func add(_ value: some CustomStringConvertible) { add([], value) }

    /// A series with the family's label values, in the order its labels are declared.
    public mutating func add(_ values: [String], _ value: some CustomStringConvertible) {
        precondition(values.count == labels.count, "\(name) declares the labels \(labels)")
        text += name
        append(zip(labels, values))
        text += " \(value)\n"
    }

    /// A histogram's series: one `_bucket` per bound (`le`, counts cumulative), then `_sum`, `_count`.
    public mutating func histogram(buckets: [(le: String, cumulative: Int)], sum: Double, count: Int) {
        for bucket in buckets {
            text += "\(name)_bucket"
            append([("le", bucket.le)])
            text += " \(bucket.cumulative)\n"
        }
        text += "\(name)_sum \(sum)\n\(name)_count \(count)\n"
    }

    private mutating func append(_ pairs: some Sequence<(String, String)>) {
        var first = true
        for (label, value) in pairs {
            text += first ? "{" : ","
            first = false
            text += "\(label)=\"\(Self.escape(value))\""
        }
        if !first { text += "}" }
    }

    /// A label value as the exposition format quotes it.
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
