"""Certificate expiry through the real server: exported as a metric, warned about in its last week,
and an expired pair refused on reload with the pair in use kept."""
import datetime
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import ROOT, client_context, make_certs, make_leaf, tls_connect
from test_webhook import serve


def leaf(ca_dir, out_dir, not_after):
    """A serving certificate for 127.0.0.1 signed by ca_dir's CA, valid until not_after."""
    ca_key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sparkhook")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(ca_key, hashes.SHA256()))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (out_dir / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    return int(not_after.timestamp())


def test_expiry_is_exported_and_an_expired_pair_is_refused_on_reload(tmp_path):
    certs = make_certs(tmp_path / "ca")
    live = tmp_path / "live"
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3, hours=1)
    not_after = leaf(certs, live, soon)
    p = serve(live, ROOT / "examples" / "production.yaml", "--client-ca", certs / "ca.crt")
    try:
        # Three days left: warned at once (and then once a day).
        entry = p.wait_for_log(lambda e: e.get("msg", "").startswith("the TLS certificate expires in 3 days"))
        assert entry["level"] == "warning"
        ca_not_after = x509.load_pem_x509_certificate((certs / "ca.crt").read_bytes()).not_valid_after_utc.timestamp()
        ctx = client_context(certs / "ca.crt", *make_leaf(certs, tmp_path / "client", "client"))
        c = tls_connect(p.port, ctx)
        _, _, body = c.request("GET", "/metrics")
        c.close()
        values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
                  if line.startswith("sparkhook_tls_certificate_expiry_timestamp_seconds")}
        assert values == {'sparkhook_tls_certificate_expiry_timestamp_seconds{certificate="serving"}': not_after,
                          'sparkhook_tls_certificate_expiry_timestamp_seconds{certificate="client-ca"}': int(ca_not_after)}

        # An expired pair written over it is refused; the pair in use keeps serving.
        leaf(certs, live, datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
        entry = p.wait_for_log(lambda e: "refused" in e.get("msg", "") and "has expired" in e.get("reason", ""))
        assert "certificate" in entry["reason"]
        c = tls_connect(p.port, ctx)
        assert ssl.DER_cert_to_PEM_cert(c.sock.getpeercert(binary_form=True))
        _, _, body = c.request("GET", "/metrics")
        c.close()
        assert f'sparkhook_tls_certificate_expiry_timestamp_seconds{{certificate="serving"}} {not_after}' in body.decode()
        # A good renewal is taken.
        later = leaf(certs, live, datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=90))
        p.wait_for_log(lambda e: e.get("msg") == "TLS certificate reloaded")
        c = tls_connect(p.port, ctx)
        _, _, body = c.request("GET", "/metrics")
        c.close()
        assert f'sparkhook_tls_certificate_expiry_timestamp_seconds{{certificate="serving"}} {later}' in body.decode()
    finally:
        assert p.stop() == 0
