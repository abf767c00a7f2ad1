"""Cursor paging, since/until, next URLs, limits, field expansion, ids=."""

from urllib.parse import urlsplit, parse_qs

import requests


def walk(c, path, **params):
    rows, pages = [], 0
    r = c.get(path, **params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        rows += body["data"]
        pages += 1
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            return rows, pages
        r = c.s.get(nxt)


def test_media_paging_to_the_end_exactly_once(c, main1):
    rows, pages = walk(c, "/%s/media" % main1, limit=100, fields="id,timestamp")
    ids = [r["id"] for r in rows]
    assert len(ids) == 1800 and len(set(ids)) == 1800 and pages == 18
    ts = [r["timestamp"] for r in rows]
    assert ts == sorted(ts, reverse=True)


def test_next_url_carries_query_token_but_not_header_token(c, sb, main1):
    body = c.ok("/%s/media" % main1, limit=5)
    q = parse_qs(urlsplit(body["paging"]["next"]).query)
    assert q["access_token"] == [c.token] and q["limit"] == ["5"]
    assert body["paging"]["next"].startswith(sb.url + "/v22.0/%s/media?" % main1)
    r = requests.get("%s/v22.0/%s/media" % (sb.url, main1), params={"limit": 5},
                     headers={"Authorization": "Bearer " + c.token})
    assert "access_token" not in parse_qs(urlsplit(r.json()["paging"]["next"]).query)


def test_cursors_both_ways(c, main1):
    p1 = c.ok("/%s/media" % main1, limit=10)
    assert "previous" not in p1["paging"]
    p2 = c.ok("/%s/media" % main1, limit=10, after=p1["paging"]["cursors"]["after"])
    assert "previous" in p2["paging"]
    back = c.ok("/%s/media" % main1, limit=10, before=p2["paging"]["cursors"]["before"])
    assert [m["id"] for m in back["data"]] == [m["id"] for m in p1["data"]]
    r = c.s.get(p2["paging"]["previous"])
    assert [m["id"] for m in r.json()["data"]] == [m["id"] for m in p1["data"]]
    c.err(c.get("/%s/media" % main1, after="notacursor"), 100)


def test_since_until(c, sb, main1):
    now = sb.now()
    since, until = now - 30 * 86400, now - 10 * 86400
    rows, _ = walk(c, "/%s/media" % main1, limit=25, since=since, until=until, fields="timestamp")
    assert rows
    allrows, _ = walk(c, "/%s/media" % main1, limit=100, fields="timestamp")
    import calendar
    import time
    def unix(s):
        return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S+0000"))
    expected = [r for r in allrows if since <= unix(r["timestamp"]) <= until]
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    nxt = c.ok("/%s/media" % main1, limit=3, since=since)["paging"]["next"]
    assert "since=%d" % since in nxt


def test_comment_threads_span_pages_and_replies_page(c, main1):
    data, _ = walk(c, "/%s/media" % main1, limit=100, fields="comments_count")
    big = max(data, key=lambda m: m["comments_count"])
    assert big["comments_count"] > 50
    rows, pages = walk(c, "/%s/comments" % big["id"], limit=25, fields="id,replies.limit(2){id}")
    assert len(rows) == big["comments_count"] and pages > 2
    assert len({r["id"] for r in rows}) == len(rows)
    threaded = [r for r in rows if "replies" in r and "next" in r["replies"].get("paging", {})]
    if threaded:  # nested edge next URL works
        t = threaded[0]
        nxt = c.s.get(t["replies"]["paging"]["next"]).json()
        assert nxt["data"] and nxt["data"][0]["id"] not in {x["id"] for x in t["replies"]["data"]}


def test_field_expansion_nested_limits(c, main1):
    u = c.ok("/" + main1, fields="username,media.limit(2){id,caption,children{media_type},comments.limit(1){text}}")
    assert len(u["media"]["data"]) == 2
    assert u["media"]["paging"]["next"].split("?")[0].endswith("/%s/media" % main1)


def test_ids_multi_get(c, sb, main1):
    m = c.ok("/%s/media" % main1, limit=1)["data"][0]["id"]
    r = c.ok("/", ids="%s,%s" % (main1, m), fields="id")
    assert r == {main1: {"id": main1}, m: {"id": m}}
    e = c.err(c.get("/", ids="%s,999" % main1), 803)
    assert "999" in e["message"]


def test_limit_caps(c, main1):
    assert len(c.ok("/%s/media" % main1, limit=500)["data"]) == 100
    hid = c.ok("/ig_hashtag_search", user_id=main1, q="coffee")["data"][0]["id"]
    top = c.ok("/%s/top_media" % hid, user_id=main1, limit=200, fields="id")
    assert len(top["data"]) == 50
    rows, _ = walk(c, "/%s/top_media" % hid, user_id=main1, limit=50, fields="id,like_count")
    assert len(rows) == 120 and len({r["id"] for r in rows}) == 120
