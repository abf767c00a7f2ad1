"""The sandbox's agency accounts (`accounts=N`, `ig-fdw sandbox --accounts N`)
over HTTP: listed by /__sandbox/info, reachable by the agency's Facebook user
token and each by its own Instagram Login token (minted, or through the
Instagram Login dialog), on the graph.instagram.com flavour (/ig), with the
account's own Business Use Case budget in the usage header."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ig_fdw.sandbox import Sandbox

REDIRECT = "https://app.example/callback"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=5, accounts=3, budget_per_hour=200) as s:
        yield s


def test_info_lists_the_agency_accounts(sb):
    info = requests.get(sb.url + "/__sandbox/info", timeout=10).json()
    assert info["agency_accounts"] == sb.agency_accounts and len(sb.agency_accounts) == 3
    assert not set(info["agency_accounts"]) & {a["id"] for a in info["accounts"]}


def test_agency_account_by_a_minted_instagram_login_token(sb):
    aid = sb.agency_accounts[1]
    r = requests.post(sb.url + "/__sandbox/tokens", json={"kind": "ig_long", "user": aid}, timeout=10).json()
    tok = r["access_token"]
    me = requests.get(sb.url + "/ig/v22.0/me", params={"fields": "id,username", "access_token": tok}, timeout=10)
    assert me.json()["id"] == aid
    for _ in range(10):
        media = requests.get(sb.url + "/ig/v22.0/%s/media" % aid, params={"fields": "id", "access_token": tok},
                             timeout=10)
        assert media.status_code == 200 and media.json()["data"]
    buc = json.loads(media.headers["X-Business-Use-Case-Usage"])
    assert list(buc) == [aid]                                  # the account's own budget
    assert buc[aid][0]["call_count"] == sb.app.limits.usage_of(aid) > 0
    other = sb.agency_accounts[0]                              # one account per Instagram Login token
    r = requests.get(sb.url + "/ig/v22.0/%s/media" % other, params={"access_token": tok}, timeout=10)
    assert r.status_code >= 400
    r = requests.get(sb.url + "/v22.0/%s/media" % aid, params={"access_token": tok}, timeout=10)
    assert r.status_code >= 400                                # not a Facebook Login host token


def test_agency_account_through_the_instagram_login_dialog(sb):
    aid = sb.agency_accounts[2]
    w = sb.app.world
    requests.post(sb.url + "/__sandbox/oauth", json={"ig_account": aid}, timeout=10).raise_for_status()
    try:
        r = requests.get(sb.url + "/ig/oauth/authorize", allow_redirects=False, timeout=10,
                         params={"client_id": w.ig_app_id, "redirect_uri": REDIRECT, "response_type": "code",
                                 "scope": "instagram_business_basic,instagram_business_manage_insights"})
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
        body = requests.post(sb.url + "/ig/oauth/access_token", timeout=10,
                             data={"client_id": w.ig_app_id, "client_secret": w.ig_app_secret,
                                   "grant_type": "authorization_code", "redirect_uri": REDIRECT,
                                   "code": code}).json()
    finally:
        requests.post(sb.url + "/__sandbox/oauth", json={"ig_account": None}, timeout=10)
    assert str(body["user_id"]) == aid
    ins = requests.get(sb.url + "/ig/v22.0/%s/insights" % aid, timeout=10,
                       params={"metric": "reach", "period": "day", "access_token": body["access_token"]})
    assert ins.status_code == 200 and ins.json()["data"]
