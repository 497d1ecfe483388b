// A non-blocking TCP socket that owns its file descriptor and closes it in deinit.
import CPosix
import Glibc
import Posix

public final class Socket {
    public private(set) var fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close() }

    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// A listening socket, non-blocking, with SO_REUSEADDR so restarts do not wait for TIME_WAIT,
    /// and TCP_NODELAY for the sockets it accepts.
    public static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws -> Socket {
        let fd = try syscallNoBlock("socket") { Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let socket = Socket(fd: fd)
        var one: Int32 = 1
        _ = try syscallNoBlock("setsockopt(SO_REUSEADDR)") {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if case .v6 = address {
            // "[::]" should mean IPv6 only; an IPv4 address is listened on by its own socket.
            _ = try syscallNoBlock("setsockopt(IPV6_V6ONLY)") {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        // Accepted sockets inherit TCP_NODELAY from the listener: one system call per listener
        // instead of one per connection. Answers leave at once instead of waiting for an ACK.
        _ = try syscallNoBlock("setsockopt(TCP_NODELAY)") { cposix_set_nodelay(fd) }
        _ = try address.withSockaddr { addr, len in try syscallNoBlock("bind(\(address))") { bind(fd, addr, len) } }
        _ = try syscallNoBlock("listen") { Glibc.listen(fd, backlog) }
        _ = try syscallNoBlock("fcntl(O_NONBLOCK)") { cposix_set_nonblocking(fd) }
        return socket
    }

    /// The bound address, which tells the port when the caller asked for port 0.
    public func localAddress() throws -> SocketAddress {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { ptr in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try syscallNoBlock("getsockname") { getsockname(fd, sa, &len) }
            }
        }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { .v6($0.pointee) } }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .v4($0.pointee) } }
    }

    /// TCP_CORK on or off; false when the kernel refused (the socket is gone: its next read or
    /// write says so, where the connection is closed).
    func setCork(_ on: Bool) -> Bool { (try? syscallNoBlock("setsockopt(TCP_CORK)") { cposix_set_cork(fd, on ? 1 : 0) }) != nil }

    /// Sends a FIN after what is queued; an error means the peer is gone already, which the
    /// linger that follows finds out.
    func shutdownWrite() { _ = try? syscallNoBlock("shutdown(SHUT_WR)") { Glibc.shutdown(fd, Int32(SHUT_WR)) } }

    /// Whether the kernel holds bytes the peer sent that were not read yet (an error counts as
    /// yes: the caller then keeps the connection rather than guess).
    func hasUnreadBytes() -> Bool { ((try? syscallNoBlock("ioctl(FIONREAD)") { cposix_readable_bytes(fd) }) ?? 1) != 0 }

    /// Accepts one pending connection as a non-blocking socket, or nil when none is pending.
    public func accept() throws -> Socket? {
        switch try syscall("accept4", { cposix_accept(fd) }) {
        case .wouldBlock: return nil
        case .done(let client):
            return Socket(fd: client)
        }
    }
}
