"""A throwaway PostgreSQL cluster for the tests (and the demo).

It builds and installs the runtime, runs initdb as the `postgres` OS user
(PostgreSQL refuses to run as root), starts the server on a free port with
its socket in a temporary directory and PYTHONPATH pointing at the checkout
and the venv's site-packages, and always stops it again.
"""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The PostgreSQL tree under test: its pg_config (as for `make PG_CONFIG=...`).
PG_CONFIG = os.environ.get("PG_CONFIG") or "pg_config"
#: The Python the runtime embeds (as for `make PYTHON=...`).
PYTHON = os.environ.get("PYTHON") or "/usr/bin/python3"


def _pg_bindir():
    """PG_BIN if set, else the bin directory of PG_CONFIG's tree."""
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    try:
        return subprocess.run([PG_CONFIG, "--bindir"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "/usr/lib/postgresql/15/bin"


PG_BIN = _pg_bindir()


def _as_postgres(cmd, **kwargs):
    """Run cmd as the postgres OS user when we are root."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_runtime():
    """make -C pgext install into PG_CONFIG's tree for PYTHON, once per test session."""
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "pgext"), "install",
                    "PG_CONFIG=" + PG_CONFIG, "PYTHON=" + PYTHON],
                   check=True, stdout=subprocess.DEVNULL)


#: Runtime dependencies the server's Python imports (ig_fdw's install_requires,
#: at the versions pinned for the tests).
SERVER_REQUIREMENTS = ("requests", "cryptography")


def _python_version(python):
    return subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _pinned_requirements():
    with open(os.path.join(ROOT, ".ci", "requirements-test.txt")) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    return [l for l in lines if l.split("=")[0].split("[")[0] in SERVER_REQUIREMENTS]


def server_site():
    """Where the server's embedded Python finds ig_fdw's dependencies.

    This venv's site-packages when PYTHON is the venv's Python version;
    otherwise PYTHON_SITE, or a directory filled once with PYTHON's own pip
    (`pip install --target .cache/site-X.Y`): compiled modules such as
    cryptography's cffi are built for one Python version."""
    if os.environ.get("PYTHON_SITE"):
        return os.environ["PYTHON_SITE"]
    version = _python_version(PYTHON)
    if version == "%d.%d" % sys.version_info[:2]:
        return sysconfig.get_paths()["purelib"]
    target = os.path.join(ROOT, ".cache", "site-" + version)
    stamp = os.path.join(target, ".installed")
    if not os.path.exists(stamp):
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--upgrade", "--target", target] + _pinned_requirements(), check=True)
        open(stamp, "w").close()
    return target


def server_pythonpath():
    """The checkout (ig_fdw, tests.fdws) and the site-packages for PYTHON."""
    return os.pathsep.join([ROOT, server_site()])


def let_postgres_reach(path):
    """The server runs as `postgres` and imports ig_fdw and the venv from the
    checkout: make the checkout readable and searchable by others (Python lists
    a sys.path directory) and give every directory above it the search bit,
    e.g. for a clone made in `mktemp -d` (mode 0700).  Directories above are
    not made listable."""
    path = os.path.abspath(path)
    bits = 0o005
    while True:
        mode = os.stat(path).st_mode
        if mode & bits != bits:
            os.chmod(path, mode | bits)
        bits = 0o001
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


class Cluster(object):
    def __init__(self, settings=None):
        self.dir = tempfile.mkdtemp(prefix="igfdw-pg-")
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = self.dir
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.settings = dict(settings or {})
        self.started = False

    def start(self):
        if os.geteuid() == 0:
            let_postgres_reach(ROOT)
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        _as_postgres([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                      "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"],
                     stdout=subprocess.DEVNULL)
        opts = ["-p", str(self.port), "-k", self.socket_dir, "-c", "listen_addresses=",
                "-c", "fsync=off", "-c", "log_min_messages=warning"]
        for key, value in self.settings.items():
            opts += ["-c", "%s=%s" % (key, value)]
        env = dict(os.environ, PYTHONPATH=server_pythonpath())
        env.pop("PYTHONHOME", None)
        # IGFDW_SERVER_ENV: extra NAME=VALUE words for the server only (make test-sanitize).
        _as_postgres(["env", "PYTHONPATH=" + env["PYTHONPATH"]]
                     + os.environ.get("IGFDW_SERVER_ENV", "").split() +
                     [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                      "-w", "-t", "60", "-o", " ".join(opts), "start"],
                     stdout=subprocess.DEVNULL)
        self.started = True
        return self

    def stop(self):
        if self.started:
            try:
                _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate",
                              "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except subprocess.CalledProcessError:
                pass
            self.started = False

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, dbname="postgres"):
        return "host=%s port=%d user=postgres dbname=%s" % (self.socket_dir, self.port, dbname)

    def server_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())


if __name__ == "__main__":
    # Development aid: start a cluster and print its connection string.
    build_runtime()
    c = Cluster().start()
    print(c.dsn(), c.log, c.dir)
