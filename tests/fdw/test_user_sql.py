"""The SQL users run (sql/setup.sql, sql/sandbox.sql, sql/examples.sql), run
exactly as `make demo` runs it: through psql, with the OAuth verifier a
browser would get from the sandbox's dialog."""

import os
import subprocess

import requests

from tests.demo import VERSION, sandbox_verifier
from tests.pg import ROOT


def psql(cluster, database, *args):
    cmd = ["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.socket_dir, "-p",
           str(cluster.port), "-U", "postgres", database] + list(args)
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def test_setup_and_examples_sql(cluster, database, sandbox):
    info = requests.get(sandbox.url + "/__sandbox/info", timeout=10).json()
    account = info["accounts"][0]["id"] if isinstance(info["accounts"][0], dict) else info["accounts"][0]
    verifier = sandbox_verifier(sandbox.url, info)
    psql(cluster, database, "-v", "business_account_id=%s" % account, "-v", "client_id=%s" % info["app_id"],
         "-v", "client_secret=%s" % info["app_secret"], "-v", "verifier=%s" % verifier,
         "-f", os.path.join(ROOT, "sql", "setup.sql"))
    psql(cluster, database, "-v", "sandbox_url=%s" % sandbox.url,
         "-v", "sandbox_dialog_url=%s/%s/dialog/oauth" % (sandbox.url, VERSION),
         "-f", os.path.join(ROOT, "sql", "sandbox.sql"))
    out = psql(cluster, database, "-f", os.path.join(ROOT, "sql", "examples.sql"))
    assert "copperkettle.coffee" in out.stdout
    assert "Graph: GET ?ids=<2 ids> (1 call, 50 ids each)" in out.stdout
    assert "autumn launch" in out.stdout
    assert "ERROR" not in out.stderr
    # the verifier was exchanged once; no secret, token or code is in the output
    for secret in (info["app_secret"], verifier):
        assert secret not in out.stdout + out.stderr


def _usage_line(path):
    """The psql command line a SQL file documents in its header comment."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("--") and "psql " in line:
                return line.lstrip("- ").split()
    raise AssertionError("no usage line in %s" % path)


def test_sandbox_sql_usage_line_works_literally(cluster, database, sandbox):
    """sql/sandbox.sql run exactly as its usage line says (only the sandbox's port differs), then a query."""
    info = requests.get(sandbox.url + "/__sandbox/info", timeout=10).json()
    account = info["accounts"][0]["id"] if isinstance(info["accounts"][0], dict) else info["accounts"][0]
    psql(cluster, database, "-v", "business_account_id=%s" % account, "-v", "client_id=%s" % info["app_id"],
         "-v", "client_secret=%s" % info["app_secret"], "-v", "verifier=%s" % sandbox_verifier(sandbox.url, info),
         "-f", os.path.join(ROOT, "sql", "setup.sql"))
    argv = _usage_line(os.path.join(ROOT, "sql", "sandbox.sql"))
    assert argv[0] == "psql" and argv[-2:] == ["-f", "sql/sandbox.sql"]
    args = [a.replace("http://127.0.0.1:8123", sandbox.url) for a in argv[1:-2]]
    psql(cluster, database, *args, "-f", os.path.join(ROOT, "sql", "sandbox.sql"))
    out = psql(cluster, database, "-A", "-t", "-c", "SELECT username FROM instagram.instagram_business_profile")
    assert out.stdout.strip() == "copperkettle.coffee"
    opts = psql(cluster, database, "-A", "-t", "-c", "SELECT srvoptions FROM pg_foreign_server "
                                                     "WHERE srvname = 'instagram'").stdout
    assert "dialog_url=%s/{version}/dialog/oauth" % sandbox.url in opts
    # without -v sandbox_url: a message saying what to pass, not a syntax error
    with_nothing = subprocess.run(["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.socket_dir,
                                   "-p", str(cluster.port), "-U", "postgres", database, "-f",
                                   os.path.join(ROOT, "sql", "sandbox.sql")], capture_output=True, text=True)
    assert "needs the sandbox URL" in with_nothing.stderr and "syntax error" not in with_nothing.stderr
