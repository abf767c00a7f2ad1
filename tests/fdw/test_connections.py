"""One connection per user mapping (ig_fdw.connection), through PostgreSQL: a join of three foreign
tables builds one token provider and one Graph client; an ALTER is seen by the next statement; a table's
BusinessAccountId never changes the settings file."""

import json
import os

import psycopg
import pytest

from tests.conftest import remember_secret
from tests.fdw.conftest import create_server


def _probe(conn, server="instagram", schema="ig", name="probe", extra=""):
    """The server_check report read in this session (so in this backend), as {check name: check}."""
    conn.execute("CREATE FOREIGN TABLE IF NOT EXISTS %s.%s (report text) SERVER %s OPTIONS (table "
                 "'ig_fdw_server_check'%s)" % (schema, name, server, extra))
    report = conn.execute("SELECT report FROM %s.%s" % (schema, name)).fetchone()[0]
    return {c["name"]: c for c in json.loads(report)}


def _built(conn):
    return _probe(conn)["connections of this backend"]["built"]


def test_three_table_join_builds_one_token_provider_and_one_client(ig):
    media_id = ig.execute("SELECT media_id FROM ig.comments LIMIT 1").fetchone()[0]
    dsn = ig.info.dsn
    ig.close()
    conn = psycopg.connect(dsn, autocommit=True)   # a fresh backend: nothing built yet
    try:
        rows = conn.execute(
            "SELECT p.username, m.id, c.id FROM ig.instagram_business_profile p, ig.media m "
            "JOIN ig.comments c ON c.media_id = m.id WHERE m.id = %s", (media_id,)).fetchall()
        assert rows and all(r[1] == media_id for r in rows)
        assert len({r[0] for r in rows}) == 1
        assert _built(conn) == {"token_providers": 1, "graph_clients": 1, "account_resolvers": 1}
    finally:
        conn.close()


def test_a_table_option_shares_the_token_provider(conn, sandbox):
    """Tables with their own BusinessAccountId, one with its own Pagesize: the same token provider; another
    client only for the other client setting."""
    sb = sandbox
    create_server(conn, sb)
    conn.execute("CREATE SCHEMA ig")
    tables = (("a", sb.accounts[0], ""), ("b", sb.accounts[1], ", Pagesize '7'"), ("c", sb.accounts[1], ""))
    for name, account, extra in tables:
        conn.execute("CREATE FOREIGN TABLE ig.profile_%s (id text, username text) SERVER instagram OPTIONS "
                     "(table 'instagram_business_profile', BusinessAccountId '%s'%s)" % (name, account, extra))
    ids = conn.execute("SELECT a.id, b.id, c.id FROM ig.profile_a a, ig.profile_b b, ig.profile_c c").fetchone()
    assert ids == (sb.accounts[0], sb.accounts[1], sb.accounts[1])
    assert _built(conn) == {"token_providers": 1, "graph_clients": 2, "account_resolvers": 1}


def test_alter_is_seen_by_the_next_statement(ig):
    sb = ig.sandbox
    profile = "SELECT id FROM ig.instagram_business_profile"
    assert ig.execute(profile).fetchone()[0] == sb.accounts[0]
    ig.execute("ALTER SERVER instagram OPTIONS (SET BusinessAccountId '%s')" % sb.accounts[1])
    assert ig.execute(profile).fetchone()[0] == sb.accounts[1]
    bogus = "not-a-valid-token-" + "x" * 20
    remember_secret(bogus)
    ig.execute("ALTER USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (SET OAuthAccessToken '%s')" % bogus)
    with pytest.raises(psycopg.Error) as rejected:
        ig.execute(profile)
    assert "rejected" in str(rejected.value) and bogus not in str(rejected.value)
    ig.execute("ALTER USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (SET OAuthAccessToken '%s')"
               % sb.user_token())
    assert ig.execute(profile).fetchone()[0] == sb.accounts[1]
    # BusinessAccountId is a table-level setting: the same connection; the new token: a second one; the
    # first token back: the first connection, still cached
    assert _built(ig)["token_providers"] == 2


def _debug_token_calls(sb):
    return sum(1 for c in sb.stats()["calls"] if c["path"].endswith("/debug_token"))


def test_table_business_account_does_not_change_the_settings_file(conn, sandbox):
    """Regression: BusinessAccountId set per table changed the default settings file, so two tables of one
    server held two tokens (and the seed was inspected and stored twice)."""
    sb = sandbox
    seed = sb.mint_token(kind="user_long")
    remember_secret(seed)
    remember_secret(sb.app_secret)
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', InitiateOAuth 'GETANDREFRESH')" % (sb.url, sb.app_id))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (OAuthClientSecret '%s', "
                 "OAuthAccessToken '%s')" % (sb.app_secret, seed))
    conn.execute("CREATE SCHEMA ig")
    for name, account in (("a", sb.accounts[0]), ("b", sb.accounts[1])):
        conn.execute("CREATE FOREIGN TABLE ig.profile_%s (id text) SERVER instagram OPTIONS "
                     "(table 'instagram_business_profile', BusinessAccountId '%s')" % (name, account))
    sb.reset_stats()
    assert conn.execute("SELECT id FROM ig.profile_a").fetchone()[0] == sb.accounts[0]
    assert conn.execute("SELECT id FROM ig.profile_b").fetchone()[0] == sb.accounts[1]
    assert _debug_token_calls(sb) == 1     # the seed inspected once: one settings file
    # every backend and every table of the server: one file, whatever the table's BusinessAccountId
    paths = set()
    for name, account in (("a", sb.accounts[0]), ("b", sb.accounts[1])):
        other = psycopg.connect(conn.info.dsn, autocommit=True)
        try:
            detail = _probe(other, name="probe_" + name,
                            extra=", BusinessAccountId '%s'" % account)["settings file"]["detail"]
        finally:
            other.close()
        paths.add(detail.split("the server uses ", 1)[1].split(";", 1)[0])
    datadir = conn.execute("SHOW data_directory").fetchone()[0]
    assert len(paths) == 1 and paths.pop().startswith(os.path.join(datadir, "ig_fdw") + os.sep)


