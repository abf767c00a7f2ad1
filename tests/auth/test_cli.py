"""ig-fdw OAuth subcommands: status, accounts, refresh, exit codes, precedence, no secret printed."""


import json
import os

import pytest
import requests
from urllib.parse import parse_qs, urlsplit

from ig_fdw import cli
from ig_fdw.auth import TokenProvider, authorization_url, exchange_verifier
from ig_fdw.auth import cli as auth_cli
from ig_fdw.options import resolve

from .helpers import connection_string
from .leaks import assert_clean, secret, seen

DAY = 86400


@pytest.fixture
def authorized(sb, make_opts_dict, monkeypatch):
    monkeypatch.setattr(auth_cli, "CLOCK", sb.now)
    d = make_opts_dict()
    opts = resolve(d)
    r = requests.get(authorization_url(opts), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(r.headers["Location"]).query.split("#")[0])["code"][0]
    secret(code)
    tok = exchange_verifier(opts, code, clock=sb.now).access_token
    secret(tok)
    conn_d = dict(d)
    del conn_d["oauthclientsecret"]
    monkeypatch.setenv("IG_FDW_OAUTHCLIENTSECRET", sb.app_secret)
    return connection_string(conn_d), tok, opts


def run(capsys, *argv):
    try:
        rc = cli.main(list(argv))
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    if "--show-token" in argv:  # the one line asked for is not a leak; everything else is checked
        seen("\n".join(l for l in out.splitlines() if not l.startswith("token: ")
                       and not l.strip().startswith('"token": ')), err)
    else:
        seen(out, err)
    return rc, out, err


def test_status_hides_the_token_unless_asked(sb, authorized, capsys):
    conn, tok, opts = authorized
    rc, out, err = run(capsys, "status", "--connection", conn, "-o", "BusinessAccountId=" + sb.accounts[0])
    assert rc == 0, err
    assert tok not in out + err and sb.app_secret not in out + err
    assert_clean(out + err)
    assert opts.settings_path() in out and "mode=0600" in out
    assert "instagram_manage_insights" in out and sb.accounts[0] in out
    assert "(in 60d 0h)" in out and "--show-token" in out
    rc, out, err = run(capsys, "status", "--connection", conn, "--show-token", "--json")
    assert rc == 0
    body = json.loads(out)   # JSON only: nothing before or after it
    assert body["token"] == tok
    assert "not chosen" in body["business account"]  # two accounts, no BusinessAccountId
    rc, out, err = run(capsys, "status", "--connection", conn, "--json")
    assert rc == 0 and "token" not in json.loads(out) and tok not in out + err


def test_status_one_expiry_on_the_api_clock(sb, authorized, capsys):
    """The sandbox's clock is not this machine's: the file's expiry and debug_token's are both on the API's
    clock, so status shows one expiry, counted from the API's now."""
    conn, tok, opts = authorized
    sb.advance_clock(20 * 86400)
    rc, out, err = run(capsys, "status", "--connection", conn, "-o", "BusinessAccountId=" + sb.accounts[0])
    assert rc == 0, err
    expiry_lines = [line for line in out.splitlines() if line.startswith("expires")]
    assert len(expiry_lines) == 1 and "(in 40d 0h)" in expiry_lines[0], out
    auth_cli.CLOCK = None
    try:   # without the test's clock: the Date header of the sandbox's answers
        rc, out, err = run(capsys, "status", "--connection", conn, "--json")
    finally:
        auth_cli.CLOCK = sb.now
    assert rc == 0 and "(in 40d 0h)" in json.loads(out)["expires"], out


