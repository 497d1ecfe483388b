// How sparkhook describes the YAML it reads: a field's type, and an object's fields, the ones it
// requires and what a problem calls it. The Pod's types (PodSchema), the policy's own
// (PolicySchema) and the policy test suite's (in PolicyTest) are all written this way, and one
// reader (SchemaReader) types any of them, so a field is named once: in its object.

import JSON

public indirect enum FieldType: Sendable {
    case string
    /// A whole number in this range (the schema's int32 or int64).
    case integer(min: Int, max: Int)
    case boolean
    /// A port: a number, or a name (the schema's int-or-string).
    case intOrString
    case list(FieldType)
    /// A map of arbitrary keys to values of one type.
    case map(FieldType)
    case object(SchemaObject)
    /// A plain label map (every entry must equal), or the object (a selector with matchLabels and
    /// matchExpressions): read as the object either way, a plain map as its `matchLabels`.
    case selector(SchemaObject)
    /// Any YAML value, as JSON (a test's expected value, a pod written inline).
    case any
    /// A type the Pod schema names that is not an object (Quantity, Time, FieldsV1): read as the
    /// inner type, then checked by the check of that name.
    case named(String, FieldType)

    public static let int32 = FieldType.integer(min: Int(Int32.min), max: Int(Int32.max))
    public static let int64 = FieldType.integer(min: Int(Int64.min), max: Int(Int64.max))
    /// `1Gi`, `500m`, `2`: the text as written (a quantity is a string in a patch).
    public static let quantity = FieldType.named("Quantity", .string)
    /// An RFC 3339 time.
    public static let time = FieldType.named("Time", .string)
    /// A managedFields entry's field set: any JSON object.
    public static let fieldsV1 = FieldType.named("FieldsV1", .any)
}

/// An object type: its fields in the schema's order, the ones it requires, and the word a problem
/// uses for it (its path when it has none).
public struct SchemaObject: Sendable {
    public let name: String
    public let fields: [(name: String, type: FieldType)]
    public let required: [String]
    /// "toleration", "rule": what `needs ...` and `unknown field ... in ...` call it.
    public let label: String?
    /// The object's fields are named in problems without its path in front (a rule's `set`: a
    /// problem names `priorityClassName`, not `spec.rules[0].set.priorityClassName`).
    public let flat: Bool

    public init(_ name: String, _ fields: [(String, FieldType)], required: [String] = [], label: String? = nil, flat: Bool = false) {
        self.name = name
        self.fields = fields.map { (name: $0.0, type: $0.1) }
        self.required = required
        self.label = label
        self.flat = flat
    }

    func type(of field: String) -> FieldType? { fields.first { $0.name == field }?.type }

    /// The fields a document may have here: the reader's list of known fields, never a copy.
    public var fieldNames: [String] { fields.map(\.name) }
}
