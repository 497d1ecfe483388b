"""sparkhook_policy_info{hash}: one series naming the policy in force, changed on reload, kept on a
refused one; and how long our side of a ConfigMap update takes: from the kubelet's atomic swap of
the volume's ..data link to the new policy serving (inotify, with the periodic re-check off)."""
import os
import re
import subprocess
import time

from conftest import BIN, ROOT, Process, metrics_text

EXAMPLE = (ROOT / "examples" / "production.yaml").read_text()


def info(server, certs):
    text = metrics_text(server, certs)
    series = re.findall(r'^sparkhook_policy_info\{hash="([0-9a-f]*)"\} 1$', text, re.M)
    assert len(series) == 1 and 'sparkhook_policy_info{' in text, text
    assert len(re.findall(r"^sparkhook_policy_info\b", text, re.M)) == 1
    return series[0]


def publish(folder, version, text):
    """What the kubelet does to a ConfigMap volume: a new timestamped folder, then ..data swapped to it."""
    (folder / version).mkdir()
    (folder / version / "policy.yaml").write_text(text)
    os.symlink(version, folder / "..data_tmp")
    os.replace(folder / "..data_tmp", folder / "..data")


def test_policy_info_names_the_policy_in_force(certs, tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    publish(folder, "..v1", EXAMPLE)
    os.symlink("..data/policy.yaml", folder / "policy.yaml")
    server = Process([str(BIN / "sparkhook"), "serve", "--listen", "127.0.0.1:0", "--tls-cert", str(certs / "tls.crt"),
                      "--tls-key", str(certs / "tls.key"), "--policy", str(folder), "--watch-interval-ms", "600000"])
    try:
        first = info(server, certs)
        assert re.fullmatch(r"[0-9a-f]{16}", first)
        # check names the hash a server of the same path shows, before anything is deployed.
        checked = subprocess.run([str(BIN / "sparkhook"), "check", "--policy", str(folder)], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0 and f", hash {first} (sparkhook_policy_info{{hash}} when served)" in checked.stdout, checked

        changed = EXAMPLE.replace("periodSeconds: 10}", "periodSeconds: 11}", 1)
        assert changed != EXAMPLE
        delays, hashes = [], []
        for i, text in enumerate([changed, EXAMPLE, changed]):
            start = time.monotonic()
            publish(folder, f"..v{i + 2}", text)
            server.wait_for_log(lambda e: e["msg"] == "policy reloaded" and e["generation"] == str(i + 2))
            delays.append(time.monotonic() - start)
            hashes.append(info(server, certs))
        second = hashes[0]
        assert second != first and hashes == [second, first, second]

        publish(folder, "..v9", "spec: [\n")
        server.wait_for_log(lambda e: e["msg"].startswith("policy refused"))
        assert info(server, certs) == second  # the last good policy still serves

        # The same files give the same hash again, whatever folder the kubelet put them in.
        publish(folder, "..v10", EXAMPLE)
        server.wait_for_log(lambda e: e["msg"] == "policy reloaded" and e["generation"] == "5")
        assert info(server, certs) == first
        print(f"\nswap of ..data to the new policy serving (inotify): {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")
        assert max(delays) < 2  # inotify, not the (10-minute) periodic re-check
    finally:
        assert server.stop() == 0
