// One client connection: its transport, buffers and place in the request cycle (`state`, which
// also holds what the poller watches, the cork and the answer the worker prepares).

final class Connection<T: Transport> {
    let id: UInt64
    let transport: T
    var state: ConnectionState
    var parser: RequestParser
    var input: [UInt8] = []
    var inputStart = 0
    var output: [UInt8] = []
    var outputStart = 0
    /// Waiting in the event loop's list of answers to write at the end of this round.
    var flushScheduled = false
    /// Still in the event loop's table; false once closed (checked without a table lookup).
    var isOpen = true

    init(id: UInt64, transport: T, now: UInt64, maxAgeNanos: UInt64, limits: HTTPLimits) {
        self.id = id
        self.transport = transport
        self.state = ConnectionState(now: now, maxAgeNanos: maxAgeNanos, maxRequests: limits.maxRequestsPerConnection)
        self.parser = RequestParser(limits: limits)
    }

    var hasPendingOutput: Bool { outputStart < output.count }
    var queuedOutput: Int { output.count - outputStart }
    var isHandling: Bool { state.phase == .handling }
    var hasBufferedInput: Bool { inputStart < input.count }
    var isClosing: Bool { state.phase == .closing }
    /// Bytes of a request may be here already: in our buffer, inside TLS, or in the socket.
    var mayHoldRequestBytes: Bool { hasBufferedInput || transport.holdsUnreadBytes || transport.socketHasUnreadBytes() }
}
