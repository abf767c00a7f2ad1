""".ci/install-system-deps.sh picks the PostgreSQL major that is installed,
or the one apt offers (Debian 13 ships 17), instead of naming 15."""

import os
import stat
import subprocess

from tests.pg import ROOT

SCRIPT = os.path.join(ROOT, ".ci", "install-system-deps.sh")


def stub(bindir, name, body):
    path = bindir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def missing_packages(tmp_path, apt_default, installed=()):
    """The packages the script would install on a Debian where nothing is
    installed yet (dpkg knows none) and apt's `postgresql` is apt_default."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stub(bindir, "dpkg", "exit 1")
    stub(bindir, "apt-cache", "echo postgresql; echo '  Depends: postgresql-%s'; "
                              "echo '  Depends: postgresql-common'" % apt_default)
    libroot = tmp_path / "postgresql"
    libroot.mkdir()
    for major in installed:
        (libroot / major).mkdir()
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]), PG_LIBROOT=str(libroot),
               PRINT_ONLY="1")
    env.pop("PG_MAJOR", None)
    out = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_debian_13_gets_the_server_dev_package_of_17(tmp_path):
    got = missing_packages(tmp_path, "17")
    assert "postgresql-17" in got and "postgresql-server-dev-17" in got
    assert not any(p.endswith("-15") for p in got)
    assert {"python3", "python3-dev", "python3-venv", "libpython3-dev"} <= set(got)


def test_the_installed_major_wins_over_apt_default(tmp_path):
    got = missing_packages(tmp_path, "17", installed=("16",))
    assert "postgresql-server-dev-16" in got and "postgresql-server-dev-17" not in got
