"""Facebook Login and Instagram Login flows, token lifetimes on the sandbox clock."""

from urllib.parse import urlsplit, parse_qs

import requests

REDIRECT = "https://app.example/callback"


def follow_dialog(sb, path, **params):
    """Open the dialog like a browser and return the callback query (no network to the redirect)."""
    r = requests.get(sb.url + path, params=params, allow_redirects=False)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert loc.startswith(REDIRECT + "?")
    u = urlsplit(loc)
    return {k: v[0] for k, v in parse_qs(u.query).items()}, u.fragment


def fb_code(sb, state="xyz", scope="instagram_basic,pages_show_list,instagram_manage_insights"):
    q, frag = follow_dialog(sb, "/v22.0/dialog/oauth", client_id=sb.app_id, redirect_uri=REDIRECT,
                            state=state, scope=scope, response_type="code")
    assert frag == "_=_" and q["state"] == state
    return q["code"]


def exchange(sb, code, redirect=REDIRECT, secret=None):
    return requests.get(sb.url + "/v22.0/oauth/access_token",
                        params={"client_id": sb.app_id, "client_secret": secret or sb.app_secret,
                                "redirect_uri": redirect, "code": code})


def test_facebook_login_full_flow(sb):
    code = fb_code(sb)
    r = exchange(sb, code)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"} and body["token_type"] == "bearer"
    short = body["access_token"]
    me = requests.get(sb.url + "/v22.0/me/accounts", params={"access_token": short}).json()
    assert len(me["data"]) == 2
    perms = requests.get(sb.url + "/v22.0/me/permissions", params={"access_token": short}).json()["data"]
    assert {p["permission"] for p in perms} == {"instagram_basic", "pages_show_list", "instagram_manage_insights"}
    # single use
    e = exchange(sb, code).json()["error"]
    assert e["code"] == 100 and e["error_subcode"] == 36009
    # long-lived exchange
    r = requests.get(sb.url + "/v22.0/oauth/access_token",
                     params={"grant_type": "fb_exchange_token", "client_id": sb.app_id,
                             "client_secret": sb.app_secret, "fb_exchange_token": short})
    long = r.json()
    assert long["expires_in"] == 60 * 86400 and long["access_token"] != short
    # the short token expires on the sandbox clock, the long one does not
    sb.advance_clock(body["expires_in"])
    e = requests.get(sb.url + "/v22.0/me", params={"access_token": short}).json()["error"]
    assert e["code"] == 190 and e["error_subcode"] == 463 and "Session has expired" in e["message"]
    assert requests.get(sb.url + "/v22.0/me", params={"access_token": long["access_token"]}).status_code == 200
    # an expired token cannot be exchanged
    r = requests.get(sb.url + "/v22.0/oauth/access_token",
                     params={"grant_type": "fb_exchange_token", "client_id": sb.app_id,
                             "client_secret": sb.app_secret, "fb_exchange_token": short})
    assert r.json()["error"]["error_subcode"] == 463
    sb.advance_clock(60 * 86400)
    e = requests.get(sb.url + "/v22.0/me", params={"access_token": long["access_token"]}).json()["error"]
    assert (e["code"], e["error_subcode"]) == (190, 463)


def test_code_exchange_errors(sb):
    code = fb_code(sb)
    e = exchange(sb, code, secret="0" * 32).json()["error"]
    assert e["code"] == 1 and e["message"] == "Error validating client secret."
    e = exchange(sb, code, redirect=REDIRECT + "/other").json()["error"]
    assert (e["code"], e["error_subcode"]) == (100, 36008)
    e = exchange(sb, "AQnotacode").json()["error"]
    assert e["code"] == 100
    r = requests.get(sb.url + "/v22.0/oauth/access_token",
                     params={"client_id": "1", "client_secret": sb.app_secret, "redirect_uri": REDIRECT, "code": code})
    assert r.json()["error"]["code"] == 101
    assert exchange(sb, code).status_code == 200   # the failures above did not consume the code
    code2 = fb_code(sb)
    sb.advance_clock(601)
    e = exchange(sb, code2).json()["error"]
    assert (e["code"], e["error_subcode"]) == (100, 36007)


def test_dialog_deny_and_bad_requests(sb):
    r = requests.post(sb.url + "/__sandbox/oauth", json={"deny": True})
    assert r.json()["deny"] is True
    q, _ = follow_dialog(sb, "/v22.0/dialog/oauth", client_id=sb.app_id, redirect_uri=REDIRECT, state="s1",
                         scope="instagram_basic")
    assert q == {"error": "access_denied", "error_code": "200", "error_description": "Permissions error",
                 "error_reason": "user_denied", "state": "s1"}
    sb.set_oauth(deny=False)
    r = requests.get(sb.url + "/v22.0/dialog/oauth", params={"client_id": "42", "redirect_uri": REDIRECT},
                     allow_redirects=False)
    assert r.status_code == 400 and "text/html" in r.headers["Content-Type"]
    r = requests.get(sb.url + "/v22.0/dialog/oauth", params={"client_id": sb.app_id, "redirect_uri": REDIRECT,
                                                             "scope": "not_a_scope"}, allow_redirects=False)
    assert r.status_code == 400


