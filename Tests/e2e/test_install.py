"""`make install`: the binary, bash/zsh/fish completions and the man page under PREFIX, each
written from the command line's own description (the debug build, to keep it quick)."""
import os
import subprocess

from conftest import ROOT


def test_make_install_puts_the_binary_completions_and_man_page_under_prefix(tmp_path):
    out = subprocess.run(["make", "install", f"PREFIX={tmp_path}", "INSTALL_BUILD=build", "INSTALL_BIN=.build/debug"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    binary = tmp_path / "bin" / "sparkhook"
    assert os.access(binary, os.X_OK)
    assert "test" in subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout
    bash = (tmp_path / "share" / "bash-completion" / "completions" / "sparkhook").read_text()
    assert "complete" in bash and "preview" in bash and "--policy" in bash
    # Options with a fixed set of values complete them; paths complete as files.
    assert "-W 'table'$'\\n''json'" in bash and "-W 'debug'$'\\n''info'$'\\n''warning'$'\\n''error'" in bash
    assert bash.count("__sparkhook_add_completions -f") >= 10
    assert (tmp_path / "share" / "zsh" / "site-functions" / "_sparkhook").read_text().startswith("#compdef sparkhook")
    assert "serve" in (tmp_path / "share" / "fish" / "vendor_completions.d" / "sparkhook.fish").read_text()
    man = (tmp_path / "share" / "man" / "man1" / "sparkhook.1").read_text()
    assert ".Dt SPARKHOOK 1" in man and "admin-listen" in man
    # Defaults and allowed values are in the page; the hidden `schema` command and ArgumentParser's
    # `help` are not; the examples are.
    assert "Default: 127.0.0.1:8443." in man and "One of: table, json. Default: table." in man
    assert ".It Em schema" not in man and ".It Em help" not in man and ".Cm schema" not in man
    assert ".Sh EXAMPLES" in man and "sparkhook test examples/tests" in man and ".Sh EXIT STATUS" in man
    rendered = subprocess.run(["man", "-l", str(tmp_path / "share" / "man" / "man1" / "sparkhook.1")], capture_output=True,
                              text=True, env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
    if rendered.returncode == 0:  # man may not be installed; the page's source was checked above
        assert "mutating admission webhook" in rendered.stdout
        assert "warning" not in rendered.stderr.lower(), rendered.stderr
