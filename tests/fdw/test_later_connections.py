"""CData's later connections through PostgreSQL: after the first connection,
InitiateOAuth=REFRESH and OAuthSettingsLocation are all a server needs, and
the token is refreshed by the API's clock (the sandbox's, moved 55 days on)."""

import os

import psycopg
import pytest

from ig_fdw.auth import TokenProvider
from ig_fdw.options import resolve
from ig_fdw.sandbox import Sandbox
from tests.conftest import remember_secret

DAY = 86400


@pytest.fixture
def own_sandbox():
    """This test moves the clock: a sandbox of its own, not the session's."""
    with Sandbox(seed=1, port=0, budget_per_hour=1000000) as sb:
        yield sb


def _refresh_calls(sb):
    return [c for c in sb.stats()["calls"] if c["path"].endswith("/oauth/access_token")]


def test_later_connection_and_refresh_on_the_api_clock(connect, own_sandbox):
    sb = own_sandbox
    conn = connect()
    datadir = conn.execute("SHOW data_directory").fetchone()[0]
    where = "ig_fdw_later_%s/OAuthSettings.txt" % conn.info.dbname
    seed = sb.mint_token(kind="user_long")
    remember_secret(seed)
    remember_secret(sb.app_secret)
    # the first connection: app id and secret, a token to start from
    conn.execute("CREATE SERVER first FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s', InitiateOAuth 'REFRESH', "
                 "OAuthSettingsLocation '%s')" % (sb.url, sb.app_id, sb.accounts[0], where))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER first OPTIONS (OAuthClientSecret '%s', "
                 "OAuthAccessToken '%s')" % (sb.app_secret, seed))
    conn.execute("CREATE SCHEMA a")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER first INTO a")
    name = conn.execute("SELECT username FROM a.instagram_business_profile").fetchone()[0]
    path = os.path.join(datadir, where)
    assert os.stat(path + ".key").st_mode & 0o777 == 0o600   # the random key beside the file
    # a later connection: the CData form, nothing but the mode and the file's location
    conn.execute("CREATE SERVER later FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', BusinessAccountId '%s', InitiateOAuth 'REFRESH', OAuthSettingsLocation '%s')"
                 % (sb.url, sb.accounts[0], where))
    conn.execute("CREATE SCHEMA b")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER later INTO b")
    # an empty user mapping gets nothing, even on a server naming the file (docs/security.md) ...
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER later")
    with pytest.raises(psycopg.Error) as refused:
        connect().execute("SELECT username FROM b.instagram_business_profile")
    assert refused.value.sqlstate == "28000" and "no ig_fdw credentials" in str(refused.value)
    # ... the mapping holding a credential that owns the file does: no app id, no key file on the server
    conn.execute("ALTER USER MAPPING FOR CURRENT_USER SERVER later OPTIONS (ADD OAuthClientSecret '%s')"
                 % sb.app_secret)
    later = connect()
    assert later.execute("SELECT username FROM b.instagram_business_profile").fetchone()[0] == name
    assert not _refresh_calls(sb)
    # 55 days on, by the API's clock: 5 days left, under the 7-day margin.  The first answer's Date
    # teaches the new clock, the next use refreshes -- once.
    sb.advance_clock(55 * DAY)
    sb.reset_stats()
    fresh = connect()
    for _ in range(2):
        assert fresh.execute("SELECT username FROM b.instagram_business_profile").fetchone()[0] == name
    assert len(_refresh_calls(sb)) == 1
    st = TokenProvider(resolve({"initiateoauth": "REFRESH", "graph_url": sb.url,
                                "oauthsettingslocation": path}), clock=sb.now).load()
    remember_secret(st["access_token"])
    assert st["refreshes"] == 1 and st["expires_at"] == sb.now() + 60 * DAY
    assert st["access_token"] != seed
