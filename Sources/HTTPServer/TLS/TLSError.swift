// OpenSSL's thread-local error queue, drained into one readable message.
import CTLS
import Posix

public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ context: String) {
        self.description = context + Self.drainQueue()
    }

    init(message: String) {
        self.description = message
    }

    /// Empties the calling thread's OpenSSL error queue; returns ": reason; reason" or "".
    static func drainQueue() -> String {
        var reasons: [String] = []
        while true {
            var file: UnsafePointer<CChar>? = nil
            var line: Int32 = 0
            var function: UnsafePointer<CChar>? = nil
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(&file, &line, &function, &data, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            var text = string(fromCBuffer: buffer)
            if let data, flags & ERR_TXT_STRING != 0, data.pointee != 0 {
                text += " (\(String(cString: data)))"
            }
            reasons.append(text)
        }
        return reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
    }
}
