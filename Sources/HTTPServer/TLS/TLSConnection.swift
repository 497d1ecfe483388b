// One server-side SSL object over a non-blocking socket; SSL_get_error becomes a small enum.
import CTLS

enum TLSStatus {
    case done(Int)
    case wantRead
    case wantWrite
    case closed
    case failed(String)
}

final class TLSConnection {
    let ssl: OpaquePointer

    init(context: TLSContext, fd: Int32) throws {
        guard let ssl = SSL_new(context.ctx) else { throw TLSError("SSL_new") }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    var isResumed: Bool { CTLS_SSL_session_reused(ssl) == 1 }

    /// Bytes OpenSSL holds (decrypted, or records read ahead) that a read would return without
    /// touching the socket; epoll does not report them.
    var holdsUnreadBytes: Bool { SSL_has_pending(ssl) == 1 }

    func handshake() -> TLSStatus {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        return rc == 1 ? .done(0) : status(rc)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSStatus {
        ERR_clear_error()
        var count = 0
        let rc = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        return rc == 1 ? .done(count) : status(rc)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> TLSStatus {
        ERR_clear_error()
        var count = 0
        let rc = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        return rc == 1 ? .done(count) : status(rc)
    }

    /// Sends close_notify once, without waiting for the peer's.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func status(_ rc: Int32) -> TLSStatus {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let reason = TLSError.drainQueue()
            return reason.isEmpty ? .closed : .failed("syscall" + reason)
        default:
            return .failed("TLS" + TLSError.drainQueue())
        }
    }
}
