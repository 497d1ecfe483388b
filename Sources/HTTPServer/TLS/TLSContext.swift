// One SSL_CTX built from PEM files: TLS 1.2 minimum, AEAD suites only, ALPN http/1.1,
// session resumption (cache and TLS 1.3 tickets), read-ahead, optional client-certificate verification.
import CTLS

public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var privateKey: String
    public var clientCA: String?

    public init(certificate: String, privateKey: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.clientCA = clientCA
    }

    var all: [String] { [certificate, privateKey] + (clientCA.map { [$0] } ?? []) }
}

public final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    /// When the serving certificate, and the client CA if one is set, stop being valid (seconds
    /// since the epoch).
    public let certificateNotAfter: Double
    public let clientCANotAfter: Double?

    // TLS 1.2 suites with forward secrecy and AEAD; TLS 1.3 suites are all AEAD already.
    static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    // TLS 1.3: AES-128 first (the server chooses). Its SHA-256 key schedule and transcript hash
    // run on the CPU's SHA instructions, where OpenSSL's default first choice, AES-256 with
    // SHA-384, hashes in software.
    static let tls13Ciphers = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

    public init(files: TLSFiles) throws {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError("SSL_CTX_new") }
        self.ctx = ctx
        guard CTLS_SSL_CTX_set_min_proto_version(ctx, CTLS_TLS1_2_VERSION()) == 1 else {
            throw TLSError("setting TLS 1.2 as the minimum version")
        }
        CTLS_SSL_CTX_harden(ctx)
        guard SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) == 1 else { throw TLSError("setting cipher suites") }
        guard SSL_CTX_set_ciphersuites(ctx, Self.tls13Ciphers) == 1 else { throw TLSError("setting TLS 1.3 cipher suites") }
        _ = CTLS_SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384")
        // Partial writes and moving buffers let the event loop retry a write with what is left.
        // RELEASE_BUFFERS frees the 16 KB record buffers of idle connections.
        _ = CTLS_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        _ = CTLS_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_SERVER))
        _ = CTLS_SSL_CTX_sess_set_cache_size(ctx, 20_000)
        let sessionContext = Array("sparkhook".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, sessionContext, UInt32(sessionContext.count))
        CTLS_SSL_CTX_select_http11(ctx)
        // One TLS 1.3 ticket per full handshake instead of OpenSSL's two: a Go client (the
        // kube-apiserver) keeps one session per server, and each ticket costs a session copy,
        // an encoding, an encryption and a write.
        _ = SSL_CTX_set_num_tickets(ctx, 1)
        // Read ahead: one read takes every record the socket holds instead of two reads (header,
        // then body) per record; a Go client sends a new connection's first request in records of
        // about 1 KB, 2 KB, 4 KB. Data then waits inside OpenSSL where epoll cannot see it, so the
        // loop asks SSL_has_pending before it stops reading.
        CTLS_SSL_CTX_set_read_ahead(ctx, 1)

        guard SSL_CTX_use_certificate_chain_file(ctx, files.certificate) == 1 else {
            throw TLSError("loading certificate \(files.certificate)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, files.privateKey, CTLS_SSL_FILETYPE_PEM()) == 1 else {
            // OpenSSL checks the pair while loading the key; say so in words an operator acts on.
            let reason = TLSError.drainQueue()
            if reason.contains("key values mismatch") {
                throw TLSError(message: "private key \(files.privateKey) does not match certificate \(files.certificate)")
            }
            throw TLSError(message: "loading private key \(files.privateKey)" + reason)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError("private key \(files.privateKey) does not match certificate \(files.certificate)")
        }
        guard let leaf = SSL_CTX_get0_certificate(ctx), let notAfter = CertificateExpiry.notAfter(leaf) else {
            throw TLSError("reading the expiry of certificate \(files.certificate)")
        }
        certificateNotAfter = notAfter
        clientCANotAfter = files.clientCA.flatMap(CertificateExpiry.earliestNotAfter(pemFile:))
        if let ca = files.clientCA {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else { throw TLSError("loading client CA \(ca)") }
            if let names = SSL_load_client_CA_file(ca) { SSL_CTX_set_client_CA_list(ctx, names) }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
    }

    deinit { SSL_CTX_free(ctx) }
}
