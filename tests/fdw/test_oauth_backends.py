"""OAuth through PostgreSQL backends: 16 backends meeting a token that needs
refreshing make exactly one refresh call, and all their queries succeed."""

import threading

import psycopg

from tests.conftest import remember_secret


def test_sixteen_backends_refresh_once(connect, sandbox):
    conn = connect()
    seed = sandbox.mint_token(kind="user_long", expires_in=3 * 86400)   # < 7 days left: refresh due
    remember_secret(seed)
    remember_secret(sandbox.app_secret)
    where = "ig_fdw_%s/OAuthSettings.txt" % conn.info.dbname
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s', InitiateOAuth 'REFRESH', "
                 "OAuthSettingsLocation '%s')" % (sandbox.url, sandbox.app_id, sandbox.accounts[0], where))
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (OAuthClientSecret '%s', "
                 "OAuthAccessToken '%s')" % (sandbox.app_secret, seed))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER instagram "
                 "INTO ig")
    backends = [connect() for _ in range(16)]
    barrier = threading.Barrier(len(backends))
    results, errors = [], []

    def run(c):
        barrier.wait()
        try:
            results.append(c.execute("SELECT username FROM ig.instagram_business_profile").fetchone()[0])
        except psycopg.Error as e:
            errors.append(str(e))

    sandbox.reset_stats()
    threads = [threading.Thread(target=run, args=(c,)) for c in backends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:2]
    assert len(results) == 16 and len(set(results)) == 1
    refreshes = [c for c in sandbox.stats()["calls"] if c["path"].endswith("/oauth/access_token")]
    assert len(refreshes) == 1
    pids = {c.execute("SELECT pg_backend_pid()").fetchone()[0] for c in backends}
    assert len(pids) == 16