def test_settings_directory_of_the_old_location_is_found(conn, sandbox):
    """Upgrading: a settings directory at the old default location (whose id held the server's
    BusinessAccountId) is moved to the new one on first use; the token in it goes on being used."""
    from ig_fdw import connection, options
    sb = sandbox
    seed = sb.mint_token(kind="user_long")
    remember_secret(seed)
    remember_secret(sb.app_secret)
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', InitiateOAuth 'GETANDREFRESH', BusinessAccountId '%s')"
                 % (sb.url, sb.app_id, sb.accounts[0]))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (OAuthClientSecret '%s', "
                 "OAuthAccessToken '%s')" % (sb.app_secret, seed))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER instagram "
                 "INTO ig")
    assert conn.execute("SELECT id FROM ig.instagram_business_profile").fetchone()[0] == sb.accounts[0]
    mapping = options.resolve({"graph_url": sb.url, "oauthclientid": sb.app_id, "initiateoauth": "GETANDREFRESH",
                               "oauthclientsecret": sb.app_secret, "oauthaccesstoken": seed})
    base = os.path.join(conn.execute("SHOW data_directory").fetchone()[0], "ig_fdw")
    new = os.path.join(base, connection.settings_dir_id(mapping))
    old = os.path.join(base, connection.settings_dir_id(mapping, sb.accounts[0]))
    assert os.path.exists(os.path.join(new, "OAuthSettings.txt")) and not os.path.exists(old)
    os.rename(new, old)                    # as an earlier release left it
    sb.reset_stats()
    later = psycopg.connect(conn.info.dsn, autocommit=True)
    try:
        assert later.execute("SELECT id FROM ig.instagram_business_profile").fetchone()[0] == sb.accounts[0]
    finally:
        later.close()
    assert os.path.exists(os.path.join(new, "OAuthSettings.txt")) and not os.path.exists(old)
    assert _debug_token_calls(sb) == 0     # the token was found, not bootstrapped again from the seed


def test_oauth_graph_calls_are_retried_by_the_graph_client(connect):
    """The token exchange and debug_token of the OAuth layer go through the Graph client: a transient 503 is
    retried (the plain request they used before failed the query)."""
    from ig_fdw.sandbox import Sandbox
    with Sandbox(seed=1, port=0, budget_per_hour=100000) as sb:
        conn = connect()
        seed = sb.mint_token(kind="user_short")
        remember_secret(seed)
        remember_secret(sb.app_secret)
        conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper "
                     "'ig_fdw.InstagramFDW', graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s', "
                     "OAuthSettingsLocation 'ig_fdw_retry_%s/OAuthSettings.txt')"
                     % (sb.url, sb.app_id, sb.accounts[0], conn.info.dbname))
        conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (OAuthClientSecret '%s', "
                     "OAuthAccessToken '%s')" % (sb.app_secret, seed))
        conn.execute("CREATE SCHEMA ig")
        conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER "
                     "instagram INTO ig")
        sb.set_faults("status=503@nth=1,path=/debug_token;status=503@nth=1,path=/oauth/access_token")
        assert conn.execute("SELECT id FROM ig.instagram_business_profile").fetchone()[0] == sb.accounts[0]
        calls = [c["path"] for c in sb.stats()["calls"]]
        assert sum(p.endswith("/debug_token") for p in calls) == 2          # 503, then the retry
        assert sum(p.endswith("/oauth/access_token") for p in calls) == 2   # the short-lived token upgraded


def test_explain_analyze_of_a_join_counts_each_scans_calls(ig):
    """Two tables share the mapping's Graph client; each scan still counts its own calls for EXPLAIN ANALYZE:
    the profile one call, the 60 media read by id two (50 ids per call)."""
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media LIMIT 60").fetchall()]
    assert len(ids) == 60
    plan = [r[0] for r in ig.execute(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT p.username, m.caption "
        "FROM ig.instagram_business_profile p, ig.media m WHERE m.id = ANY(%s)", (ids,)).fetchall()]
    counts = {}
    scan = None
    for line in plan:
        if "Foreign Scan on" in line:
            scan = line.split("Foreign Scan on ", 1)[1].split()[0]
        elif " calls (" in line:
            counts[scan] = int(line.split("Graph API: ", 1)[1].split(" calls", 1)[0])
    assert counts == {"instagram_business_profile": 1, "media": 2}, "\n".join(plan)
