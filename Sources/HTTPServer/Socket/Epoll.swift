// An epoll instance plus an eventfd to wake it from other threads. Owns both descriptors.
import CPosix
import Glibc
import Posix

public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let readable = IOEvents(rawValue: UInt32(CPOSIX_READABLE))
    public static let writable = IOEvents(rawValue: UInt32(CPOSIX_WRITABLE))
    public static let hangup = IOEvents(rawValue: UInt32(CPOSIX_HANGUP))
    public static let error = IOEvents(rawValue: UInt32(CPOSIX_ERROR))
}

final class Epoll {
    let fd: Int32
    let wakeFD: Int32
    static let wakeToken: UInt64 = .max

    private var tokens = [UInt64](repeating: 0, count: 256)
    private var events = [UInt32](repeating: 0, count: 256)

    init() throws {
        fd = try syscallNoBlock("epoll_create1") { cposix_epoll_create() }
        wakeFD = try syscallNoBlock("eventfd") { cposix_eventfd() }
        _ = try syscallNoBlock("epoll_ctl(ADD eventfd)") { cposix_epoll_add(fd, wakeFD, IOEvents.readable.rawValue, Self.wakeToken, 0) }
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(fd)
    }

    func add(_ socket: Int32, _ interest: IOEvents, token: UInt64, exclusive: Bool = false) throws {
        _ = try syscallNoBlock("epoll_ctl(ADD)") { cposix_epoll_add(fd, socket, interest.rawValue, token, exclusive ? 1 : 0) }
    }

    func modify(_ socket: Int32, _ interest: IOEvents, token: UInt64) throws {
        _ = try syscallNoBlock("epoll_ctl(MOD)") { cposix_epoll_modify(fd, socket, interest.rawValue, token) }
    }

    func remove(_ socket: Int32) {
        _ = cposix_epoll_remove(fd, socket)
    }

    /// Wakes a thread blocked in `wait`; safe from any thread.
    func wake() { _ = cposix_eventfd_signal(wakeFD) }

    /// Waits for events and calls `body` for each; the wake event is drained and reported as the
    /// token `wakeToken`.
    func wait(timeoutMilliseconds: Int32, _ body: (UInt64, IOEvents) -> Void) throws {
        let n = try tokens.withUnsafeMutableBufferPointer { t in
            try events.withUnsafeMutableBufferPointer { e in
                try syscall("epoll_wait") { cposix_epoll_wait(fd, t.baseAddress, e.baseAddress, Int32(t.count), timeoutMilliseconds) }
            }
        }
        guard case .done(let count) = n else { return }
        for i in 0..<Int(count) {
            if tokens[i] == Self.wakeToken { _ = cposix_eventfd_drain(wakeFD) }
            body(tokens[i], IOEvents(rawValue: events[i]))
        }
    }
}
