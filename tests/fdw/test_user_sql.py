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
