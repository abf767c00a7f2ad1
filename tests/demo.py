"""`make demo` / `make demo-stop`: a local PostgreSQL and the sandbox, left
running under .demo/, set up with the SQL a real user runs (sql/setup.sql,
then sql/sandbox.sql for the host options), and a tour (sql/examples.sql).

`start` stops a previous demo first, so running it twice works.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.parse

from tests.pg import PG_BIN, ROOT, Cluster, _as_postgres, free_port

DEMO = os.path.join(ROOT, ".demo")
STATE = os.path.join(DEMO, "state.json")
PSQL = "/usr/bin/psql"
VERSION = "v22.0"


def load_state():
    try:
        with open(STATE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def start_sandbox():
    """`python -m ig_fdw sandbox` in its own session; returns (pid, url)."""
    log = open(os.path.join(DEMO, "sandbox.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "ig_fdw", "sandbox", "--port", str(free_port()),
                             "--budget-per-hour", "100000"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=log, start_new_session=True, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit("the sandbox did not start; see .demo/sandbox.log")
    return proc.pid, url


def sandbox_verifier(url, info):
    """What a user does in the browser: open the authorization URL, approve,
    and copy the `code` from the redirect (the sandbox approves at once)."""
    import requests
    from ig_fdw import auth, options

    opts = options.resolve({"oauthclientid": info["app_id"], "graph_url": url,
                            "dialog_url": "%s/%s/dialog/oauth" % (url, VERSION)})
    answer = requests.get(auth.authorization_url(opts), allow_redirects=False, timeout=10)
    query = urllib.parse.urlparse(answer.headers["Location"]).query
    return urllib.parse.parse_qs(query)["code"][0]


def psql(state, *args):
    cmd = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", state["socket"], "-p", str(state["port"]),
           "-U", "postgres", "postgres"] + list(args)
    subprocess.run(cmd, check=True)


def start():
    import requests

    stop(quiet=True)
    os.makedirs(DEMO, exist_ok=True)
    c = Cluster().start()
    pid, url = start_sandbox()
    state = {"dir": c.dir, "port": c.port, "socket": c.socket_dir, "log": c.log, "sandbox_pid": pid,
             "sandbox_url": url}
    with open(STATE, "w") as f:
        json.dump(state, f)
    info = requests.get(url + "/__sandbox/info", timeout=10).json()
    print("sandbox: %s   PostgreSQL: port %d" % (url, c.port))
    psql(state, "-v", "business_account_id=%s" % info["accounts"][0]["id"] if isinstance(
        info["accounts"][0], dict) else "business_account_id=%s" % info["accounts"][0],
        "-v", "client_id=%s" % info["app_id"], "-v", "client_secret=%s" % info["app_secret"],
        "-v", "verifier=%s" % sandbox_verifier(url, info), "-f", os.path.join(ROOT, "sql", "setup.sql"))
    psql(state, "-v", "sandbox_url=%s" % url, "-v", "sandbox_dialog_url=%s/%s/dialog/oauth" % (url, VERSION),
         "-f", os.path.join(ROOT, "sql", "sandbox.sql"))
    psql(state, "-f", os.path.join(ROOT, "sql", "examples.sql"))
    print()
    print("PostgreSQL and the sandbox are running.  Connect with:")
    print("  psql -h %s -p %d -U postgres postgres" % (state["socket"], state["port"]))
    print("then e.g.  SELECT * FROM instagram.media LIMIT 5;   Stop both with: make demo-stop")


def stop(quiet=False):
    state = load_state()
    if not state:
        if not quiet:
            print("nothing to stop")
        return
    try:
        os.killpg(state["sandbox_pid"], signal.SIGTERM)
    except (OSError, KeyError):
        pass
    try:
        _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(state["dir"], "data"), "-m", "fast",
                      "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(state["dir"], ignore_errors=True)
    os.unlink(STATE)
    if not quiet:
        print("demo stopped")


if __name__ == "__main__":
    {"start": start, "stop": lambda: stop()}[sys.argv[1]]()
