// One metric family as /metrics shows it: name, type, HELP and label names, declared once next to
// what counts it, with how its series are read from `Source` at scrape time. A page is a list of
// families rendered in order (as a Prometheus client library's registry walks its collectors).
public struct MetricFamily<Source>: Sendable {
    public let name: String
    public let kind: MetricKind
    public let help: String
    /// The label names every series carries, in order (a histogram's `le` is its own).
    public let labels: [String]
    private let write: @Sendable (Source, inout String) -> Void

    public init(_ name: String, _ kind: MetricKind, help: String, labels: [String] = [],
                series: @escaping @Sendable (Source, inout MetricSeries) -> Void) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        write = { source, out in
            var writer = MetricSeries(name: name, labels: labels)
            series(source, &writer)
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n" + writer.text
        }
    }

    /// A family of one series without labels.
    public init(_ name: String, _ kind: MetricKind, help: String, value: @escaping @Sendable (Source) -> any CustomStringConvertible) {
        self.init(name, kind, help: help) { source, out in out.add(value(source)) }
    }

    private init(_ name: String, _ kind: MetricKind, _ help: String, _ labels: [String], write: @escaping @Sendable (Source, inout String) -> Void) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.write = write
    }

    /// The same family in a page read from a larger source; where `part` is nil (a page without
    /// a server, say) the family is left out, HELP and TYPE included.
    public func reading<Page>(_ part: @escaping @Sendable (Page) -> Source?) -> MetricFamily<Page> {
        MetricFamily<Page>(name, kind, help, labels) { page, out in
            if let source = part(page) { write(source, &out) }
        }
    }

    public func render(_ source: Source, into out: inout String) { write(source, &out) }
}

extension Array {
    /// The page of every family in order, in the text exposition format.
    public func render<Source>(_ source: Source) -> String where Element == MetricFamily<Source> {
        var out = ""
        for family in self { family.render(source, into: &out) }
        return out
    }
}

/// A family's TYPE (outside `MetricFamily`, whose nested types would differ with each `Source`).
public enum MetricKind: String, Sendable {
    case counter, gauge, histogram
}
