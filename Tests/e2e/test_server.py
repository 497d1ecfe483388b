"""The server core (HTTPServer module) behind a trivial handler (http-echo), driven over TLS."""
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import BIN, Client, Process, client_context, is_closed, make_certs, make_leaf, read_response, run, tls_connect


def echo(certs, *extra, cert=None, key=None):
    argv = [str(BIN / "http-echo"), "--listen", "127.0.0.1:0", "--tls-cert", str(cert or certs / "tls.crt"),
            "--tls-key", str(key or certs / "tls.key"), *map(str, extra)]
    return Process(argv)


@pytest.fixture
def server(certs):
    p = echo(certs, "--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "2", "--max-body", "100000")
    yield p
    assert p.stop() == 0


@pytest.fixture
def ctx(certs):
    return client_context(certs / "ca.crt")


def test_keep_alive_reuses_one_connection(server, ctx):
    c = tls_connect(server.port, ctx)
    for i in range(50):
        status, headers, body = c.request("POST", f"/echo?i={i}", f"body {i}")
        assert (status, body) == (200, f"body {i}".encode())
        assert headers["x-query"] == f"i={i}"
        assert "connection" not in headers
    c.close()


def test_pipelined_requests_are_answered_in_order(server, ctx):
    c = tls_connect(server.port, ctx)
    reqs = b"".join(f"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {len(str(i))}\r\n\r\n{i}".encode() for i in range(20))
    c.send(reqs + b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
    bodies = [read_response(c)[2] for _ in range(21)]
    assert bodies == [str(i).encode() for i in range(20)] + [b"hello\n"]


def test_requests_in_separate_records_arriving_together_are_all_answered(server, ctx):
    # The client's Finished and twenty TLS records, one request each, in one TCP write. The server
    # reads ahead: one read takes them all out of the socket, so it must answer every request from
    # what OpenSSL holds, without waiting for the socket to become readable again.
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
    for i in range(20):
        tls.write(f"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {len(str(i))}\r\n\r\n{i}".encode())
    raw.sendall(outgoing.read())
    plaintext = b""
    while plaintext.count(b"HTTP/1.1 200 ") < 20 or not plaintext.endswith(b"19"):
        data = raw.recv(65536)  # a stalled server times out here
        assert data, f"closed after {plaintext.count(b'HTTP/1.1 200 ')} answers"
        incoming.write(data)
        while True:
            try:
                plaintext += tls.read(65536)
            except ssl.SSLWantReadError:
                break
    assert re.findall(rb"\r\n\r\n(\d+)", plaintext) == [str(i).encode() for i in range(20)]
    raw.close()


def test_pipelining_client_that_reads_late_gets_every_answer_in_order(server, ctx):
    # 5.4 MB of echoes: more than the server queues per connection (1 MiB) plus what the kernel
    # buffers, so the server must stop reading, wait for the client to read, and resume.
    bodies = [bytes([65 + i % 26]) * 90_000 for i in range(60)]
    out = b"".join(f"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies)
    sock = tls_connect(server.port, ctx).sock
    sock.setblocking(False)
    received, answers, reading = b"", [], False
    while len(answers) < len(bodies):
        readable, writable, _ = select.select([sock] if reading else [], [sock] if out else [], [], 0.5 if not reading else 10)
        if not readable and not writable:
            assert not reading, f"stalled after {len(answers)} answers"
            reading = True  # the client's writes are blocked: start reading
            continue
        if writable:
            try:
                out = out[sock.send(out[:262_144]):]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        if readable:
            try:
                received += sock.recv(1 << 20)
                while sock.pending():
                    received += sock.recv(1 << 20)
            except ssl.SSLWantReadError:
                pass
        while b"\r\n\r\n" in received:
            head, _, rest = received.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
            if len(rest) < length:
                break
            answers.append(rest[:length])
            received = rest[length:]
    assert reading, "the client never had to wait: the test did not fill the server's queue"
    assert answers == bodies


def test_connection_close_is_answered_then_closed_with_close_notify(server, ctx):
    # A request read to its end with nothing after it: the server closes at once instead of waiting
    # for the client. The answer must arrive whole and the close be TLS's close_notify (recv gives
    # b""), never a reset, however fast the close follows the answer.
    for i in range(20):
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        c = Client(ctx.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False))
        status, headers, body = c.request("POST", "/echo", f"body {i}", {"Connection": "close"})
        assert (status, body, headers["connection"]) == (200, f"body {i}".encode(), "close")
        assert c.sock.recv(65536) == b""  # a bare TCP close raises SSLEOFError here


def test_chunked_body_in_pieces(server, ctx):
    c = tls_connect(server.port, ctx)
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    for piece in ["4\r\nsp", "ar\r\n", "5;x=y\r\nkhook\r\n", "1\r\n!\r\n", "0\r\n", "\r\n"]:
        c.send(piece)
        time.sleep(0.02)
    status, _, body = read_response(c)
    assert (status, body) == (200, b"sparkhook!")
    assert c.request("GET", "/hello")[0] == 200  # the connection stays usable


def test_expect_100_continue(server, ctx):
    c = tls_connect(server.port, ctx)
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    assert read_response(c)[0] == 100
    c.send("abc")
    assert read_response(c)[::2] == (200, b"abc")


def test_head_has_the_get_head_and_no_body(server, ctx):
    c = tls_connect(server.port, ctx)
    status, headers, body = c.request("HEAD", "/hello")
    assert (status, headers["content-length"], body) == (200, "6", b"")
    assert c.request("GET", "/hello")[2] == b"hello\n"


@pytest.mark.parametrize("raw,status", [
    (b"NOT A REQUEST\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    (b"PUT /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405),
    (b"POST /echo HTTP/1.1\r\nHost: a\r\n\r\n", 411),
    (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100001\r\n\r\n", 413),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n", 431),
    (b"GET /hello HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    (b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n", 404),
])
def test_bad_requests_get_their_status_and_a_one_line_reason(server, ctx, raw, status):
    c = tls_connect(server.port, ctx)
    c.send(raw)
    got, headers, body = read_response(c)
    assert got == status
    assert headers["content-type"].startswith("text/plain")
    assert body.endswith(b"\n") and body.count(b"\n") == 1 and len(body) > 5
    if status >= 400 and status not in (404, 405):
        assert headers["connection"] == "close"
        assert is_closed(c)
    else:
        assert c.request("GET", "/hello")[0] == 200  # routing errors keep the connection


def test_oversized_chunked_body_is_413(server, ctx):
    c = tls_connect(server.port, ctx)
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(3):
        c.send(b"%x\r\n" % 40000 + b"x" * 40000 + b"\r\n")
    assert read_response(c)[0] == 413
    assert is_closed(c)


def test_slow_headers_get_408_then_close(server, ctx):
    c = tls_connect(server.port, ctx)
    c.send("GET /hello HTTP/1.1\r\nHost: a\r\n")
    start = time.time()
    assert read_response(c)[0] == 408
    assert 0.9 <= time.time() - start < 4
    assert is_closed(c)


def test_slow_body_gets_408(server, ctx):
    c = tls_connect(server.port, ctx)
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    assert read_response(c)[0] == 408
    assert is_closed(c)


def test_idle_keep_alive_connection_is_closed_after_the_idle_time(server, ctx):
    c = tls_connect(server.port, ctx)
    assert c.request("GET", "/hello")[0] == 200
    time.sleep(1.0)
    assert c.request("GET", "/hello")[0] == 200  # activity restarts the idle clock
    assert not is_closed(c, timeout=1.0)
    assert is_closed(c, timeout=4)


def test_silent_client_is_cut_off_during_handshake(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(5)
    start = time.time()
    assert s.recv(10) == b""
    assert time.time() - start < 4


def test_tls_versions_below_1_2_are_refused(server, certs):
    for flag in ["-tls1", "-tls1_1"]:
        out = subprocess.run(["openssl", "s_client", flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-connect",
                              f"127.0.0.1:{server.port}"], input="", capture_output=True, text=True, timeout=10)
        assert out.returncode != 0
        # The client offered the old version (SECLEVEL=0) and the server said no: its alert, not a
        # client that refused to try, is what counts.
        assert "alert protocol version" in out.stderr, out.stderr
    ok = subprocess.run(["openssl", "s_client", "-tls1_2", "-connect", f"127.0.0.1:{server.port}"],
                        input="", capture_output=True, text=True, timeout=10)
    assert "Protocol  : TLSv1.2" in ok.stdout or "TLSv1.2" in ok.stdout


def test_tls_1_3_is_preferred_and_ciphers_are_aead(server, ctx):
    c = tls_connect(server.port, ctx)
    assert c.sock.version() == "TLSv1.3"
    # Python offers AES-256 first; the server chooses AES-128 (SHA-256 key schedule).
    assert c.sock.cipher()[0] == "TLS_AES_128_GCM_SHA256"
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    legacy.check_hostname = False
    legacy.verify_mode = ssl.CERT_NONE
    legacy.maximum_version = ssl.TLSVersion.TLSv1_2
    # The development certificate is ECDSA (P-256): TLS 1.2 suites are the ECDHE-ECDSA ones.
    legacy.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA256:AES128-SHA")  # CBC only
    with pytest.raises(ssl.SSLError):
        tls_connect(server.port, legacy)
    legacy.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    assert tls_connect(server.port, legacy).sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"


@pytest.mark.parametrize("key_type,suite", [("ecdsa", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                                            ("rsa", "ECDHE-RSA-AES128-GCM-SHA256")])
def test_serves_ecdsa_and_rsa_certificates(tmp_path, key_type, suite):
    certs = make_certs(tmp_path, key_type=key_type)
    text = run(["openssl", "x509", "-in", certs / "tls.crt", "-noout", "-text"]).stdout
    assert ("id-ecPublicKey" if key_type == "ecdsa" else "rsaEncryption") in text
    p = echo(certs)
    try:
        ctx = client_context(certs / "ca.crt")
        c = tls_connect(p.port, ctx)
        assert c.sock.version() == "TLSv1.3"
        assert c.request("GET", "/hello")[0] == 200
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        c = tls_connect(p.port, ctx)
        assert c.sock.cipher()[0] == suite
        assert c.request("GET", "/hello")[0] == 200
    finally:
        assert p.stop() == 0


def test_alpn_chooses_http_1_1_when_h2_is_offered(server, certs):
    c = tls_connect(server.port, client_context(certs / "ca.crt", alpn=["h2", "http/1.1"]))
    assert c.sock.selected_alpn_protocol() == "http/1.1"
    assert c.request("GET", "/hello")[0] == 200


def test_session_resumption_skips_the_full_handshake(server, ctx):
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # 1.2: the session is known right after the handshake
    first = tls_connect(server.port, ctx)
    assert first.request("GET", "/hello")[0] == 200
    session = first.sock.session
    first.close()
    second = tls_connect(server.port, ctx, session=session)
    assert second.sock.session_reused


def test_tls13_resumption_with_tickets(server, certs):
    ctx = client_context(certs / "ca.crt")
    first = tls_connect(server.port, ctx)
    assert first.request("GET", "/hello")[0] == 200  # tickets arrive after the handshake
    session = first.sock.session
    first.close()
    second = tls_connect(server.port, ctx, session=session)
    assert second.request("GET", "/hello")[0] == 200
    assert second.sock.session_reused


def test_corked_end_of_handshake_leaves_without_waiting_for_the_kernel(server, ctx):
    # The last handshake step's output is corked until the event round ends. A TLS 1.2 client
    # waits for that Finished before it sends its request, so a connection the loop forgot to
    # uncork would stall until the kernel's 200 ms cork timer: 2 s for ten connections.
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    start = time.monotonic()
    for _ in range(10):
        c = tls_connect(server.port, ctx)
        assert c.request("GET", "/hello")[0] == 200
        c.close()
    assert time.monotonic() - start < 1.5


def test_ipv6_listener(certs):
    p = Process([str(BIN / "http-echo"), "--listen", "[::1]:0", "--listen", "127.0.0.1:0",
                 "--tls-cert", str(certs / "tls.crt"), "--tls-key", str(certs / "tls.key")])
    try:
        v6port = int(p.addresses[0].rsplit(":", 1)[1])
        c = tls_connect(v6port, client_context(certs / "ca.crt"), host="::1")
        assert c.request("GET", "/hello")[0] == 200
    finally:
        assert p.stop() == 0


def test_connection_limit(certs, ctx):
    p = echo(certs, "--max-connections", "3", "--threads", "1")
    try:
        held = [tls_connect(p.port, ctx) for _ in range(3)]
        for c in held:
            assert c.request("GET", "/hello")[0] == 200
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            extra = tls_connect(p.port, ctx)
            extra.request("GET", "/hello")
        held[0].close()
        time.sleep(0.3)
        assert tls_connect(p.port, ctx).request("GET", "/hello")[0] == 200
    finally:
        p.stop()


def peer_cert(port, ctx):
    c = tls_connect(port, ctx)
    der = c.sock.getpeercert(binary_form=True)
    c.close()
    return der


def test_certificate_reload_on_secret_volume_swap(certs, ctx, tmp_path):
    # Lay the files out as a Kubernetes Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1
    def version(name, crt, key):
        d = tmp_path / name
        d.mkdir()
        shutil.copy(crt, d / "tls.crt")
        shutil.copy(key, d / "tls.key")
    version("..v1", certs / "tls.crt", certs / "tls.key")
    os.symlink("..v1", tmp_path / "..data")
    for f in ["tls.crt", "tls.key"]:
        os.symlink(f"..data/{f}", tmp_path / f)
    p = echo(certs, "--reload-interval-ms", "300", cert=tmp_path / "tls.crt", key=tmp_path / "tls.key")
    try:
        old_cert = peer_cert(p.port, ctx)
        old_conn = tls_connect(p.port, ctx)
        assert old_conn.request("GET", "/hello")[0] == 200

        crt, key = make_leaf(certs, tmp_path / "new", "renewed", usage="serverAuth")
        version("..v2", crt, key)
        os.symlink("..v2", tmp_path / "..data_tmp")
        os.rename(tmp_path / "..data_tmp", tmp_path / "..data")  # atomic swap, as the kubelet does
        p.wait_for_log(lambda e: e["msg"] == "TLS certificate reloaded")
        new_cert = peer_cert(p.port, ctx)
        assert new_cert != old_cert
        assert new_cert == ssl.PEM_cert_to_DER_cert(open(crt).read())
        assert old_conn.request("GET", "/hello")[0] == 200  # open connections are not dropped

        # A mismatched pair is refused and the last good one stays in use.
        other_crt, other_key = make_leaf(certs, tmp_path / "other", "other", usage="serverAuth")
        (tmp_path / "..v3").mkdir()
        shutil.copy(crt, tmp_path / "..v3" / "tls.crt")
        shutil.copy(other_key, tmp_path / "..v3" / "tls.key")
        os.symlink("..v3", tmp_path / "..data_tmp")
        os.rename(tmp_path / "..data_tmp", tmp_path / "..data")
        entry = p.wait_for_log(lambda e: "refused" in e["msg"])
        assert "does not match" in entry["reason"]
        assert peer_cert(p.port, ctx) == new_cert
    finally:
        assert p.stop() == 0


def test_client_certificate_required_with_client_ca(certs, tmp_path):
    p = echo(certs, "--client-ca", certs / "ca.crt")
    try:
        good_crt, good_key = make_leaf(certs, tmp_path, "apiserver")
        c = tls_connect(p.port, client_context(certs / "ca.crt", good_crt, good_key))
        assert c.request("GET", "/hello")[0] == 200

        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            c = tls_connect(p.port, client_context(certs / "ca.crt"))
            c.request("GET", "/hello")  # TLS 1.3: the refusal arrives after the client's Finished

        stranger = make_certs(tmp_path / "stranger")
        bad_crt, bad_key = make_leaf(stranger, tmp_path / "s", "intruder")
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            c = tls_connect(p.port, client_context(certs / "ca.crt", bad_crt, bad_key))
            c.request("GET", "/hello")
    finally:
        assert p.stop() == 0


def test_sigterm_drains_in_flight_requests_then_exits_0(certs, ctx):
    p = echo(certs, "--shutdown-grace", "10")
    results = {}

    def slow():
        c = tls_connect(p.port, ctx)
        results["slow"] = c.request("POST", "/slow?ms=1500", "x")

    idle = tls_connect(p.port, ctx)
    assert idle.request("GET", "/hello")[0] == 200
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    p.signal(signal.SIGTERM)
    time.sleep(0.3)
    assert is_closed(idle, timeout=3)  # idle keep-alive connections close at once
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p.port), timeout=2)  # the listener is closed
    t.join(10)
    status, headers, body = results["slow"]
    assert (status, body) == (200, b"slept 1500 ms\n")
    assert headers["connection"] == "close"
    assert p.proc.wait(10) == 0


def test_shutdown_deadline_bounds_a_stuck_request(certs, ctx):
    p = echo(certs, "--shutdown-grace", "1")
    c = tls_connect(p.port, ctx)
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab")  # never finishes
    time.sleep(0.2)
    start = time.time()
    p.signal(signal.SIGTERM)
    assert p.proc.wait(10) == 0
    assert time.time() - start < 3


def test_many_idle_connections_do_not_block_a_new_client(server, ctx):
    idle = [tls_connect(server.port, ctx) for _ in range(200)]
    c = tls_connect(server.port, ctx)
    for _ in range(20):
        assert c.request("POST", "/echo", "x")[0] == 200
    for s in idle:
        s.close()
