"""CData's procedures as functions, and the once-per-statement memo."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ig_fdw.auth import AuthError, TokenProvider
from ig_fdw.procedures import PROCEDURES, ProcedureCall, by_name

from .helpers import oauth_calls
from .leaks import err_text, secret

DAY = 86400


@pytest.fixture
def factory(sb):
    made = []

    def make(opts):
        p = TokenProvider(opts, settings_dir_default="/nonexistent-not-used", clock=sb.now)
        made.append(p)
        return p
    make.made = made
    return make


def _code(url):
    r = requests.get(url, allow_redirects=False, timeout=10)
    loc = r.headers["Location"]
    code = parse_qs(urlsplit(loc).query.split("#")[0])["code"][0]
    secret(code)
    return code


def test_specs_have_inputs_outputs_and_functions():
    assert list(PROCEDURES) == ["get_oauth_authorization_url", "get_oauth_access_token",
                                "refresh_oauth_access_token", "clear_cache"]
    assert [c.name for c in PROCEDURES["get_oauth_access_token"].inputs] == [
        "AuthMode", "Verifier", "CallbackURL", "Scope", "State"]
    assert [(c.name, c.type) for c in PROCEDURES["get_oauth_access_token"].outputs] == [
        ("OAuthAccessToken", "text"), ("OAuthRefreshToken", "text"), ("ExpiresIn", "integer")]
    assert by_name("GetOAuthAuthorizationURL") is PROCEDURES["get_oauth_authorization_url"]


def test_authorization_url_and_access_token(sb, make_opts, factory):
    opts = make_opts()
    call = ProcedureCall()
    rows = call.run("get_oauth_authorization_url", opts,
                    {"CallbackURL": "http://localhost:9999/cb", "State": "xyz", "Scope": "instagram_basic"}, factory)
    url = rows[0]["url"]
    q = parse_qs(urlsplit(url).query)
    assert q["redirect_uri"] == ["http://localhost:9999/cb"] and q["state"] == ["xyz"]
    assert q["scope"] == ["instagram_basic"]
    code = _code(url)
    sb.reset_stats()
    inputs = {"verifier": code, "callbackurl": "http://localhost:9999/cb", "state": "xyz"}
    rows = call.run("get_oauth_access_token", opts, inputs, factory)
    tok = rows[0]["oauthaccesstoken"]
    secret(tok)
    assert rows[0]["expiresin"] == 60 * DAY and rows[0]["oauthrefreshtoken"] == tok
    # persisted where the factory's provider keeps it (OAuthSettingsLocation here)
    assert TokenProvider(opts, clock=sb.now).token() == tok
    n = len(oauth_calls(sb.stats()))
    assert n == 2  # code exchange + fb_exchange_token
    # a rescan in the same statement: same rows, no second exchange
    assert call.run("get_oauth_access_token", opts, dict(inputs), factory) == rows
    assert len(oauth_calls(sb.stats())) == n and call.calls == 2
    # a new statement with the same (used) code fails, and its failure is memoized too
    call2 = ProcedureCall()
    with pytest.raises(AuthError) as ei:
        call2.run("get_oauth_access_token", opts, inputs, factory)
    assert code not in err_text(ei.value)
    with pytest.raises(AuthError):
        call2.run("get_oauth_access_token", opts, inputs, factory)
    assert len(oauth_calls(sb.stats())) == n + 1 and call2.calls == 1
    assert code not in repr(call2)


def test_access_token_errors(sb, make_opts, factory):
    opts = make_opts()
    call = ProcedureCall()
    with pytest.raises(AuthError) as ei:
        call.run("get_oauth_access_token", opts, {"authmode": "APP"}, factory)
    assert ei.value.sqlstate == "0A000" and "ig-fdw login" in ei.value.hint
    with pytest.raises(AuthError) as ei:
        call.run("get_oauth_access_token", opts, {}, factory)
    assert "verifier" in ei.value.hint.lower()
    with pytest.raises(AuthError) as ei:
        call.run("get_oauth_access_token", opts, {"nope": "1"}, factory)
    assert ei.value.sqlstate == "22023"
    with pytest.raises(AuthError):
        call.run("get_oauth_authorization_url", opts, {"authmode": "TV"}, factory)


def test_refresh_procedure(sb, make_opts, factory):
    opts = make_opts()
    call = ProcedureCall()
    code = _code(call.run("get_oauth_authorization_url", opts, {}, factory)[0]["url"])
    old = call.run("get_oauth_access_token", opts, {"verifier": code}, factory)[0]["oauthaccesstoken"]
    secret(old)
    sb.reset_stats()
    rows = ProcedureCall().run("refresh_oauth_access_token", opts, {}, factory)
    new = rows[0]["oauthaccesstoken"]
    secret(new)
    assert new != old and rows[0]["expiresin"] == 60 * DAY
    assert len(oauth_calls(sb.stats())) == 1
    assert TokenProvider(opts, clock=sb.now).token() == new
    # with an explicit OAuthRefreshToken (CData's input): refreshes that token, persists the result
    rows = ProcedureCall().run("refresh_oauth_access_token", opts, {"OAuthRefreshToken": new}, factory)
    newer = rows[0]["oauthaccesstoken"]
    secret(newer)
    assert newer != new and TokenProvider(opts, clock=sb.now).token() == newer
    # OFF: nothing is persisted
    off = make_opts(initiateoauth="OFF", oauthaccesstoken=newer, path=str(factory.made[0].settings_path) + ".off")
    rows = ProcedureCall().run("refresh_oauth_access_token", off, {}, factory)
    secret(rows[0]["oauthaccesstoken"])
    import os
    assert not os.path.exists(off.settings_path())


def test_run_with_the_connection_provider_and_a_statement_memo(sb, make_opts):
    """The FDW core's call: procedures.run(name, opts, inputs, conn.tokens, call=<per scan>)."""
    from ig_fdw import procedures
    opts = make_opts()
    provider = TokenProvider(opts, clock=sb.now)
    url = procedures.run("GetOAuthAuthorizationURL", opts, {"state": "s"}, provider)[0]["url"]
    code = _code(url)
    sb.reset_stats()
    statement = ProcedureCall()
    rows = procedures.run("get_oauth_access_token", opts, {"verifier": code}, provider, call=statement)
    secret(rows[0]["oauthaccesstoken"])
    assert provider.token() == rows[0]["oauthaccesstoken"]
    again = procedures.run("get_oauth_access_token", opts, {"Verifier": code}, provider, call=statement)
    assert again == rows and len(oauth_calls(sb.stats())) == 2  # a rescan: no second exchange
    # a new statement (no memo) exchanges again, and the used code fails clearly
    with pytest.raises(AuthError) as ei:
        procedures.run("get_oauth_access_token", opts, {"verifier": code}, provider)
    assert code not in err_text(ei.value)
    assert len(oauth_calls(sb.stats())) == 3
    # a memo with a ttl forgets
    t = [0.0]
    memo = ProcedureCall(ttl=30, clock=lambda: t[0])
    memo.run("get_oauth_authorization_url", opts, {}, provider)
    t[0] = 31.0
    memo.run("get_oauth_authorization_url", opts, {}, provider)
    assert memo.calls == 2
