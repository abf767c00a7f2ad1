"""`ig-fdw doctor --dsn`: the checks are made by the database server itself,
through SQL -- its Python, its settings file in the data directory -- not by
this shell (whose Python and ~/.config/ig_fdw are not the server's)."""

import os

from ig_fdw import cli, doctor
from tests.conftest import remember_secret
from tests.pg import PG_BIN

PSQL = os.path.join(PG_BIN, "psql")


def _doctor(capsys, *argv):
    rc = cli.main(["doctor", "--psql", PSQL] + list(argv))
    out, err = capsys.readouterr()
    return rc, out


def test_doctor_dsn_sees_the_servers_python_and_settings_file(cluster, database, connect, sandbox, capsys):
    conn = connect()
    datadir = conn.execute("SHOW data_directory").fetchone()[0]
    seed = sandbox.mint_token(kind="user_long")
    remember_secret(seed)
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s')"
                 % (sandbox.url, sandbox.app_id, sandbox.accounts[0]))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'REFRESH', "
                 "OAuthClientSecret '%s', OAuthAccessToken '%s')" % (sandbox.app_secret, seed))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER instagram "
                 "INTO ig")
    conn.execute("SELECT * FROM ig.instagram_business_profile").fetchall()   # creates the settings file
    rc, out = _doctor(capsys, "--dsn", cluster.dsn(database))
    assert rc == 0, out
    assert "checked by the database server" in out
    assert "[ok] server Python imports ig_fdw: Python 3" in out and "ig_fdw runtime" in out
    line = next(l for l in out.splitlines() if l.startswith("[ok] settings file:"))
    assert "the server uses %s" % os.path.join(datadir, "ig_fdw") in line and "decrypts" in line, out
    assert "[ok] token valid: expires in" in out
    assert "[ok] business account reachable: %s" % sandbox.accounts[0] in out
    assert seed not in out and sandbox.app_secret not in out
    # nothing stays behind: the probe's schema and table were rolled back
    assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'igfdw_doctor_%'").fetchone()[0] == 0


def test_doctor_dsn_wrong_account_and_no_server(cluster, database, connect, sandbox, capsys):
    conn = connect()
    rc, out = _doctor(capsys, "--dsn", cluster.dsn(database))   # no server yet: a throwaway one
    assert rc == 1
    assert "[ok] server Python imports ig_fdw" in out
    assert "[FAIL] settings file: the server would use" in out and "does not exist" in out
    remember_secret(sandbox.user_token())
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', BusinessAccountId '17841400000000001')" % sandbox.url)
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
                 "OAuthAccessToken '%s')" % sandbox.user_token())
    rc, out = _doctor(capsys, "--dsn", cluster.dsn(database), "--server", "instagram")
    assert rc == 1
    assert "[FAIL] business account reachable: BusinessAccountId 17841400000000001 is not an Instagram " \
           "business account this token can see" in out and sandbox.accounts[0] in out


def test_doctor_without_dsn_says_it_checks_this_shell(monkeypatch):
    for v in doctor.PG_ENV:
        monkeypatch.delenv(v, raising=False)
    assert not doctor.wants_server(None)
    assert doctor.wants_server("host=/tmp dbname=x")
    assert doctor.wants_server(None, {"PGDATABASE": "x"})


def test_doctor_unreachable_server(capsys):
    rc, out = _doctor(capsys, "--dsn", "host=/nonexistent-socket-dir port=1 dbname=x connect_timeout=2")
    assert rc == 1 and "[FAIL] server reachable" in out and "--dsn" in out