def test_token_minting_and_debug(sb):
    app_token = "%s|%s" % (sb.app_id, sb.app_secret)
    t = sb.mint_token("user_short")
    d = requests.get(sb.url + "/v22.0/debug_token", params={"input_token": t, "access_token": app_token}).json()["data"]
    assert d["is_valid"] and d["expires_at"] == sb.now() + 3600
    sb.advance_clock(3600)
    d = requests.get(sb.url + "/v22.0/debug_token", params={"input_token": t, "access_token": app_token}).json()["data"]
    assert d["is_valid"] is False and d["error"]["subcode"] == 463
    r = requests.post(sb.url + "/__sandbox/tokens", json={"kind": "page", "user": sb.pages[1]})
    p = r.json()["access_token"]
    d = requests.get(sb.url + "/v22.0/debug_token", params={"input_token": p, "access_token": app_token}).json()["data"]
    assert d["type"] == "PAGE" and d["profile_id"] == sb.pages[1] and d["expires_at"] == 0
    custom = sb.mint_token("user_long", expires_in=10)
    sb.advance_clock(10)
    assert requests.get(sb.url + "/v22.0/me", params={"access_token": custom}).json()["error"]["error_subcode"] == 463


def ig_code(sb, state="st"):
    q, frag = follow_dialog(sb, "/ig/oauth/authorize", client_id=sb.app.world.ig_app_id, redirect_uri=REDIRECT,
                            response_type="code", state=state,
                            scope="instagram_business_basic,instagram_business_manage_comments,"
                                  "instagram_business_manage_insights")
    assert frag == "_" and q["state"] == state
    return q["code"]


def test_instagram_login_flow_and_refresh_rules(sb):
    w = sb.app.world
    code = ig_code(sb)
    form = {"client_id": w.ig_app_id, "client_secret": w.ig_app_secret, "grant_type": "authorization_code",
            "redirect_uri": REDIRECT, "code": code}
    r = requests.post(sb.url + "/ig/oauth/access_token", data=form)
    assert r.status_code == 200
    body = r.json()
    assert body["user_id"] == int(sb.accounts[0]) and "instagram_business_basic" in body["permissions"]
    short = body["access_token"]
    assert short.startswith("IG")
    r = requests.post(sb.url + "/ig/oauth/access_token", data=form)
    assert r.status_code == 400 and r.json() == {"error_type": "OAuthException", "code": 400,
                                                 "error_message": "Matching code was not found or was already used."}
    me = requests.get(sb.url + "/ig/v22.0/me", params={"fields": "user_id,username,account_type,followers_count",
                                                        "access_token": short}).json()
    assert me["user_id"] == int(sb.accounts[0]) and me["account_type"] == "BUSINESS"
    media = requests.get(sb.url + "/ig/v22.0/me/media", params={"fields": "id,caption", "access_token": short}).json()
    assert len(media["data"]) == 25 and media["paging"]["next"].startswith(sb.url + "/ig/v22.0/")
    # a Facebook token is not valid on the Instagram host and vice versa
    assert requests.get(sb.url + "/ig/v22.0/me", params={"access_token": sb.user_token()}).json()["error"]["code"] == 190
    e = requests.get(sb.url + "/v22.0/me", params={"access_token": short}).json()["error"]
    assert e["code"] == 190
    e = requests.get(sb.url + "/ig/v22.0/me", params={"fields": "business_discovery.username(x){id}",
                                                       "access_token": short}).json()["error"]
    assert e["code"] == 100 and e["type"] == "IGApiException"
    # short -> long
    r = requests.get(sb.url + "/ig/access_token", params={"grant_type": "ig_exchange_token",
                                                          "client_secret": w.ig_app_secret, "access_token": short})
    long = r.json()
    assert long["token_type"] == "bearer" and long["expires_in"] == 5184000
    # refresh: not before the token is 24 h old
    r = requests.get(sb.url + "/ig/refresh_access_token", params={"grant_type": "ig_refresh_token",
                                                                  "access_token": long["access_token"]})
    assert r.status_code == 400 and r.json()["error"]["type"] == "IGApiException"
    sb.advance_clock(86400)
    r = requests.get(sb.url + "/ig/refresh_access_token", params={"grant_type": "ig_refresh_token",
                                                                  "access_token": long["access_token"]})
    assert r.status_code == 200 and r.json()["expires_in"] == 5184000
    # the short-lived one expired long ago
    e = requests.get(sb.url + "/ig/v22.0/me", params={"access_token": short}).json()["error"]
    assert (e["code"], e["error_subcode"]) == (190, 463)
    # an expired long-lived token cannot be refreshed
    sb.advance_clock(60 * 86400)
    r = requests.get(sb.url + "/ig/refresh_access_token", params={"grant_type": "ig_refresh_token",
                                                                  "access_token": long["access_token"]})
    assert r.json()["error"]["error_subcode"] == 463


def test_ig_login_comment_and_insights(sb):
    tok = sb.mint_token("ig_long")
    g = sb.url + "/ig/v22.0"
    m = requests.get(g + "/%s/media" % sb.accounts[0], params={"fields": "id,is_comment_enabled,comments_count",
                                                               "limit": 50, "access_token": tok}).json()["data"]
    m = next(x for x in m if x["is_comment_enabled"] and x["comments_count"])
    r = requests.get(g + "/%s/comments" % m["id"], params={"access_token": tok})
    assert r.status_code == 200 and r.json()["data"]
    r = requests.post(g + "/%s/comments" % m["id"], data={"message": "hello from IG login", "access_token": tok})
    assert r.status_code == 200
    r = requests.get(g + "/%s/insights" % m["id"], params={"metric": "reach", "access_token": tok})
    assert r.status_code in (200, 400)
    # another account is not reachable with this token
    r = requests.get(g + "/" + sb.accounts[1], params={"access_token": tok})
    assert r.json()["error"]["code"] == 100 and r.json()["error"]["type"] == "IGApiException"
