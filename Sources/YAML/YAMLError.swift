// Errors that print like a compiler's: `file:line:column: message`.

public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var mark: Mark
    public var message: String

    public init(file: String, mark: Mark, message: String) {
        self.file = file
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(file):\(mark.line):\(mark.column): \(message)" }
}
