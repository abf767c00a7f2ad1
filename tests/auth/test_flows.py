"""Every OAuth flow end to end against the sandbox over real HTTP."""

import os
import shutil
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ig_fdw.auth import (AccountChoiceError, AuthError, NeedsAuthorization, NoClientId, SettingsFileError,
                         TokenProvider, authorization_url, choose_business_account, debug_token,
                         discover_business_accounts, exchange_verifier, graph_client_kwargs,
                         refresh_access_token)
from ig_fdw.auth.oauth import Account, graph_getter
from ig_fdw.graph import GraphClient, RetryPolicy
from ig_fdw.options import resolve

from .helpers import connection_string, oauth_calls, sandbox_options
from .leaks import assert_clean, err_text, secret, seen

DAY = 86400
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def follow_dialog(url):
    """Open the authorization URL as a browser would, without following the last hop; the code."""
    r = requests.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text[:200]
    loc = r.headers["Location"]
    code = parse_qs(urlsplit(loc).query.split("#")[0])["code"][0]
    secret(code)
    return code, loc


def client_for(opts, provider, sb):
    kw = graph_client_kwargs(opts, provider)  # what the FDW core is meant to use
    kw["timeout"] = 10
    return GraphClient(retry=RetryPolicy(max_attempts=2, base_delay=0.01), **kw)


def remember(provider):
    st = provider.load() or {}
    secret(st.get("access_token"), st.get("page_token"))
    return st


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ desktop
def test_desktop_login_follows_the_redirect_to_the_callback_server(sb, make_opts_dict, settings_path, tmp_path):
    port = free_port()
    d = make_opts_dict(callbackurl="http://localhost:%d/cb" % port, oauthclientsecret=None)
    env = dict(os.environ, IG_FDW_OAUTHCLIENTSECRET=sb.app_secret, PYTHONPATH=ROOT, IG_FDW_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "ig_fdw", "login", "--no-browser", "--timeout", "60",
                             "--connection", connection_string(d)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True, cwd=ROOT)
    try:
        url = None
        for _ in range(20):
            line = proc.stdout.readline()
            if line.startswith("http"):
                url = line.strip()
                break
        assert url, proc.stderr.read()
        q = parse_qs(urlsplit(url).query)
        assert q["redirect_uri"] == ["http://localhost:%d/cb" % port] and q["state"][0]
        # the browser: dialog -> 302 -> callback server (fragment #_=_ stays in the browser)
        r = requests.get(url, allow_redirects=True, timeout=20)
        assert r.status_code == 200 and "authorized" in r.text
        assert r.history and r.history[0].status_code == 302
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    seen(out, err)
    assert proc.returncode == 0, err
    assert "long-lived token stored in %s" % settings_path in out
    provider = TokenProvider(resolve(make_opts_dict()), clock=sb.now)
    st = remember(provider)
    assert st["expires_at"] - st["obtained_at"] == 60 * DAY
    assert_clean(out + err)
    with client_for(provider.opts, provider, sb) as c:
        assert c.get("me", fields=["id"])["id"]


