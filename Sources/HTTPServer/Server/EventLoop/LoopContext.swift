// What an event loop uses of its server, and nothing more: the server builds one for its loops;
// a test builds one around a scripted transport and a fake clock, with no certificates, listeners
// or threads.
import Posix

struct LoopContext<T: Transport> {
    let limits: HTTPLimits
    let handler: any HTTPHandler
    let logger: Logger
    let stats: ServerStats
    /// Runs the requests the handler says may be slow, off the loops.
    let worker: Worker
    let shutdown: ShutdownState
    let listeners: Listeners
    let clock: TimeSource
    /// An accepted socket as a transport: in production a TLS session with the pair in use now.
    let accept: @Sendable (Socket) throws -> T
}
