"""Response shapes, auth errors, object errors of the Graph emulation."""

import hashlib
import hmac
import re

import requests

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def test_me_accounts_pages_permissions(c, sb):
    me = c.ok("/me")
    assert set(me) == {"id", "name"} and me["id"].isdigit()
    acc = c.ok("/me/accounts")
    assert len(acc["data"]) == 2
    for p in acc["data"]:
        assert set(p) >= {"id", "name", "access_token", "category", "tasks"}
    acc = c.ok("/me/accounts", fields="id,name,instagram_business_account{id,username}")
    ig_ids = [p["instagram_business_account"]["id"] for p in acc["data"]]
    assert ig_ids == sb.accounts[:2]
    page = acc["data"][0]["id"]
    p = c.ok("/" + page, fields="instagram_business_account,name")
    assert p == {"instagram_business_account": {"id": sb.accounts[0]}, "name": p["name"], "id": page}
    perms = c.ok("/me/permissions")["data"]
    assert {"permission": "instagram_basic", "status": "granted"} in perms


def test_page_token_reads_own_account_only(c, sb):
    acc = c.ok("/me/accounts", fields="access_token,instagram_business_account")["data"]
    ptok = acc[0]["access_token"]
    r = c.get("/" + sb.accounts[0], token=ptok, fields="username")
    assert r.status_code == 200 and "username" in r.json()
    c.err(c.get("/" + sb.accounts[1], token=ptok), 100, 33)
    assert c.get("/me", token=ptok).json()["id"] == acc[0]["id"]


def test_debug_token(c, sb):
    app_token = "%s|%s" % (sb.app_id, sb.app_secret)
    d = c.ok("/debug_token", input_token=c.token, access_token=app_token)["data"]
    assert d["app_id"] == sb.app_id and d["type"] == "USER" and d["is_valid"] is True
    assert d["expires_at"] == sb.now() + 60 * 86400
    assert "instagram_basic" in d["scopes"] and d["user_id"].isdigit()
    assert set(d) >= {"application", "data_access_expires_at", "issued_at"}
    d = c.ok("/debug_token", input_token="garbage", access_token=app_token)["data"]
    assert d["is_valid"] is False and d["error"]["code"] == 190


def test_ig_user_fields(c, main1):
    u = c.ok("/" + main1, fields="biography,followers_count,follows_count,media_count,name,"
                                 "profile_picture_url,username,website,ig_id,id")
    assert u["id"] == main1 and isinstance(u["followers_count"], int) and u["media_count"] == 1800
    assert isinstance(u["ig_id"], int) and u["website"].startswith("https://")
    assert list(u)[-1] == "id"
    assert c.ok("/" + main1) == {"id": main1}


def test_media_fields_and_types(c, main1):
    data = c.ok("/%s/media" % main1, limit=100, fields="id,caption,comments_count,ig_id,is_comment_enabled,"
                "like_count,media_product_type,media_type,media_url,permalink,shortcode,thumbnail_url,"
                "timestamp,username,owner{id}")["data"]
    kinds = {(m["media_type"], m["media_product_type"]) for m in data}
    assert ("IMAGE", "FEED") in kinds and ("CAROUSEL_ALBUM", "FEED") in kinds and ("VIDEO", "REELS") in kinds
    for m in data:
        assert TS.match(m["timestamp"]) and m["owner"] == {"id": main1}
        assert isinstance(m["id"], str) and m["id"].isdigit()
        if m["media_type"] == "VIDEO":
            assert m["thumbnail_url"].startswith("https://")
        else:
            assert "thumbnail_url" not in m
    all_media = []
    after = None
    while True:
        params = {"limit": 100, "fields": "like_count,is_comment_enabled,caption"}
        if after:
            params["after"] = after
        page = c.ok("/%s/media" % main1, **params)
        all_media += page["data"]
        if "next" not in page["paging"]:
            break
        after = page["paging"]["cursors"]["after"]
    assert any("like_count" not in m for m in all_media)          # hidden like counts
    assert any(m["is_comment_enabled"] is False for m in all_media)
    assert any("caption" not in m for m in all_media)
    assert any(re.search(r"#\w+", m.get("caption", "")) for m in all_media)
    assert any("@" in m.get("caption", "") for m in all_media)
    assert any(any(ord(ch) > 0x1F000 for ch in m.get("caption", "")) for m in all_media)  # emoji


def test_carousel_children_and_rejected_fields(c, main1):
    data = c.ok("/%s/media" % main1, limit=50, fields="media_type,children{id,media_type,media_url}")["data"]
    car = [m for m in data if m["media_type"] == "CAROUSEL_ALBUM"][0]
    kids = car["children"]["data"]
    assert 2 <= len(kids) <= 10 and all("media_url" in k for k in kids)
    edge = c.ok("/%s/children" % car["id"], fields="id,media_type")
    assert [k["id"] for k in edge["data"]] == [k["id"] for k in kids]
    e = c.err(c.get("/" + kids[0]["id"], fields="caption"), 100)
    assert "caption" in e["message"]
    c.err(c.get("/" + kids[0]["id"], fields="like_count"), 100)
    c.err(c.get("/%s/insights" % kids[0]["id"], metric="reach"), 100)


