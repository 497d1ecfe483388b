"""A rolling restart of two replicas under load, through a real kube-apiserver with the webhook at
`failurePolicy: Fail` behind a Service stand-in (rollout.py): no create may fail, every stored
pod carries the policy, and after the settle time each replica answers at least 30% of the calls.
`make rollout` runs the same longer, with three replicas and SIGKILL too."""
import os
import pathlib

import rollout


def test_a_rolling_restart_under_load_loses_no_pod_and_the_replicas_share_the_load_again(apiserver, certs):
    binary = pathlib.Path(os.environ.get("SPARKHOOK_BIN_DIR", ".build/debug")) / "sparkhook"
    report = rollout.run(apiserver, str(binary), certs, rollout.ROOT / "examples" / "production.yaml",
                         replicas=2, cycles=1, settle=35, window=10, shutdown_delay=5)
    print(report)
    assert report["creates_during_restarts"] > 200, f"too little load to prove anything: {report}"
    assert report["failed"] == 0, f"creates failed during the rollout: {report['failures']}"
    assert report["stored_without_applied"] == 0, report
    shares = report["share_after_settle"]
    assert min(shares.values()) >= 0.3, f"one replica serves most calls {report['settle_seconds']} s after the rollout: {shares}"