def test_later_connection_needs_only_the_settings_location(sb, authorized, capsys, monkeypatch):
    """CData's later connections: after the first one, InitiateOAuth=REFRESH and OAuthSettingsLocation are
    all a connection needs; the file keeps the app and Login, its key is in <file>.key (0600) beside it."""
    conn, tok, opts = authorized
    monkeypatch.delenv("IG_FDW_OAUTHCLIENTSECRET")
    path = opts.settings_path()
    assert os.stat(path + ".key").st_mode & 0o777 == 0o600
    later = "InitiateOAuth=REFRESH;graph_url=%s;OAuthSettingsLocation=%s" % (sb.url, path)
    rc, out, err = run(capsys, "status", "--connection", later, "--json")
    assert rc == 0, err
    body = json.loads(out)
    assert body["settings file"]["key_source"] == "key_file_beside" and body["valid"] is True
    assert "(in 60d 0h)" in body["expires"]
    sb.advance_clock(2 * DAY)
    rc, out, err = run(capsys, "refresh", "--connection", later)
    assert rc == 0 and "(in 60d 0h)" in out, err
    provider = TokenProvider(resolve({"initiateoauth": "REFRESH", "graph_url": sb.url,
                                      "oauthsettingslocation": path}), clock=sb.now)
    assert provider.token() != tok and provider.load()["refreshes"] == 1


def test_accounts_and_refresh(sb, authorized, capsys):
    conn, tok, opts = authorized
    rc, out, err = run(capsys, "accounts", "--connection", conn)
    assert rc == 0
    for a in sb.accounts[:2]:
        assert a in out
    assert "several accounts" in err
    rc, out, err = run(capsys, "refresh", "-c", conn)
    assert rc == 0 and "refreshed" in out
    new = TokenProvider(opts, clock=sb.now).token()
    secret(new)
    assert new != tok and new not in out + err


def test_exit_codes(sb, authorized, capsys, monkeypatch):
    conn, tok, opts = authorized
    rc, out, err = run(capsys, "exchange", "--connection", conn)  # --verifier missing
    assert rc == 2
    rc, out, err = run(capsys, "status", "--connection", conn + ";Bogus=1")
    assert rc == 2 and 'invalid option "Bogus"' in err
    rc, out, err = run(capsys, "status", "--connection", "InitiateOAuth")
    assert rc == 2
    monkeypatch.delenv("IG_FDW_OAUTHCLIENTSECRET")
    missing = "InitiateOAuth=REFRESH;graph_url=%s;OAuthSettingsLocation=%s" % (
        sb.url, opts.settings_path() + ".missing")
    rc, out, err = run(capsys, "refresh", "--connection", missing)
    assert rc == 1 and "error:" in err and "no token settings file" in err
    rc, out, err = run(capsys, "login", "--connection", "OAuthClientSecret=abcdefgh123")
    assert rc == 1 and "developers.facebook.com" in err


def test_option_precedence(monkeypatch):
    class A:
        connection = "OAuthClientId=from-connection;Scope=s_conn;Timeout=5"
        option = ["Timeout=7"]
        prop_OAuthClientId = "from-flag"

    monkeypatch.setenv("IG_FDW_CONNECTION", "OAuthClientId=from-env-conn;Pagesize=10;Scope=s_env_conn;Version=20")
    monkeypatch.setenv("IG_FDW_SCOPE", "s_env")
    monkeypatch.setenv("IG_FDW_VERSION", "21")
    o = auth_cli.build_options(A())
    assert o.oauth_client_id == "from-flag"      # flag > --connection
    assert o.timeout == 7                        # -o > --connection
    assert o.scope == "s_conn"                   # --connection > IG_FDW_SCOPE
    assert o.version == "v21.0"                  # IG_FDW_<PROP> > IG_FDW_CONNECTION
    assert o.pagesize == 10                      # IG_FDW_CONNECTION > defaults


def test_exchange_with_initiate_oauth_off_says_nothing_is_stored(sb, make_opts_dict, capsys, monkeypatch):
    monkeypatch.setattr(auth_cli, "CLOCK", sb.now)
    d = make_opts_dict(initiateoauth="OFF")
    opts = resolve(d)
    r = requests.get(authorization_url(opts), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(r.headers["Location"]).query.split("#")[0])["code"][0]
    secret(code)
    conn_d = dict(d)
    del conn_d["oauthclientsecret"]
    monkeypatch.setenv("IG_FDW_OAUTHCLIENTSECRET", sb.app_secret)
    rc, out, err = run(capsys, "exchange", "--connection", connection_string(conn_d), "--verifier", code)
    assert rc == 0 and "NOT stored" in out and "SET OAuthAccessToken" in err and "InitiateOAuth=REFRESH" in err
    assert not os.path.exists(opts.settings_path())
