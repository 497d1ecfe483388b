#!/usr/bin/env python3
"""sparkhook(1), written from what the binary says of its own command line.

    sparkhook --experimental-dump-help | python3 docs/manpage.py > sparkhook.1

The command line is described once, in Sources/sparkhook (ArgumentParser): this reads that
description (the JSON of --experimental-dump-help) rather than repeating it. Written here rather than
by ArgumentParser's generate-manual plugin because the plugin lists hidden commands, leaves out every
default and allowed value, and has no place for examples. Python's standard library only.
"""
import datetime
import json
import os
import sys

EXAMPLES = [
    ("Check a policy, or the ConfigMap as it is edited, with positions in the manifest:",
     ["sparkhook check examples/production.yaml", "sparkhook check manifests/base/policy.yaml",
      "kubectl kustomize manifests | sparkhook check --strict -"]),
    ("Show what the policy does to a pod, or to every pod of a SparkApplication:",
     ["kubectl get pod my-driver -o yaml | sparkhook preview --policy policy.yaml -",
      "sparkhook preview --policy policy.yaml --spark-application app.yaml --executors 10"]),
    ("Run the policy's test suites, as a pull request does:",
     ["sparkhook test examples/tests --junit results.xml"]),
    ("Serve, as the Deployment in manifests/base does:",
     ["sparkhook serve --listen=0.0.0.0:8443 --tls-cert=/etc/sparkhook/tls/tls.crt \\e",
      "    --tls-key=/etc/sparkhook/tls/tls.key --policy=/etc/sparkhook/policy --shutdown-delay=5"]),
]

EXIT_STATUS = """\
.Nm check
exits 0 when every policy is valid, 1 when one is not (or, with
.Fl -strict ,
has a warning).
.Nm test
exits 0 when every case passes, 1 when one fails, 2 when a file cannot be read.
.Nm preview
exits 1 when the policy or the input cannot be read.
.Nm serve
exits 0 after a drain on SIGTERM, 1 when its certificate or policy is wrong at start.
Every command exits 64 on a usage error (an unknown option, a missing or malformed value).
"""

SEE_ALSO = """\
.Xr kubectl 1 .
The README (Installing in a cluster, Metrics, Failure behaviour) and docs/policy.md of the
sparkhook repository.
"""

# Shown once for the whole program, not under every command.
COMMON = {"help", "version", "h"}


def text(line):
    """One line of running text, safe for mdoc: no escape character, no line read as a macro."""
    line = line.replace("\\", "\\e")
    return "\\&" + line if line.startswith((".", "'")) else line


def flag(name):
    return f"Fl {'' if name['kind'] == 'short' else '-'}{name['name']}" if name["kind"] != "longWithSingleDash" \
        else f"Fl {name['name']}"


def item(argument):
    """The .It line of an argument: its names, then its value (repeatable ones with ...)."""
    value = f"Ar {argument['valueName']}{'...' if argument.get('isRepeating') else ''}"
    if argument["kind"] == "positional":
        return f".It {value}"
    names = " , ".join(flag(n) for n in argument["names"])
    return f".It {names}" + (f" {value}" if argument["kind"] == "option" else "")


def shown(argument):
    return argument.get("shouldDisplay", True) and not (
        argument["kind"] != "positional" and {n["name"] for n in argument["names"]} & COMMON)


def describe(argument):
    out = [item(argument)]
    words = argument.get("abstract", "")
    if argument.get("allValues"):
        words += f" One of: {', '.join(argument['allValues'])}."
    if argument.get("defaultValue") is not None:
        words += f" Default: {argument['defaultValue']}."
    if words.strip():
        out.append(text(words.strip()))
    if argument.get("discussion"):
        out += [".Pp"] + [text(line) for line in str(argument["discussion"]).splitlines()]
    return out


def command(sub):
    out = [f".It Em {sub['commandName']}", text(sub.get("abstract", ""))]
    if sub.get("discussion"):
        out += [".Pp"] + [text(line) for line in str(sub["discussion"]).splitlines()]
    arguments = [a for a in sub.get("arguments", []) if shown(a)]
    if arguments:
        out.append(".Bl -tag -width 6n")
        for argument in arguments:
            out += describe(argument)
        out.append(".El")
    return out


def page(info):
    root = info["command"]
    commands = [c for c in root.get("subcommands", []) if c.get("shouldDisplay", True) and c["commandName"] != "help"]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else datetime.datetime.now(datetime.timezone.utc)
    out = ['.\\" Written by docs/manpage.py from sparkhook --experimental-dump-help',
           f".Dd {day.strftime('%B')} {day.day}, {day.year}", ".Dt SPARKHOOK 1", ".Os",
           ".Sh NAME", ".Nm sparkhook", f".Nd {text(root.get('abstract', '').rstrip('.'))}",
           ".Sh SYNOPSIS"]
    for sub in commands:
        out += [".Nm", f".Cm {sub['commandName']}", ".Op Ar options"]
    out += [".Nm", ".Fl -version",
            ".Sh DESCRIPTION",
            "Each command's options follow it; every command takes",
            ".Fl h , -help",
            "and says what it does and what it takes.",
            ".Bl -tag -width 6n"]
    for sub in commands:
        out += command(sub)
    out += [".El", ".Sh EXIT STATUS", EXIT_STATUS.rstrip("\n"), ".Sh EXAMPLES"]
    for words, lines in EXAMPLES:
        out += [".Pp", text(words), ".Bd -literal -offset indent"] + lines + [".Ed"]
    out += [".Sh SEE ALSO", SEE_ALSO.rstrip("\n")]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(page(json.load(sys.stdin)))