def test_comment_fields_and_replies(c, main1):
    data = c.ok("/%s/media" % main1, limit=100, fields="comments_count")["data"]
    m = max(data, key=lambda x: x["comments_count"])
    com = c.ok("/%s/comments" % m["id"], limit=50,
               fields="id,text,timestamp,username,like_count,hidden,from{id,username},media{id},replies{id,parent_id,text}")
    first = com["data"][0]
    assert set(first) >= {"id", "text", "timestamp", "username", "like_count", "hidden", "from", "media"}
    assert first["media"] == {"id": m["id"]} and TS.match(first["timestamp"])
    one = c.ok("/" + first["id"])
    assert set(one) == {"timestamp", "text", "id"}
    with_rep = None
    after = None
    while with_rep is None:
        params = {"limit": 50, "fields": "id,replies{id,parent_id}"}
        if after:
            params["after"] = after
        page = c.ok("/%s/comments" % m["id"], **params)
        with_rep = next((x for x in page["data"] if "replies" in x), None)
        if with_rep is None:
            assert "next" in page.get("paging", {}), "no comment with replies found"
            after = page["paging"]["cursors"]["after"]
    assert all(r["parent_id"] == with_rep["id"] for r in with_rep["replies"]["data"])


def test_unknown_field_path_object_and_token_errors(c, sb, main1):
    e = c.err(c.get("/" + main1, fields="bogus"), 100)
    assert e["message"] == "(#100) Tried accessing nonexisting field (bogus) on node type (IGUser)"
    e = c.err(c.get("/123456789"), 100, 33)
    assert e["type"] == "GraphMethodException" and "Unsupported get request" in e["message"]
    c.err(c.get("/%s/nonsense" % main1), 2500)
    c.err(c.get("/" + main1, token=False), 104)
    c.err(c.get("/me", token=False), 2500)
    e = c.err(c.get("/" + main1, token="EAAnotatoken"), 190, 467)
    assert e["type"] == "OAuthException"
    c.err(c.get("/%s" % main1, fields="a,b{"), 2500)


def test_bearer_header_and_no_version_prefix(c, sb, main1):
    r = requests.get("%s/%s" % (sb.url, main1), params={"fields": "username"},
                     headers={"Authorization": "Bearer " + c.token})
    assert r.status_code == 200 and r.json()["id"] == main1
    assert r.headers["Content-Type"].startswith("application/json")


def test_appsecret_proof(c, sb, main1):
    good = hmac.new(sb.app_secret.encode(), c.token.encode(), hashlib.sha256).hexdigest()
    assert c.get("/" + main1, appsecret_proof=good).status_code == 200
    e = c.err(c.get("/" + main1, appsecret_proof="0" * 64), 100)
    assert "appsecret_proof" in e["message"]


def test_json_escaping_like_graph(c, main1):
    r = c.get("/%s/media" % main1, fields="permalink,caption", limit=5)
    assert "\\/" in r.text and "https://" not in r.text
    assert r.json()["data"][0]["permalink"].startswith("https://www.instagram.com/")


def test_stories_vanish_after_24h(c, sb, main1):
    st = c.ok("/%s/stories" % main1, fields="id,media_product_type,timestamp")["data"]
    assert len(st) == 3 and all(s["media_product_type"] == "STORY" for s in st)
    sb.advance_clock(6 * 3600)
    assert len(c.ok("/%s/stories" % main1)["data"]) == 2
    sb.advance_clock(24 * 3600)
    assert c.ok("/%s/stories" % main1)["data"] == []
    c.err(c.get("/" + st[0]["id"]), 100, 33)


def test_tags_and_mentions(c, sb, main1):
    tags = c.ok("/%s/tags" % main1, fields="id,username,caption,media_type", limit=100)["data"]
    assert len(tags) == 25 and all(t["username"] != sb.info()["accounts"][0]["username"] for t in tags)
    info = sb.info()["accounts"][0]
    mm, mc = info["mentioned_media_ids"][0], info["mentioned_comment_ids"][0]
    u = c.ok("/" + main1, fields="mentioned_media.media_id(%s){caption,username},"
                                 "mentioned_comment.comment_id(%s){text,username}" % (mm, mc))
    assert info["username"] in u["mentioned_media"]["caption"]
    assert info["username"] in u["mentioned_comment"]["text"]
    c.err(c.get("/" + main1, fields="mentioned_media.media_id(123){caption}"), 100)


def test_business_discovery(c, main1):
    u = c.ok("/" + main1, fields="business_discovery.username(alpine.outfitters)"
                                 "{followers_count,media_count,media.limit(3){id,caption,like_count}}")
    bd = u["business_discovery"]
    assert bd["followers_count"] == 182340 and bd["media_count"] == 60
    assert len(bd["media"]["data"]) == 3 and "next" in bd["media"]["paging"]
    after = bd["media"]["paging"]["cursors"]["after"]
    u2 = c.ok("/" + main1, fields="business_discovery.username(alpine.outfitters){media.limit(3).after(%s){id}}" % after)
    ids1 = [m["id"] for m in bd["media"]["data"]]
    ids2 = [m["id"] for m in u2["business_discovery"]["media"]["data"]]
    assert len(ids2) == 3 and not set(ids1) & set(ids2)
    c.err(c.get("/" + main1, fields="business_discovery.username(jane.doe.personal){id}"), 110, 2207013)


def test_constructor_latency_and_ig_paths_without_version():
    import time
    from ig_fdw.sandbox import Sandbox
    with Sandbox(seed=1, latency_ms=200) as sb:
        t = time.monotonic()
        r = requests.get(sb.url + "/me", params={"access_token": sb.user_token()})
        assert r.status_code == 200 and time.monotonic() - t >= 0.2
        assert r.headers["facebook-api-version"] == "v22.0"
        tok = sb.mint_token("ig_short", user=sb.accounts[2])
        me = requests.get(sb.url + "/ig/me", params={"access_token": tok, "fields": "username"}).json()
        assert me["id"] == sb.accounts[2]
        st = sb.stats()
        assert st["by_endpoint"] == {"GET /me": 1, "GET /ig/me": 1}
