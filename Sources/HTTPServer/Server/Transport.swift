// What the event loop needs of a connection's byte stream, so that the real loop runs against a
// TLS socket in production and against a scripted fake in tests. The loop is generic over it (not
// an existential), so the production build calls TLSSocket directly.

protocol Transport: AnyObject, SendableMetatype {
    /// The descriptor the poller watches (a fake's is any number the fake poller accepts).
    var fd: Int32 { get }
    func handshake() -> TLSStatus
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSStatus
    func write(_ bytes: UnsafeRawBufferPointer) -> TLSStatus
    var isResumed: Bool { get }
    /// Bytes TLS holds that a read would return without touching the socket.
    var holdsUnreadBytes: Bool { get }
    /// Bytes the kernel holds that the peer sent and nobody read yet.
    func socketHasUnreadBytes() -> Bool
    /// close_notify once, without waiting for the peer's.
    func sendCloseNotify()
    /// FIN after what is queued.
    func shutdownWrite()
    /// TCP_CORK on or off; false when refused.
    func setCork(_ on: Bool) -> Bool
    func close()
}

/// What the loop polls with: epoll in production, a recording fake in tests.
protocol Poller: SendableMetatype {
    func add(_ fd: Int32, _ interest: IOEvents, token: UInt64, exclusive: Bool) throws
    func modify(_ fd: Int32, _ interest: IOEvents, token: UInt64) throws
    func remove(_ fd: Int32)
    /// Wakes the loop from another thread.
    func wake()
}

extension Epoll: Poller {}

/// A TLS session over an accepted TCP socket.
final class TLSSocket: Transport {
    let socket: Socket
    let tls: TLSConnection

    init(socket: Socket, context: TLSContext) throws {
        self.socket = socket
        tls = try TLSConnection(context: context, fd: socket.fd)
    }

    var fd: Int32 { socket.fd }
    func handshake() -> TLSStatus { tls.handshake() }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSStatus { tls.read(into: buffer) }
    func write(_ bytes: UnsafeRawBufferPointer) -> TLSStatus { tls.write(bytes) }
    var isResumed: Bool { tls.isResumed }
    var holdsUnreadBytes: Bool { tls.holdsUnreadBytes }
    func socketHasUnreadBytes() -> Bool { socket.hasUnreadBytes() }
    func sendCloseNotify() { tls.shutdown() }
    func shutdownWrite() { socket.shutdownWrite() }
    func setCork(_ on: Bool) -> Bool { socket.setCork(on) }
    func close() { socket.close() }
}
