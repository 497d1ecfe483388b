"""`--admin-listen`: /preview and /metrics on a port of their own, off the one the apiserver calls."""
import json

from conftest import FIXTURES, ROOT, client_context, tls_connect
from test_webhook import decode_patch, post, serve


def test_admin_endpoints_move_to_their_own_port(certs):
    p = serve(certs, ROOT / "examples" / "production.yaml", "--admin-listen", "127.0.0.1:0")
    try:
        admin_line = p.wait_for_log(lambda e: e.get("msg") == "listening" and e["addresses"] != ",".join(p.addresses))
        admin_port = int(admin_line["addresses"].rsplit(":", 1)[1])
        assert admin_line["threads"] == "1"
        ctx = client_context(certs / "ca.crt")
        webhook, admin = tls_connect(p.port, ctx), tls_connect(admin_port, ctx)
        review = (FIXTURES / "executor-operator.json").read_bytes()
        status, _, body = post(webhook, "/mutate", review)
        assert status == 200 and decode_patch(json.loads(body))
        assert post(webhook, "/preview", review)[0] == 404
        assert webhook.request("GET", "/metrics")[0] == 404
        assert webhook.request("GET", "/readyz")[0] == 200
        status, _, body = post(admin, "/preview", review)
        assert status == 200 and json.loads(body)["patch"]
        assert post(admin, "/mutate", review)[0] == 404
        status, _, body = admin.request("GET", "/metrics")
        # The webhook port's admissions and connections, counted where Prometheus scrapes.
        assert status == 200 and 'sparkhook_requests_total{endpoint="mutate",outcome="mutated"} 1' in body.decode()
        assert "sparkhook_open_connections 1" in body.decode()
        assert admin.request("GET", "/healthz")[0] == 200 and admin.request("GET", "/readyz")[0] == 200
        webhook.close()
        admin.close()
    finally:
        assert p.stop() == 0
