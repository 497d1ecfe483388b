// The one place that reads errno: every system call goes through `syscall`, which retries EINTR,
// turns EAGAIN into `.wouldBlock` and throws the rest with the call's name. Except close: on
// Linux the descriptor is gone even when close reports EINTR, and a retry could close another.
import Glibc

public struct POSIXError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public init(call: String, errno: Int32) { self.call = call; self.errno = errno }
    public var description: String { "\(call): \(reason) (errno \(errno))" }
    /// The system's words for the error.
    public var reason: String { String(cString: strerror(errno)) }
}

public enum IOResult<T> {
    case done(T)
    case wouldBlock
}

@inlinable @inline(__always)
public func syscall<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = Glibc.errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        throw POSIXError(call: call(), errno: code)
    }
}

/// For calls that never block: a `.wouldBlock` from them is an error too.
@inlinable @inline(__always)
public func syscallNoBlock<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws -> T {
    switch try syscall(call(), body) {
    case .done(let value): return value
    case .wouldBlock: throw POSIXError(call: call(), errno: EAGAIN)
    }
}

/// A NUL-terminated C string filled in by a C call, as a Swift string.
public func string(fromCBuffer buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
