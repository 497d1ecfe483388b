// OpenSSL's function-like macros, as one-line functions Swift can call.
// Each is a macro over SSL_CTX_ctrl/SSL_ctrl in OpenSSL 3, which Swift's importer cannot see.
#ifndef CTLS_SHIM_H
#define CTLS_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <string.h>

static inline long CTLS_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long CTLS_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long CTLS_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long CTLS_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}
static inline long CTLS_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline void CTLS_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) {
    SSL_CTX_set_read_ahead(ctx, yes);
}
static inline int CTLS_SSL_session_reused(SSL *ssl) {
    return (int)SSL_session_reused(ssl);
}
// Protocol versions are macros too; Swift imports them only when they are plain integer literals.
static inline int CTLS_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }

// ALPN: a kube-apiserver offers "h2, http/1.1" to URL webhooks. We speak HTTP/1.1 only, so we
// choose it when offered; picking h2 would break the call. With no ALPN offer the handshake goes on.
static int CTLS_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                   const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int len = in[i];
        if (i + 1 + len > inlen) break;
        if (len == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)len;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}
static inline void CTLS_SSL_CTX_select_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, CTLS_alpn_select_http11, NULL);
}
// SSL_OP_* are 64-bit shifts in OpenSSL 3 (SSL_OP_BIT), which Swift does not import.
// No renegotiation (a DoS lever), no compression (CRIME), server picks the cipher.
static inline void CTLS_SSL_CTX_harden(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}
static inline int CTLS_SSL_FILETYPE_PEM(void) { return SSL_FILETYPE_PEM; }
#endif
