// Errors that print like a compiler's: `file:line:column: message`.
import JSON

public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var mark: Mark
    public var message: String

    /// Messages quote the input they are about; however long that is, one stays a readable line.
    public static let maxMessageBytes = 400

    public init(file: String, mark: Mark, message: String) {
        self.file = file
        self.mark = mark
        self.message = message.utf8.count > Self.maxMessageBytes ? excerpt(message, max: Self.maxMessageBytes) : message
    }

    public var description: String { "\(file):\(mark.line):\(mark.column): \(message)" }
}
