// When certificates stop being valid, read from OpenSSL, and when to say so. An expired webhook
// certificate fails every admission call of the apiserver (Kyverno's worst outages), so the
// expiry is exported, warned about daily in its last week, and an expired pair is not loaded.
import CTLS
import Glibc

public enum CertificateExpiry {
    /// The notAfter of `x509`, in seconds since the epoch.
    static func notAfter(_ x509: OpaquePointer) -> Double? {
        guard let time = X509_get0_notAfter(x509) else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Double(timegm(&parts))
    }

    /// The earliest notAfter of the certificates in a PEM file (a CA bundle may hold several).
    static func earliestNotAfter(pemFile path: String) -> Double? {
        guard let bio = BIO_new_file(path, "r") else { ERR_clear_error(); return nil }
        defer { BIO_free(bio) }
        var earliest: Double?
        while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
            if let t = notAfter(cert) { earliest = min(earliest ?? t, t) }
            X509_free(cert)
        }
        ERR_clear_error()  // the end of the file is reported as an error
        return earliest
    }
}

/// When to warn of a certificate close to its expiry: from `lead` before it, once per `interval`.
/// Pure: told the time, so it is tested with a fake clock.
public struct ExpiryWarning: Sendable {
    public var lead: Double = 7 * 86_400
    public var interval: Double = 86_400
    private var lastWarned: (notAfter: Double, at: Double)?

    public init() {}

    /// True when a warning is due at `now` for a certificate valid until `notAfter`; a new
    /// certificate (another notAfter) is warned about afresh.
    public mutating func due(now: Double, notAfter: Double) -> Bool {
        guard notAfter - now <= lead else { return false }
        if let last = lastWarned, last.notAfter == notAfter, now - last.at < interval { return false }
        lastWarned = (notAfter, now)
        return true
    }
}

extension TLSContext {
    /// When the pair in use stops being valid, by certificate: `serving`, and `client-ca` when set.
    public static let expiryFamily = MetricFamily<TLSContext>(
        "sparkhook_tls_certificate_expiry_timestamp_seconds", .gauge,
        help: "When the certificate in use stops being valid: the serving certificate, and the client CA when one is set.",
        labels: ["certificate"]) { tls, out in
        out.add(["serving"], Int(tls.certificateNotAfter))
        if let ca = tls.clientCANotAfter { out.add(["client-ca"], Int(ca)) }
    }
}
