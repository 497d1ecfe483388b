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
    /// Stop reading requests; flush what is queued, then close.
    var closeAfterFlush = false
    /// Reading paused because too much output is queued (a pipelining client not reading).
    var readPaused = false
    /// The last answer refused a request before its end: the client may still be sending, so
    /// closing lingers instead of resetting a connection whose answer it has not read.
    var peerMaySend = false
    /// Our side is shut down; we read and drop until the peer closes, so that it sees our
    /// last answer instead of a reset.
    var lingering = false
    /// Waiting in the event loop's list of answers to write at the end of this round.
    var flushScheduled = false
    /// Still in the event loop's table; false once closed (checked without a table lookup).
    var isOpen = true
    /// A request being answered on the worker: nothing more is read or parsed until its answer
    /// is in, so that answers keep the order of their requests.
    var awaiting: (keepAlive: Bool, headOnly: Bool)?

    init(id: UInt64, socket: Socket, tls: TLSConnection, now: UInt64, limits: HTTPLimits) {
        self.id = id
        self.socket = socket
        self.tls = tls
        self.state = ConnectionState(now: now)
        self.parser = RequestParser(limits: limits)
    }

    var hasPendingOutput: Bool { outputStart < output.count }
    var hasBufferedInput: Bool { inputStart < input.count }
}
