"""Content publishing: container state machine, conventions, quota."""

from ig_fdw.sandbox import Sandbox
from conftest import Client


def poll(c, cid):
    return c.ok("/" + cid, fields="status_code,status")["status_code"]


def test_image_publish_flow(c, sb, main1):
    cid = c.post("/%s/media" % main1, image_url="https://img.example/a.jpg", caption="New roast ☕ #coffee").json()["id"]
    e = c.err(c.post("/%s/media_publish" % main1, creation_id=cid), 9007, 2207027)
    assert poll(c, cid) == "IN_PROGRESS"
    assert poll(c, cid) == "FINISHED"
    mid = c.post("/%s/media_publish" % main1, creation_id=cid).json()["id"]
    assert poll(c, cid) == "PUBLISHED"
    first = c.ok("/%s/media" % main1, limit=1, fields="id,caption,media_type,timestamp")["data"][0]
    assert first["id"] == mid and first["caption"] == "New roast ☕ #coffee" and first["media_type"] == "IMAGE"
    c.err(c.post("/%s/media_publish" % main1, creation_id=cid), 9007, 2207008)
    q = c.ok("/%s/content_publishing_limit" % main1, fields="config,quota_usage")["data"][0]
    assert q == {"config": {"quota_total": 100, "quota_duration": 86400}, "quota_usage": 1}
    assert [w["action"] for w in sb.writes()] == ["container.create", "media.publish"]


def test_reels_need_more_polls_and_error_expire_conventions(c, sb, main1):
    cid = c.post("/%s/media" % main1, media_type="REELS", video_url="https://v.example/r.mp4").json()["id"]
    assert [poll(c, cid) for _ in range(4)] == ["IN_PROGRESS"] * 3 + ["FINISHED"]
    mid = c.post("/%s/media_publish" % main1, creation_id=cid).json()["id"]
    assert c.ok("/" + mid, fields="media_product_type")["media_product_type"] == "REELS"
    bad = c.post("/%s/media" % main1, image_url="https://img.example/error.jpg").json()["id"]
    assert [poll(c, bad) for _ in range(2)] == ["IN_PROGRESS", "ERROR"]
    c.err(c.post("/%s/media_publish" % main1, creation_id=bad), -2, 2207052)
    exp = c.post("/%s/media" % main1, image_url="https://img.example/expire.jpg").json()["id"]
    assert [poll(c, exp) for _ in range(2)] == ["IN_PROGRESS", "EXPIRED"]
    c.err(c.post("/%s/media_publish" % main1, creation_id=exp), 9007, 2207020)
    late = c.post("/%s/media" % main1, image_url="https://img.example/b.jpg").json()["id"]
    poll(c, late)
    sb.advance_clock(86400)
    assert poll(c, late) == "EXPIRED"


def test_carousel_and_story(c, sb, main1):
    kids = []
    for i in range(3):
        k = c.post("/%s/media" % main1, image_url="https://img.example/%d.jpg" % i, is_carousel_item="true").json()["id"]
        kids.append(k)
    c.err(c.post("/%s/media" % main1, media_type="CAROUSEL", children=kids[0]), 100, 2207028)
    car = c.post("/%s/media" % main1, media_type="CAROUSEL", children=",".join(kids), caption="three").json()["id"]
    poll(c, car)
    poll(c, car)
    mid = c.post("/%s/media_publish" % main1, creation_id=car).json()["id"]
    m = c.ok("/" + mid, fields="media_type,children{id}")
    assert m["media_type"] == "CAROUSEL_ALBUM" and len(m["children"]["data"]) == 3
    st = c.post("/%s/media" % main1, media_type="STORIES", image_url="https://img.example/s.jpg").json()["id"]
    poll(c, st)
    poll(c, st)
    sid = c.post("/%s/media_publish" % main1, creation_id=st).json()["id"]
    assert c.ok("/%s/stories" % main1)["data"][0]["id"] == sid
    sb.advance_clock(86400 + 1)
    assert sid not in [s["id"] for s in c.ok("/%s/stories" % main1)["data"]]
    c.err(c.post("/%s/media" % main1, media_type="BOGUS", image_url="https://x/y.jpg"), 100, 2207023)
    c.err(c.post("/%s/media" % main1), 100)


def test_publishing_quota():
    with Sandbox(seed=3, budget_per_hour=100000) as sb:
        c = Client(sb)
        a = sb.accounts[1]
        for i in range(100):
            cid = c.post("/%s/media" % a, image_url="https://img.example/%d.jpg" % i).json()["id"]
            poll(c, cid)
            poll(c, cid)
            assert c.post("/%s/media_publish" % a, creation_id=cid).status_code == 200
        cid = c.post("/%s/media" % a, image_url="https://img.example/x.jpg").json()["id"]
        poll(c, cid)
        poll(c, cid)
        e = c.err(c.post("/%s/media_publish" % a, creation_id=cid), 9, 2207042)
        assert c.ok("/%s/content_publishing_limit" % a)["data"][0]["quota_usage"] == 100
        sb.advance_clock(86400)
        cid = c.post("/%s/media" % a, image_url="https://img.example/y.jpg").json()["id"]
        poll(c, cid)
        poll(c, cid)
        assert c.post("/%s/media_publish" % a, creation_id=cid).status_code == 200
