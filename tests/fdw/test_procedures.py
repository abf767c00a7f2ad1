"""CData's OAuth procedures as foreign tables, through PostgreSQL: headless
option 1 done entirely in SQL, and one exchange per statement."""

import urllib.parse

import requests

from tests.conftest import remember_secret


def setup_unauthorized(conn, sb):
    # A settings file of its own per test database (relative paths are in the data directory).
    where = "ig_fdw_%s/OAuthSettings.txt" % conn.info.dbname
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', dialog_url '%s/v22.0/dialog/oauth', OAuthClientId '%s', "
                 "BusinessAccountId '%s', InitiateOAuth 'GETANDREFRESH', OAuthSettingsLocation '%s')"
                 % (sb.url, sb.url, sb.app_id, sb.accounts[0], where))
    remember_secret(sb.app_secret)
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (OAuthClientSecret '%s')"
                 % sb.app_secret)
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")


def browser_code(url):
    """Open the authorization URL as a browser would; the sandbox approves and redirects."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    code = urllib.parse.parse_qs(urllib.parse.urlparse(answer.headers["Location"]).query)["code"][0]
    remember_secret(code)
    return code


def exchanges(sb):
    return sum(1 for c in sb.stats()["calls"] if c["path"].endswith("/oauth/access_token"))


def test_headless_flow_in_sql(conn, sandbox):
    setup_unauthorized(conn, sandbox)
    url = conn.execute("SELECT url FROM ig.get_oauth_authorization_url").fetchone()[0]
    assert url.startswith(sandbox.url + "/v22.0/dialog/oauth?")
    code = browser_code(url)
    sandbox.reset_stats()
    token, expires = conn.execute("SELECT oauthaccesstoken, expiresin FROM ig.get_oauth_access_token "
                                  "WHERE verifier = %s", (code,)).fetchone()
    remember_secret(token)
    assert token and expires > 86400
    # the token went to the settings file: the tables now work without it in any option
    assert conn.execute("SELECT username FROM ig.instagram_business_profile").fetchone()[0]


def test_one_exchange_per_statement_even_when_rescanned(conn, sandbox):
    setup_unauthorized(conn, sandbox)
    url = conn.execute("SELECT url FROM ig.get_oauth_authorization_url").fetchone()[0]
    code = browser_code(url)
    sandbox.reset_stats()
    rows = conn.execute("SELECT g, t.expiresin FROM generate_series(1, 3) g, "
                        "LATERAL (SELECT * FROM ig.get_oauth_access_token WHERE verifier = %s AND g > 0) t",
                        (code,)).fetchall()
    assert len(rows) == 3
    assert exchanges(sandbox) >= 1
    assert exchanges(sandbox) <= 2        # the code exchange, plus the long-lived upgrade
    before = exchanges(sandbox)
    # a second statement with the same (now used) code exchanges again and fails clearly
    try:
        conn.execute("SELECT * FROM ig.get_oauth_access_token WHERE verifier = %s", (code,)).fetchall()
        raise AssertionError("a used code was accepted")
    except Exception as e:
        assert code not in str(e)
    assert exchanges(sandbox) == before + 1


def test_no_token_gives_the_authorization_url_in_the_hint(conn, sandbox):
    setup_unauthorized(conn, sandbox)
    try:
        conn.execute("SELECT * FROM ig.media LIMIT 1").fetchall()
        raise AssertionError("expected an error")
    except Exception as e:
        text = str(e) + " " + str(getattr(e, "diag", None) and e.diag.message_hint)
        assert "dialog/oauth" in text and "get_oauth_access_token" in text
