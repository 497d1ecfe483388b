"""The image's build stage sees only what the Dockerfile copies in: with exactly that, SwiftPM must
accept the package (it refuses one whose targets' folders are missing). No Docker engine here, so
the copy is made by hand from the Dockerfile's COPY lines."""
import re
import shutil
import subprocess

from conftest import ROOT


def test_the_dockerfile_copies_every_folder_the_package_declares(tmp_path):
    build_stage = (ROOT / "Dockerfile").read_text().split("\nFROM ")[1]
    copies = re.findall(r"^COPY (?!--from)(\S+) ", build_stage, re.M)
    assert "Sources" in copies and "Package.swift" in copies
    for source in copies:
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, tmp_path / source, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy(src, tmp_path / source)
    out = subprocess.run(["swift", "package", "describe"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
