// Option values with a fixed set of words: as enums, ArgumentParser refuses another word itself
// and lists the words in --help, the man page and the shell completions.
import ArgumentParser
import Posix

enum PreviewOutput: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

enum LogLevel: String, CaseIterable, ExpressibleByArgument {
    case debug, info, warning, error

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
