// One client connection: its socket, TLS session, buffers and place in the request cycle.

final class Connection {
    let id: UInt64
    let socket: Socket
    let tls: TLSConnection
    var state: ConnectionState
    var parser: RequestParser
    var handshakeDone = false
    /// TCP_CORK is on: writes wait in the kernel until uncorked (at the latest when the event
    /// round ends) or closed.
    var corked = false
    var input: [UInt8] = []
    var inputStart = 0
    var output: [UInt8] = []
    var outputStart = 0
    var interest: IOEvents = .readable
    /// Waiting in the event loop's list of answers to write at the end of this round.
    var flushScheduled = false
    /// Still in the event loop's table; false once closed (checked without a table lookup).
    var isOpen = true
    /// How to write the answer the worker is preparing (the state is `.handling` meanwhile:
    /// nothing more is read or parsed, so that answers keep the order of their requests).
    var pendingAnswer: (keepAlive: Bool, headOnly: Bool)?

    init(id: UInt64, socket: Socket, tls: TLSConnection, now: UInt64, limits: HTTPLimits) {
        self.id = id
        self.socket = socket
        self.tls = tls
        self.state = ConnectionState(now: now)
        self.parser = RequestParser(limits: limits)
    }

    var hasPendingOutput: Bool { outputStart < output.count }
    var queuedOutput: Int { output.count - outputStart }
    var isHandling: Bool { state.phase == .handling }
    var hasBufferedInput: Bool { inputStart < input.count }
}
