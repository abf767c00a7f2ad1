"""Five behaviours where the sandbox follows Meta's documented API (issue 17):
follower_count's 30 days, 2 years of insights, after-only hashtag cursors,
BUC rate limits for Instagram calls (tests/sandbox/test_limits.py) and code 10
for each edge's missing permission."""

import json

import pytest
import requests

from tests.sandbox.conftest import first_media

DAY = 86400
FC_ERROR = ("(#100) (follower_count) metric only supports querying data for the last 30 days "
            "excluding the current day")
RETENTION_ERROR = "(#100) since param is not valid. Metrics data is available for the last 2 years"


def test_follower_count_only_the_last_30_days(c, sb, main1):
    now = sb.now()
    e = c.err(c.get("/%s/insights" % main1, metric="follower_count", period="day",
                    since=now - 60 * DAY, until=now - 45 * DAY), 100)
    assert e["message"] == FC_ERROR
    # with another metric in the same call the whole call fails, as the real API does
    e = c.err(c.get("/%s/insights" % main1, metric="reach,follower_count", period="day",
                    since=now - 60 * DAY, until=now - 45 * DAY), 100)
    assert e["message"] == FC_ERROR
    # reach alone is fine there
    reach = c.ok("/%s/insights" % main1, metric="reach", period="day", since=now - 60 * DAY, until=now - 45 * DAY)
    assert len(reach["data"][0]["values"]) == 15
    # the last 30 complete days: 30 daily values, none for the current day
    last_end = now - 17 * 3600        # end_time of the last complete day (07:00 UTC)
    d = c.ok("/%s/insights" % main1, metric="follower_count", period="day", since=last_end - 30 * DAY,
             until=last_end)
    values = d["data"][0]["values"]
    assert len(values) == 30
    assert values[-1]["end_time"] == "2026-10-31T07:00:00+0000"   # clock: 2026-11-01T00:00Z
    e = c.err(c.get("/%s/insights" % main1, metric="follower_count", period="day",
                    since=now - 32 * DAY, until=now - 2 * DAY), 100)
    assert e["message"] == FC_ERROR


def test_since_older_than_two_years_is_an_error(c, sb, main1):
    now = sb.now()
    e = c.err(c.get("/%s/insights" % main1, metric="reach", period="day",
                    since=now - 800 * DAY, until=now - 790 * DAY), 100)
    assert e["message"] == RETENTION_ERROR
    ok = c.ok("/%s/insights" % main1, metric="reach", period="day", since=now - 700 * DAY, until=now - 690 * DAY)
    assert len(ok["data"][0]["values"]) == 10


@pytest.mark.parametrize("edge", ["top_media", "recent_media"])
def test_hashtag_pages_have_only_an_after_cursor(c, sb, main1, edge):
    hid = c.ok("/ig_hashtag_search", user_id=main1, q="travel")["data"][0]["id"]
    first = c.ok("/%s/%s" % (hid, edge), user_id=main1, fields="id", limit=5)
    if not first["data"]:
        pytest.skip("no recent media for this tag in the last 24 h")
    assert set(first["paging"]["cursors"]) == {"after"}
    assert "previous" not in first["paging"]
    second = requests.get(first["paging"]["next"], timeout=10).json()
    assert second["data"] and set(second["paging"]["cursors"]) == {"after"}
    assert "previous" not in second["paging"]
    assert not {m["id"] for m in first["data"]} & {m["id"] for m in second["data"]}


def _token(sb, *drop):
    scopes = [s for s in sb.info()["user"]["scopes"] if s not in drop]
    return sb.mint_token("user_long", scopes=scopes)


def test_media_insights_need_instagram_manage_insights(c, sb, main1):
    tok = _token(sb, "instagram_manage_insights")
    m = first_media(c, main1, lambda m: m["media_product_type"] == "FEED" and m["timestamp"] > "2026")
    e = c.err(c.get("/%s/insights" % m["id"], token=tok, metric="reach"), 10)
    assert e["message"] == "(#10) Application does not have permission for this action"
    # the same through field expansion, ?ids= and a batch item
    c.err(c.get("/%s" % m["id"], token=tok, fields="id,insights.metric(reach)"), 10)
    c.err(c.get("/%s/media" % main1, token=tok, limit=2, fields="id,insights.metric(reach)"), 10)
    c.err(c.get("/", token=tok, ids=m["id"], fields="id,insights.metric(reach)"), 10)
    batch = [{"method": "GET", "relative_url": "%s/insights?metric=reach" % m["id"]}]
    item = c.post("/", token=tok, batch=json.dumps(batch)).json()[0]
    assert json.loads(item["body"])["error"]["code"] == 10
    c.err(c.get("/%s/insights" % main1, token=tok, metric="reach", period="day"), 10)
    # business discovery needs it too (reference 2.10)
    c.err(c.get("/%s" % main1, token=tok, fields="business_discovery.username(alpine.outfitters){id}"), 10)
    # the rest still works
    assert c.ok("/%s" % m["id"], token=tok, fields="id,like_count")["id"] == m["id"]


def test_comment_edges_need_instagram_manage_comments(c, sb, main1):
    tok = _token(sb, "instagram_manage_comments")
    m = first_media(c, main1, lambda m: m["comments_count"] > 0)
    full = c.ok("/%s/comments" % m["id"], fields="id")["data"]
    cid = full[0]["id"]
    info = sb.info()["accounts"][0]
    checks = [
        c.get("/%s/comments" % m["id"], token=tok),
        c.get("/%s" % m["id"], token=tok, fields="id,comments{id}"),
        c.get("/%s" % cid, token=tok, fields="id,text"),
        c.get("/%s/replies" % cid, token=tok),
        c.get("/%s/tags" % main1, token=tok),
        c.get("/%s" % main1, token=tok, fields="mentioned_media.media_id(%s){id}" % info["mentioned_media_ids"][0]),
        c.get("/%s" % main1, token=tok,
              fields="mentioned_comment.comment_id(%s){id}" % info["mentioned_comment_ids"][0]),
    ]
    for r in checks:
        c.err(r, 10)
    # with the permission all of them answer
    for path, params in [("/%s/tags" % main1, {}), ("/%s/replies" % cid, {}), ("/%s" % cid, {"fields": "id"})]:
        c.ok(path, **params)


def test_instagram_login_permissions(sb, main1):
    tok = sb.mint_token("ig_long", scopes=["instagram_business_basic"])
    base = "%s/ig/v22.0" % sb.url
    r = requests.get("%s/%s/media" % (base, main1), params={"access_token": tok, "fields": "id", "limit": 1})
    assert r.status_code == 200, r.text
    mid = r.json()["data"][0]["id"]
    for path, params in [("%s/insights" % mid, {"metric": "reach"}),
                         ("%s/comments" % mid, {})]:
        params["access_token"] = tok
        r = requests.get("%s/%s" % (base, path), params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == 10, r.text
