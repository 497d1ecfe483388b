// Errors that print like a compiler's: `file:line:column: message`, or `file: message` for a
// problem with the whole file.
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

    /// Line 0 is a problem with the whole file (it cannot be read): no position is made up for it.
    public var description: String { mark.line == 0 ? "\(file): \(message)" : "\(file):\(mark.line):\(mark.column): \(message)" }
}