def test_desktop_login_denied_and_state_checked(sb, make_opts_dict, tmp_path):
    sb.set_oauth(deny=True)
    port = free_port()
    d = make_opts_dict(callbackurl="http://localhost:%d" % port)
    env = dict(os.environ, PYTHONPATH=ROOT, IG_FDW_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "ig_fdw", "login", "--no-browser", "--timeout", "30",
                             "-c", connection_string(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True, cwd=ROOT)
    try:
        url = next(line.strip() for line in iter(proc.stdout.readline, "") if line.startswith("http"))
        r = requests.get(url, allow_redirects=True, timeout=20)
        assert "refused" in r.text
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    seen(out, err)
    assert proc.returncode == 1 and "authorization refused" in err
    assert not os.path.exists(d["oauthsettingslocation"])


# ------------------------------------------------------------------ headless option 1 (library + verifier option)
def test_headless_option1_exchange_and_verifier_bootstrap(sb, make_opts, tmp_path):
    opts = make_opts()
    url = authorization_url(opts, "WEB", state="s123")
    assert url.startswith(sb.url + "/v22.0/dialog/oauth?") and "state=s123" in url
    code, loc = follow_dialog(url)
    # the whole redirected URL (with #_=_) is accepted as the verifier; state checked
    with pytest.raises(AuthError):
        exchange_verifier(opts, loc, expected_state="other", clock=sb.now)
    info = exchange_verifier(opts, loc, expected_state="s123", clock=sb.now)
    secret(info.access_token)
    assert info.expires_in == 60 * DAY
    assert info.access_token not in repr(info)
    provider = TokenProvider(opts, clock=sb.now)
    assert provider.token() == info.access_token
    # the code is single-use
    with pytest.raises(AuthError) as ei:
        exchange_verifier(opts, code, clock=sb.now)
    assert code not in err_text(ei.value)

    # OAuthVerifier in the user mapping bootstraps a missing file (once)
    code2, _ = follow_dialog(authorization_url(opts))
    o2 = make_opts(path=str(tmp_path / "v" / "OAuthSettings.txt"), oauthverifier=code2)
    p2 = TokenProvider(o2, clock=sb.now)
    tok = p2.token()
    secret(tok)
    assert tok != info.access_token and remember(p2)["verifiers_used"]
    sb.reset_stats()
    assert TokenProvider(o2, clock=sb.now).token() == tok  # the file is the truth: no second exchange
    assert not oauth_calls(sb.stats())
    # file lost but the same (used) verifier still configured -> actionable error, no exchange attempt
    os.unlink(o2.settings_path())
    with pytest.raises(NeedsAuthorization) as ei:
        TokenProvider(o2, clock=sb.now).token()
    assert "get_oauth_access_token" in ei.value.hint
    assert o2.oauth_verifier not in err_text(ei.value)


# ------------------------------------------------------------------ headless option 1 via the CLI
def test_headless_option1_cli(sb, make_opts_dict, tmp_path, capsys, monkeypatch):
    from ig_fdw import cli
    from ig_fdw.auth import cli as auth_cli
    monkeypatch.setattr(auth_cli, "CLOCK", sb.now)
    d = make_opts_dict(oauthclientsecret=None)
    monkeypatch.setenv("IG_FDW_OAUTHCLIENTSECRET", sb.app_secret)
    conn = connection_string(d)
    assert cli.main(["auth-url", "--connection", conn, "--state", "st-1"]) == 0
    out, err = capsys.readouterr()
    seen(out, err)
    url = out.strip().splitlines()[0]
    code, loc = follow_dialog(url)
    assert "ig-fdw exchange" in err
    assert cli.main(["exchange", "--connection", conn, "--verifier", loc, "--state", "st-1"]) == 0
    out, err = capsys.readouterr()
    seen(out, err)
    assert "stored in" in out and code not in out + err
    provider = TokenProvider(resolve(dict(d, oauthclientsecret=sb.app_secret)), clock=sb.now)
    tok = provider.token()
    secret(tok)
    assert tok not in out + err
    # exchanging the same code again fails with exit code 1 and a clean message
    assert cli.main(["exchange", "--connection", conn, "--verifier", code]) == 1
    out, err = capsys.readouterr()
    seen(out, err)
    assert "error:" in err and code not in err


# ------------------------------------------------------------------ headless option 2
def _authorize_and_copy_settings(sb, opts, tmp_path):
    """Authorize through the dialog, then copy the settings file (alone) to another directory."""
    code, _ = follow_dialog(authorization_url(opts))
    info = exchange_verifier(opts, code, clock=sb.now)
    secret(info.access_token)
    other = tmp_path / "headless" / "OAuthSettings.txt"
    other.parent.mkdir()
    shutil.copy(opts.settings_path(), str(other))
    return info, other


def test_headless_option2_copy_the_settings_file_and_its_key(sb, make_opts, tmp_path):
    """The default key is a random <file>.key beside the file: copy both; the copy needs no app secret."""
    opts = make_opts()
    info, other = _authorize_and_copy_settings(sb, opts, tmp_path)
    o2 = make_opts(path=str(other), oauthclientsecret=None, oauthclientid=None)
    with pytest.raises(SettingsFileError) as ei:   # the key file was not copied: say so
        TokenProvider(o2, clock=sb.now).token()
    assert "OAuthSettings.txt.key" in err_text(ei.value) and "Copy the key file" in ei.value.hint
    shutil.copy(opts.settings_path() + ".key", str(other) + ".key")
    sb.reset_stats()
    assert TokenProvider(o2, clock=sb.now).token() == info.access_token
    assert sb.stats()["total"] == 0


def test_headless_option2_copy_the_settings_file(sb, make_opts, tmp_path):
    """OAuthSettingsKeySource=clientsecret: the file alone works wherever the same app secret is set."""
    opts = make_opts(oauthsettingskeysource="clientsecret")
    info, other = _authorize_and_copy_settings(sb, opts, tmp_path)
    sb.reset_stats()
    o2 = make_opts(path=str(other))
    p2 = TokenProvider(o2, clock=sb.now)
    assert p2.token() == info.access_token
    assert sb.stats()["total"] == 0  # no OAuth call at all
    with client_for(o2, p2, sb) as c:
        assert c.get("me", fields=["id"])["id"]
    # a machine with other app credentials cannot read it, and leaves it alone
    before = other.read_bytes()
    o3 = make_opts(path=str(other), oauthclientsecret="not-the-app-secret-123")
    with pytest.raises(SettingsFileError) as ei:
        TokenProvider(o3, clock=sb.now).token()
    err_text(ei.value)
    assert other.read_bytes() == before


# ------------------------------------------------------------------ automatic refresh
def test_automatic_refresh_near_expiry_once_and_persisted(sb, make_opts):
    opts = make_opts()
    info = exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    secret(info.access_token)
    p = TokenProvider(opts, clock=sb.now)
    sb.reset_stats()
    assert p.token() == info.access_token
    sb.advance_clock(50 * DAY)  # 10 days left: outside the 7-day margin
    assert p.token() == info.access_token
    assert not oauth_calls(sb.stats())
    sb.advance_clock(5 * DAY)  # 5 days left: refresh now
    new = p.token()
    secret(new)
    assert new != info.access_token
    assert len(oauth_calls(sb.stats())) == 1
    assert p.token() == new and len(oauth_calls(sb.stats())) == 1
    p2 = TokenProvider(opts, clock=sb.now)  # another backend reads the persisted token
    assert p2.token() == new
    st = remember(p2)
    assert st["refreshes"] == 1 and st["expires_at"] == sb.now() + 60 * DAY
    assert debug_token(opts, new)["is_valid"] is True
    assert len(oauth_calls(sb.stats())) == 1


def test_expired_unrefreshable_token_needs_authorization(sb, make_opts):
    opts = make_opts()
    info = exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    secret(info.access_token)
    sb.advance_clock(61 * DAY)
    with pytest.raises(NeedsAuthorization) as ei:
        TokenProvider(opts, clock=sb.now).token()
    e = ei.value
    text = err_text(e)
    assert e.sqlstate == "28000"
    assert e.authorization_url.startswith(sb.url + "/v22.0/dialog/oauth?client_id=%s" % sb.app_id)
    assert e.authorization_url in e.hint
    assert "ig-fdw exchange --connection" in e.hint and "--verifier CODE" in e.hint
    assert "ig-fdw login" in e.hint
    assert "SELECT * FROM get_oauth_access_token WHERE verifier = 'CODE';" in e.hint
    assert "OAuthSettingsLocation=%s" % opts.settings_path() in e.hint
    assert sb.app_secret not in text


def test_refresh_after_190_picks_up_the_token_another_backend_refreshed(sb, make_opts):
    opts = make_opts()
    exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    a = TokenProvider(opts, clock=sb.now)
    old = a.token()
    secret(old)
    b = TokenProvider(opts, clock=sb.now)
    new = refresh_access_token(opts, provider=b).access_token
    secret(new)
    assert new != old
    sb.reset_stats()
    with client_for(opts, a, sb) as c:
        c.tokens._replaced.clear()
        sb.set_faults("expire_token@nth=1")  # the old token dies at its next use -> 190
        # a still holds the old token in memory (its file cache is stale on purpose)
        a._state = dict(a._state, access_token=old)
        a._stat = a.settings.stat_key()
        assert c.get("me", fields=["id"])["id"]
        assert c.stats.as_dict().get("refreshes") == 1
    assert not oauth_calls(sb.stats())  # the refresh was the file's token, no new exchange


def test_refresh_without_client_secret_or_with_off(sb, make_opts):
    tok = sb.mint_token("user_long")
    secret(tok)
    off = make_opts(initiateoauth="OFF", oauthaccesstoken=tok)
    p = TokenProvider(off, clock=sb.now)
    assert p.token() == tok
    assert not os.path.exists(off.settings_path())
    with pytest.raises(NeedsAuthorization) as ei:
        p.refresh(tok)
    err_text(ei.value)
    # OFF still never writes the file
    with pytest.raises(AccountChoiceError):
        p.business_account_id()
    assert not os.path.exists(off.settings_path())


def test_bootstrap_from_access_token_upgrades_a_short_lived_one(sb, make_opts):
    short = sb.mint_token("user_short")
    secret(short)
    opts = make_opts(oauthaccesstoken=short)
    p = TokenProvider(opts, clock=sb.now)
    sb.reset_stats()
    tok = p.token()
    secret(tok)
    assert tok != short
    st = remember(p)
    assert st["expires_at"] == sb.now() + 60 * DAY and st["seeded_from"]
    assert len(oauth_calls(sb.stats())) == 1
    # a long-lived one is kept as is, its expiry learnt from debug_token
    long_tok = sb.mint_token("user_long")
    secret(long_tok)
    o2 = make_opts(oauthaccesstoken=long_tok)  # changed in the user mapping -> re-seeded
    p2 = TokenProvider(o2, clock=sb.now)
    assert p2.token() == long_tok
    assert remember(p2)["expires_at"] == sb.now() + 60 * DAY
    # an invalid token is refused with the actionable error
    o3 = make_opts(oauthaccesstoken="EAAnotAValidSandboxToken0123456789abcdef")
    secret("EAAnotAValidSandboxToken0123456789abcdef")
    with pytest.raises(NeedsAuthorization) as ei:
        TokenProvider(o3, clock=sb.now).token()
    err_text(ei.value)


# ------------------------------------------------------------------ Instagram Login
def test_instagram_login_exchange_and_refresh_only_when_24h_old(sb, make_opts):
    opts = make_opts(login="instagram")
    url = authorization_url(opts, state="ig1")
    assert url.startswith(sb.url + "/ig/oauth/authorize?") and "instagram_business_basic" in url
    code, loc = follow_dialog(url)
    assert loc.endswith("#_")
    sb.reset_stats()
    info = exchange_verifier(opts, loc, expected_state="ig1", clock=sb.now)
    secret(info.access_token)
    assert info.expires_in == 60 * DAY and info.access_token.startswith("IG")
    calls = [c["path"] for c in sb.stats()["calls"]]
    assert calls == ["/ig/oauth/access_token", "/ig/access_token"]  # code exchange + ig_exchange_token
    p = TokenProvider(opts, clock=sb.now)
    assert p.token() == info.access_token
    # an explicit refresh of a token younger than 24 h is refused without calling
    sb.reset_stats()
    with pytest.raises(AuthError) as ei:
        refresh_access_token(opts, provider=p)
    assert ei.value.sqlstate == "55000" and "24 hours" in err_text(ei.value)
    assert sb.stats()["total"] == 0
    # the one account the token sees is chosen without BusinessAccountId
    assert p.business_account_id() == sb.accounts[0]
    with client_for(opts, p, sb) as c:
        assert c.get("me", fields=["id", "username"])["id"] == sb.accounts[0]
    # near expiry: refreshed with ig_refresh_token, once
    sb.advance_clock(55 * DAY)
    sb.reset_stats()
    new = p.token()
    secret(new)
    assert new != info.access_token
    assert [c["path"] for c in sb.stats()["calls"]] == ["/ig/refresh_access_token"]
    assert TokenProvider(opts, clock=sb.now).token() == new


def test_instagram_token_near_expiry_but_younger_than_24h_is_not_refreshed(sb, make_opts):
    short = sb.mint_token("ig_short")
    secret(short)
    opts = make_opts(login="instagram", oauthaccesstoken=short)
    p = TokenProvider(opts, clock=sb.now)
    tok = p.token()  # seeded: short-lived -> ig_exchange_token
    secret(tok)
    st = remember(p)
    # pretend the file says it expires in 2 days (inside the refresh margin) while only 1 h old
    with p.settings.lock():
        p.settings.write(dict(st, expires_at=sb.now() + 2 * DAY))
    sb.advance_clock(3600)
    sb.reset_stats()
    assert p.token() == tok
    assert sb.stats()["total"] == 0
    sb.advance_clock(DAY)
    new = p.token()
    secret(new)
    assert new != tok and [c["path"] for c in sb.stats()["calls"]] == ["/ig/refresh_access_token"]


# ------------------------------------------------------------------ AuthenticateAsPage, accounts
def test_authenticate_as_page_uses_the_linked_page_token(sb, make_opts):
    main1 = sb.accounts[0]
    opts = make_opts(authenticateaspage="true", businessaccountid=main1)
    exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    p = TokenProvider(opts, clock=sb.now)
    tok = p.token()
    st = remember(p)
    assert tok == st["page_token"] != st["access_token"]
    data = debug_token(opts, tok)
    assert data["type"] == "PAGE" and data["expires_at"] == 0
    page_of_main1 = [a.page_id for a in discover_business_accounts(opts, graph_getter(opts, st["access_token"]))
                     if a.ig_id == main1][0]
    assert data["profile_id"] == page_of_main1 == st["page_id"]
    with client_for(opts, p, sb) as c:
        me = c.get("me", fields=["id", "instagram_business_account"])
        assert me["id"] == page_of_main1 and me["instagram_business_account"]["id"] == main1
    sb.reset_stats()
    assert TokenProvider(opts, clock=sb.now).token() == tok  # persisted, no call
    assert sb.stats()["total"] == 0
    # by page id; and the page token survives a user-token refresh (it does not expire)
    o2 = make_opts(authenticateaspage=st["page_id"])
    assert TokenProvider(o2, clock=sb.now).token() == tok
    sb.advance_clock(55 * DAY)
    p3 = TokenProvider(opts, clock=sb.now)
    tok3 = p3.token()
    assert remember(p3)["refreshes"] == 1
    d3 = debug_token(opts, tok3)
    assert d3["type"] == "PAGE" and d3["is_valid"] and d3["profile_id"] == page_of_main1
    with pytest.raises(AuthError) as ei:
        TokenProvider(make_opts(path=opts.settings_path(), authenticateaspage="No Such Page"), clock=sb.now).token()
    assert "no such Page" in err_text(ei.value)


def test_business_account_choice(sb, make_opts):
    opts = make_opts()
    exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    p = TokenProvider(opts, clock=sb.now)
    remember(p)
    accounts = p.accounts()
    assert [a.ig_id for a in accounts] == sb.accounts[:2]
    assert all(a.page_id and a.username for a in accounts)
    with pytest.raises(AccountChoiceError) as ei:
        p.business_account_id()
    text = err_text(ei.value)
    assert ei.value.sqlstate == "22023"
    for a in accounts:
        assert a.ig_id in text and a.username in text
    assert ei.value.accounts == accounts
    chosen = make_opts(businessaccountid=sb.accounts[1])
    sb.reset_stats()
    assert TokenProvider(chosen, clock=sb.now).business_account_id() == sb.accounts[1]
    assert sb.stats()["total"] == 0
    # exactly one account: chosen (and remembered in the file)
    one = [Account("17841400000000001", "solo", "1", "Solo page")]
    assert choose_business_account(opts, one) == "17841400000000001"
    with pytest.raises(AccountChoiceError):
        choose_business_account(opts, [])
    # a Page token sees exactly its own account
    page_tok = sb.mint_token("page")
    secret(page_tok)
    po = make_opts(initiateoauth="OFF", oauthaccesstoken=page_tok)
    assert TokenProvider(po, clock=sb.now).business_account_id() == sb.accounts[0]


def test_no_client_id_says_how_to_create_an_app(sb, settings_path):
    opts = resolve(sandbox_options(sb.url, sb.app_id, sb.app_secret, settings_path, oauthclientid=None,
                                   oauthclientsecret=None))
    for fn in (lambda: TokenProvider(opts).token(), lambda: authorization_url(opts),
               lambda: exchange_verifier(opts, "AQsomecode0123456789")):
        with pytest.raises(NoClientId) as ei:
            fn()
        text = err_text(ei.value)
        assert "OAuthClientId is not set" in text
        assert "https://developers.facebook.com/apps" in ei.value.hint
        assert "valid redirect URIs" in ei.value.hint and "OAuthClientSecret" in ei.value.hint


def test_off_mode_with_authenticate_as_page_keeps_the_page_token_in_memory(sb, make_opts):
    tok = sb.mint_token("user_long")
    secret(tok)
    opts = make_opts(initiateoauth="OFF", oauthaccesstoken=tok, authenticateaspage="true",
                     businessaccountid=sb.accounts[1])
    p = TokenProvider(opts, clock=sb.now)
    page_tok = p.token()
    secret(page_tok)
    assert page_tok != tok
    data = debug_token(opts, page_tok)
    assert data["type"] == "PAGE"
    assert not os.path.exists(opts.settings_path())
    with client_for(opts, p, sb) as c:
        assert c.get("me", fields=["instagram_business_account"])["instagram_business_account"]["id"] == \
            sb.accounts[1]


def test_settings_file_of_the_other_login_flavour_is_refused(sb, make_opts):
    opts = make_opts()
    exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    remember(TokenProvider(opts, clock=sb.now))
    ig = make_opts(login="instagram", oauthclientid=sb.app_id, oauthclientsecret=sb.app_secret)
    with pytest.raises(NeedsAuthorization) as ei:
        TokenProvider(ig, clock=sb.now).token()
    assert "holds a facebook Login token but Login=instagram" in err_text(ei.value)
    assert "/ig/oauth/authorize?" in ei.value.hint


@pytest.mark.parametrize("mode", ["GETANDREFRESH", "REFRESH"])
def test_no_token_at_all_gives_the_url_and_commands(sb, make_opts, mode):
    opts = make_opts(initiateoauth=mode)
    with pytest.raises(NeedsAuthorization) as ei:
        TokenProvider(opts, clock=sb.now).token()
    e = ei.value
    text = err_text(e)
    assert ("InitiateOAuth=REFRESH" in e.message) == (mode == "REFRESH")
    assert "no settings file" in text or "no token settings file" in text
    assert e.authorization_url and e.authorization_url in e.hint
    assert "ig-fdw exchange" in e.hint and "get_oauth_access_token" in e.hint
    assert not os.path.exists(opts.settings_path())


def test_authenticate_as_page_refresh_after_190(sb, make_opts):
    opts = make_opts(authenticateaspage="true", businessaccountid=sb.accounts[0])
    exchange_verifier(opts, follow_dialog(authorization_url(opts))[0], clock=sb.now)
    p = TokenProvider(opts, clock=sb.now)
    page_tok = p.token()
    remember(p)
    # another backend already replaced the page token: picked up from the file, no call
    with p.settings.lock():
        p.settings.write(dict(p.load(), page_token="EAAnewerPageToken0123456789abcdefgh"))
    secret("EAAnewerPageToken0123456789abcdefgh")
    sb.reset_stats()
    assert p.refresh(page_tok) == "EAAnewerPageToken0123456789abcdefgh"
    assert sb.stats()["total"] == 0
    # the current page token is rejected: fetched again from /me/accounts
    got = p.refresh("EAAnewerPageToken0123456789abcdefgh")
    assert got == page_tok and sb.stats()["by_endpoint"].get("GET /me/accounts") == 1
    # rejected and /me/accounts gives the same one again: actionable error
    with pytest.raises(NeedsAuthorization) as ei:
        p.refresh(page_tok)
    assert "still returns the same token" in err_text(ei.value)
