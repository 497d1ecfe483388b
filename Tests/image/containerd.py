"""A private containerd for the image tests: its own root, state and socket under a temporary
folder, so that it never touches a containerd the machine runs. Images are imported with `ctr`, as
a kind or a real node loads an archive, and run with runc."""
import os
import pathlib
import shutil
import subprocess
import time

NAMESPACE = "sparkhook-test"
NEEDS = ("containerd", "ctr", "runc")
HOW = "apt-get install containerd runc (Debian)"


def missing_tools():
    return [tool for tool in NEEDS if shutil.which(tool) is None]


class Containerd:
    def __init__(self, work):
        self.work = pathlib.Path(work)
        self.socket = self.work / "containerd.sock"
        config = self.work / "config.toml"
        # No CRI plugin: nothing here is a kubelet's runtime; the test runs tasks itself.
        config.write_text(f"""version = 2
root = "{self.work}/root"
state = "{self.work}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.socket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.work}/opt"
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = "{self.work}/runc"
""")
        self.log = open(self.work / "containerd.log", "w")
        # Image pulls go to a closed port: the test uses the imported image or fails at once.
        env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
        self.proc = subprocess.Popen(["containerd", "--config", str(config)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 30
        while self.ctr("version", check=False).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("containerd did not start: " + (self.work / "containerd.log").read_text()[-2000:])
            time.sleep(0.1)

    def ctr(self, *args, check=True, timeout=300):
        out = subprocess.run(["ctr", "-a", str(self.socket), "-n", NAMESPACE, *args],
                             capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args)}: {out.stderr.strip()}")
        return out

    def import_archive(self, archive):
        """Imports an OCI archive; returns the image names it held."""
        before = set(self.ctr("images", "ls", "-q").stdout.split())
        self.ctr("images", "import", str(archive))
        return sorted(set(self.ctr("images", "ls", "-q").stdout.split()) - before)

    def task_pid(self, name):
        for line in self.ctr("tasks", "ls").stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == name:
                return int(fields[1])
        return None

    def stop(self):
        for name in self.ctr("tasks", "ls", "-q", check=False).stdout.split():
            self.ctr("tasks", "kill", "-a", "-s", "SIGKILL", name, check=False)
            time.sleep(0.2)
            self.ctr("tasks", "delete", "-f", name, check=False)
        for name in self.ctr("containers", "ls", "-q", check=False).stdout.split():
            self.ctr("containers", "delete", name, check=False)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        # Snapshot mounts left by a killed task would keep the folder from being removed.
        mounts = [line.split()[4] for line in open("/proc/self/mountinfo")
                  if line.split()[4].startswith(str(self.work) + "/")]
        for mount in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
