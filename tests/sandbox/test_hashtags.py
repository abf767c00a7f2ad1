"""Hashtag search, top/recent media and the 30-per-7-days limit."""

import calendar
import time


def test_search_node_and_media(c, sb, main1):
    r = c.ok("/ig_hashtag_search", user_id=main1, q="coffee")
    hid = r["data"][0]["id"]
    assert r == {"data": [{"id": hid}]} and hid.startswith("17843")
    assert c.ok("/" + hid, fields="id,name") == {"id": hid, "name": "coffee"}
    top = c.ok("/%s/top_media" % hid, user_id=main1, fields="id,caption,like_count,media_type,permalink,timestamp")
    likes = [m["like_count"] for m in top["data"]]
    assert likes == sorted(likes, reverse=True) and all("#coffee" in m["caption"] for m in top["data"])
    rec = c.ok("/%s/recent_media" % hid, user_id=main1, fields="id,timestamp", limit=50)["data"]
    now = sb.now()
    ts = [calendar.timegm(time.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S+0000")) for m in rec]
    assert ts and all(now - 86400 <= t <= now for t in ts) and ts == sorted(ts, reverse=True)
    c.err(c.get("/%s/top_media" % hid, user_id=main1, fields="id,username"), 100)
    c.err(c.get("/%s/top_media" % hid, fields="id"), 100)
    c.err(c.get("/ig_hashtag_search", user_id=main1, q="☕"), 100)
    c.err(c.get("/ig_hashtag_search", q="coffee"), 100)


def test_thirty_unique_hashtags_per_7_days(c, sb, main1):
    for i in range(30):
        assert c.get("/ig_hashtag_search", user_id=main1, q="tag%d" % i).status_code == 200
    # re-querying a counted hashtag is fine
    assert c.get("/ig_hashtag_search", user_id=main1, q="tag0").status_code == 200
    e = c.err(c.get("/ig_hashtag_search", user_id=main1, q="tag30"), 24, 2207034)
    # another account has its own window
    assert c.get("/ig_hashtag_search", user_id=sb.accounts[1], q="tag30").status_code == 200
    rs = c.ok("/%s/recently_searched_hashtags" % main1, fields="id,name", limit=30)["data"]
    assert len(rs) == 30 and {x["name"] for x in rs} == {"tag%d" % i for i in range(30)}
    sb.advance_clock(7 * 86400)
    assert c.get("/ig_hashtag_search", user_id=main1, q="tag30").status_code == 200
    assert c.ok("/%s/recently_searched_hashtags" % main1)["data"] == [
        {"id": c.ok("/ig_hashtag_search", user_id=main1, q="tag30")["data"][0]["id"]}]
