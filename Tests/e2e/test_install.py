"""`make install`: the binary, bash/zsh/fish completions and the man page under PREFIX, each
generated from the command line by swift-argument-parser (the debug build, to keep it quick)."""
import os
import subprocess

from conftest import ROOT


def test_make_install_puts_the_binary_completions_and_man_page_under_prefix(tmp_path):
    out = subprocess.run(["make", "install", f"PREFIX={tmp_path}", "INSTALL_BUILD=build", "INSTALL_BIN=.build/debug",
                          "MAN_CONFIGURATION=debug"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    binary = tmp_path / "bin" / "sparkhook"
    assert os.access(binary, os.X_OK)
    assert "test" in subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout
    bash = (tmp_path / "share" / "bash-completion" / "completions" / "sparkhook").read_text()
    assert "complete" in bash and "preview" in bash and "--policy" in bash
    assert (tmp_path / "share" / "zsh" / "site-functions" / "_sparkhook").read_text().startswith("#compdef sparkhook")
    assert "serve" in (tmp_path / "share" / "fish" / "vendor_completions.d" / "sparkhook.fish").read_text()
    man = (tmp_path / "share" / "man" / "man1" / "sparkhook.1").read_text()
    assert ".Dt SPARKHOOK 1" in man and "admin-listen" in man
    rendered = subprocess.run(["man", "-l", str(tmp_path / "share" / "man" / "man1" / "sparkhook.1")], capture_output=True,
                              text=True, env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
    if rendered.returncode == 0:  # man may not be installed; the page's source was checked above
        assert "mutating admission webhook" in rendered.stdout
