"""A rolling restart of three replicas under load, through a real kube-apiserver with the webhook at
`failurePolicy: Fail` behind a Service stand-in (rollout.py): no create may fail, every stored
pod carries the policy, and from 10 to 30 s after the last restart each replica answers at least
30% of the calls. The replicas run with the manifests' flags. `make rollout` runs the same longer, with two and three replicas and SIGKILL too."""
import os
import pathlib

import rollout


def test_a_rolling_restart_under_load_loses_no_pod_and_the_replicas_share_the_load_again(apiserver, certs):
    binary = pathlib.Path(os.environ.get("SPARKHOOK_BIN_DIR", ".build/debug")) / "sparkhook"
    report = rollout.run(apiserver, str(binary), certs, rollout.ROOT / "examples" / "production.yaml",
                         replicas=3, cycles=1, settle=10, window=20,
                         shutdown_delay=float(rollout.deployment_flags()["--shutdown-delay"]))
    print(report)
    assert report["creates_during_restarts"] > 200, f"too little load to prove anything: {report}"
    assert report["failed"] == 0, f"creates failed during the rollout: {report['failures']}"
    assert report["stored_without_applied"] == 0, report
    assert report["closed_connections"]["max-requests"] > 0, f"the manifests' answer cap renewed no connection: {report}"
    assert report["closed_connections"]["request after close"] == 0, f"a request arrived after sparkhook's close: {report}"
    shares = report["share_after_settle"]
    assert min(shares.values()) >= 0.3, (f"one replica serves most calls from {report['settle_seconds']} s to "
                                         f"{report['settle_seconds'] + report['window_seconds']} s after the rollout: {shares}")
