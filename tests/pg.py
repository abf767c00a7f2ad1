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


def server_pythonpath():
    """The checkout (ig_fdw, tests.fdws) and this interpreter's site-packages."""
    return os.pathsep.join([ROOT, sysconfig.get_paths()["purelib"]])


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
