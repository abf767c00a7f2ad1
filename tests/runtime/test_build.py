"""`make -C pgext install` refuses to overwrite an upstream multicorn2."""

import os
import subprocess

from tests.pg import PG_CONFIG, PYTHON, ROOT

PGEXT = os.path.join(ROOT, "pgext")


def pkglibdir():
    return subprocess.run([PG_CONFIG, "--pkglibdir"], capture_output=True, text=True, check=True).stdout.strip()


def staged_install(destdir, force=False):
    cmd = ["make", "-s", "-C", PGEXT, "install", "DESTDIR=%s" % destdir,
           "PG_CONFIG=" + PG_CONFIG, "PYTHON=" + PYTHON]
    if force:
        cmd.append("FORCE=1")
    return subprocess.run(cmd, capture_output=True, text=True)


def test_refuses_to_overwrite_upstream_multicorn(tmp_path):
    target = tmp_path / pkglibdir().lstrip("/")
    target.mkdir(parents=True)
    upstream = target / "multicorn.so"
    upstream.write_bytes(b"\x7fELF pretend upstream multicorn2")
    refused = staged_install(tmp_path)
    assert refused.returncode != 0
    assert "refusing to overwrite" in refused.stderr and "FORCE=1" in refused.stderr
    assert upstream.read_bytes() == b"\x7fELF pretend upstream multicorn2"
    forced = staged_install(tmp_path, force=True)
    assert forced.returncode == 0, forced.stderr
    assert b"ig_fdw-multicorn-runtime" in upstream.read_bytes()


def test_reinstalling_our_runtime_is_allowed(tmp_path):
    assert staged_install(tmp_path).returncode == 0
    assert staged_install(tmp_path).returncode == 0
