// Logs as one JSON object per line on stderr: level, time, message, then fields.
import Glibc

public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public var minimum: Level

    public init(minimum: Level = .info) { self.minimum = minimum }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }

    public func log(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, String>) {
        log(level, message, fields: fields.map { ($0.key, $0.value) })
    }

    /// The same with fields built at run time (one per case of an enum, say).
    public func log(_ level: Level, _ message: String, fields: [(key: String, value: String)]) {
        guard level >= minimum else { return }
        var line = "{\"level\":\"\(level.name)\",\"time\":\"\(Self.timestamp())\",\"msg\":"
        Self.appendQuoted(message, to: &line)
        for (key, value) in fields {
            line += ","
            Self.appendQuoted(key, to: &line)
            line += ":"
            Self.appendQuoted(value, to: &line)
        }
        line += "}\n"
        // One write per line: lines from different threads do not interleave.
        FileInput.writeToStandardError(line)
    }

    static func timestamp() -> String {
        let (now, millis) = TimeSource.wallMillis()
        var tm = tm()
        var seconds = now
        gmtime_r(&seconds, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &tm)
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return string(fromCBuffer: buffer) + ".\(ms)Z"
    }

    /// A message or field longer than this is cut, with a note of its length: fields can quote
    /// someone's input, and a log line must not repeat a megabyte of it.
    public static let maxFieldBytes = 1024

    static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        var used = 0
        for scalar in text.unicodeScalars {
            used += UTF8.width(scalar)
            if used > Self.maxFieldBytes {
                line += "... (\(text.utf8.count) bytes)"
                break
            }
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }
}
