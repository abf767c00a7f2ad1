"""`make demo` / `make demo-stop`: a local PostgreSQL (and, when present, the
sandbox) left running under .demo/, then a short tour of queries.

Running `start` twice reuses what is already running.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from tests.pg import PG_BIN, ROOT, Cluster, _as_postgres, server_pythonpath

DEMO = os.path.join(ROOT, ".demo")
STATE = os.path.join(DEMO, "state.json")
PSQL = "/usr/bin/psql"


def load_state():
    try:
        with open(STATE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except (OSError, TypeError):
        return False


def cluster_running(state):
    pidfile = os.path.join(state["dir"], "data", "postmaster.pid")
    if not os.path.exists(pidfile):
        return False
    with open(pidfile) as f:
        return alive(int(f.readline()))


def start_cluster():
    state = load_state()
    if state and cluster_running(state):
        return state
    if state:
        shutil.rmtree(state["dir"], ignore_errors=True)
    os.makedirs(DEMO, exist_ok=True)
    c = Cluster().start()
    state = {"dir": c.dir, "port": c.port, "socket": c.socket_dir, "log": c.log}
    with open(STATE, "w") as f:
        json.dump(state, f)
    return state


def psql(state, sql=None, file=None, echo=False):
    cmd = [PSQL, "-X", "-v", "ON_ERROR_STOP=1", "-h", state["socket"], "-p", str(state["port"]),
           "-U", "postgres", "postgres"]
    if echo:
        cmd += ["-e"]
    if sql:
        cmd += ["-c", sql]
    if file:
        cmd += ["-f", file]
    return subprocess.run(cmd, check=True)


def start():
    state = start_cluster()
    psql(state, file=os.path.join(ROOT, "sql", "runtime_demo.sql"), echo=True)
    print()
    print("PostgreSQL is running.  Connect with:")
    print("  psql -h %s -p %d -U postgres postgres" % (state["socket"], state["port"]))
    print("Stop everything with: make demo-stop")


def stop():
    state = load_state()
    if not state:
        print("nothing to stop")
        return
    try:
        _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(state["dir"], "data"), "-m", "fast",
                      "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(state["dir"], ignore_errors=True)
    os.unlink(STATE)
    print("demo stopped")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]]()
