"""pgext/src keeps the layering docs/runtime.md describes ("Source layout").

The call graph is read from the built objects with nm (a symbol one object
leaves undefined and another defines is a call, or a use, between the two
files), so it cannot drift from the code the way a hand-drawn graph would.
A file may use its own layer or a lower one; a call back up (as init.c ->
instance.c -> init.c once was) fails here with the files and the symbol.
"""

import fnmatch
import glob
import os
import re
import shutil
import subprocess

import pytest

from tests.pg import ROOT

SRC = os.path.join(ROOT, "pgext", "src")
DOC = os.path.join(ROOT, "docs", "runtime.md")


def documented_layers():
    """[[glob, ...], ...], top layer first, from the numbered list of the section."""
    text = open(DOC, encoding="utf-8").read()
    section = text.split("## Source layout", 1)[1].split("\n## ", 1)[0]
    return [re.findall(r"`([^`]+)\.c`", line)
            for line in section.splitlines() if re.match(r"\d+\. `", line)]


def symbols(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def call_graph():
    """{(caller, callee): symbol} between the runtime's objects."""
    objs = {os.path.basename(o)[:-2]: o for o in glob.glob(os.path.join(SRC, "*.o"))
            if os.path.exists(o[:-2] + ".c")}  # not a stale object of a removed file
    defined = {}
    for name, obj in objs.items():
        for sym in symbols(obj, "--defined-only", "-g"):
            defined[sym] = name
    edges = {}
    for name, obj in objs.items():
        for sym in symbols(obj, "-u"):
            callee = defined.get(sym)
            if callee and callee != name:
                edges[(name, callee)] = sym
    return objs, edges


@pytest.fixture(scope="module")
def built(cluster):
    """The session's build (the cluster fixture makes it) left the objects in pgext/src."""
    if shutil.which("nm") is None:
        pytest.skip("nm (binutils) is not installed")
    return call_graph()


def layer_of(layers, name):
    found = [i for i, globs in enumerate(layers) if any(fnmatch.fnmatch(name, g) for g in globs)]
    assert len(found) == 1, "%s.c is in %d layers of docs/runtime.md's Source layout" % (name, len(found))
    return found[0]


def test_every_source_file_is_built_and_in_one_documented_layer(built):
    objs, _ = built
    layers = documented_layers()
    sources = {os.path.basename(c)[:-2] for c in glob.glob(os.path.join(SRC, "*.c"))}
    assert sources <= set(objs), "sources without an object (missing from pgext/Makefile's OBJS?): %s" % (
        sorted(sources - set(objs)))
    for name in sources:
        layer_of(layers, name)


def test_no_file_calls_a_higher_layer(built):
    _, edges = built
    layers = documented_layers()
    upward = ["%s.c -> %s.c (%s)" % (a, b, sym) for (a, b), sym in sorted(edges.items())
              if layer_of(layers, b) < layer_of(layers, a)]
    assert not upward, "calls against docs/runtime.md's layering: %s" % upward


def test_interpreter_start_and_signal_relay_are_out_of_init(built):
    _, edges = built
    # init.c is the top: nothing calls into it, and it reaches the
    # interpreter and the relay only through interp.c.
    assert not [a for (a, b) in edges if b == "init"]
    assert ("init", "signals") not in edges
    assert edges.get(("interp", "signals")) == "mc_install_signal_relay"
