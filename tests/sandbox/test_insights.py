"""Media and account insights: metric sets by type and version, errors."""

import requests

from tests.sandbox.conftest import first_media


def test_media_insights_shape_and_sets(c, main1):
    img = first_media(c, main1, lambda m: m["media_type"] == "IMAGE")
    d = c.ok("/%s/insights" % img["id"], metric="reach,likes,comments,saved,shares,views,total_interactions")["data"]
    assert [x["name"] for x in d] == ["reach", "likes", "comments", "saved", "shares", "views", "total_interactions"]
    for x in d:
        assert x["period"] == "lifetime" and isinstance(x["values"][0]["value"], int)
        assert x["id"] == "%s/insights/%s/lifetime" % (img["id"], x["name"]) and x["title"]
    reel = first_media(c, main1, lambda m: m["media_product_type"] == "REELS")
    c.ok("/%s/insights" % reel["id"], metric="ig_reels_avg_watch_time,ig_reels_video_view_total_time,reach")
    e = c.err(c.get("/%s/insights" % img["id"], metric="ig_reels_avg_watch_time"), 100)
    assert e["message"].startswith("(#100) metric[0] must be one of the following values:")
    c.err(c.get("/%s/insights" % img["id"], metric="navigation"), 100)
    c.err(c.get("/%s/insights" % img["id"]), 100)


def test_deprecated_metrics_by_version(c, sb, main1):
    img = first_media(c, main1, lambda m: m["media_type"] == "IMAGE")
    e = c.err(c.get("/%s/insights" % img["id"], metric="impressions"), 100)
    assert "v22.0" in e["message"]
    new = first_media(c, main1, lambda m: m["media_type"] == "IMAGE")
    r = requests.get("%s/v21.0/%s/insights" % (sb.url, new["id"]), params={"metric": "impressions",
                                                                          "access_token": c.token})
    # on v21 impressions exist, but only for media created before 2024-07-01 (all seeded media are newer)
    assert r.status_code == 400 and "July 1, 2024" in r.json()["error"]["message"]
    reel = first_media(c, main1, lambda m: m["media_product_type"] == "REELS")
    c.err(c.get("/%s/insights" % reel["id"], metric="plays"), 100)
    r = requests.get("%s/v21.0/%s/insights" % (sb.url, reel["id"]), params={"metric": "plays", "access_token": c.token})
    assert r.status_code == 200 and r.json()["data"][0]["name"] == "plays"
    r = requests.get("%s/v18.0/%s/insights" % (sb.url, img["id"]), params={"metric": "engagement", "access_token": c.token})
    assert r.json()["error"]["code"] == 100
    r = requests.get("%s/v17.0/%s/insights" % (sb.url, new["id"]), params={"metric": "engagement", "access_token": c.token})
    assert r.status_code == 200


def test_media_before_business_conversion(c, main1):
    rows = []
    after = None
    while True:
        params = {"limit": 100, "fields": "timestamp"}
        if after:
            params["after"] = after
        page = c.ok("/%s/media" % main1, **params)
        rows += page["data"]
        if "next" not in page["paging"]:
            break
        after = page["paging"]["cursors"]["after"]
    oldest = rows[-1]
    e = c.err(c.get("/%s/insights" % oldest["id"], metric="reach"), 100, 2108006)
    assert e["error_user_msg"].startswith("The media was posted before")


def test_story_insights_and_too_few_viewers(c, sb, main1):
    stories = c.ok("/%s/stories" % main1)["data"]
    d = c.ok("/%s/insights" % stories[0]["id"], metric="reach,replies,navigation")["data"]
    assert [x["name"] for x in d] == ["reach", "replies", "navigation"]
    ok = c.ok("/%s/insights" % stories[0]["id"], metric="navigation", breakdown="story_navigation_action_type")
    nav = ok["data"][0]["total_value"]["breakdowns"][0]
    assert nav["dimension_keys"] == ["story_navigation_action_type"]
    assert sum(r["value"] for r in nav["results"]) == ok["data"][0]["total_value"]["value"]
    c.err(c.get("/%s/insights" % stories[0]["id"], metric="reach", breakdown="story_navigation_action_type"), 100)
    c.err(c.get("/%s/insights" % stories[0]["id"], metric="likes"), 100)
    e = c.err(c.get("/%s/insights" % stories[2]["id"], metric="reach"), 10)
    assert "Not enough viewers" in e["message"]


def test_account_insights_time_series_and_total_value(c, sb, main1):
    d = c.ok("/%s/insights" % main1, metric="reach,follower_count", period="day")
    assert [x["name"] for x in d["data"]] == ["reach", "follower_count"]
    vals = d["data"][0]["values"]
    assert len(vals) == 2 and vals[-1]["end_time"].endswith("T07:00:00+0000")
    assert "next" in d["paging"] and "previous" in d["paging"]
    since, until = sb.now() - 20 * 86400, sb.now() - 86400
    d = c.ok("/%s/insights" % main1, metric="reach", period="week", since=since, until=until)
    assert len(d["data"][0]["values"]) == 19
    e = c.err(c.get("/%s/insights" % main1, metric="views", period="day"), 100)
    assert "metric_type=total_value" in e["message"]
    tv = c.ok("/%s/insights" % main1, metric="views,accounts_engaged", period="day", metric_type="total_value")
    assert all(isinstance(x["total_value"]["value"], int) for x in tv["data"])
    bd = c.ok("/%s/insights" % main1, metric="reach", period="day", metric_type="total_value",
              breakdown="media_product_type")["data"][0]["total_value"]
    assert bd["breakdowns"][0]["dimension_keys"] == ["media_product_type"]
    assert sum(r["value"] for r in bd["breakdowns"][0]["results"]) == bd["value"]
    c.err(c.get("/%s/insights" % main1, metric="reach", period="day", since=sb.now() - 40 * 86400,
                until=sb.now()), 100)
    c.err(c.get("/%s/insights" % main1, metric="impressions", period="day"), 100)
    r = requests.get("%s/v21.0/%s/insights" % (sb.url, main1),
                     params={"metric": "impressions", "period": "day", "access_token": c.token})
    assert r.status_code == 200
    c.err(c.get("/%s/insights" % main1, metric="profile_views", period="day"), 100)
    c.err(c.get("/%s/insights" % main1, metric="reach", period="lifetime"), 100)


def test_demographics_and_online_followers(c, sb):
    main1, small = sb.accounts[0], sb.accounts[2]
    for b in ("age", "city", "country", "gender"):
        d = c.ok("/%s/insights" % main1, metric="follower_demographics", period="lifetime",
                 metric_type="total_value", breakdown=b, timeframe="this_month")["data"][0]
        res = d["total_value"]["breakdowns"][0]["results"]
        assert res and all(len(r["dimension_values"]) == 1 for r in res)
    d = c.ok("/%s/insights" % main1, metric="engaged_audience_demographics", period="lifetime",
             metric_type="total_value", breakdown="age,gender", timeframe="last_30_days")["data"][0]
    assert len(d["total_value"]["breakdowns"][0]["results"][0]["dimension_values"]) == 2
    d = c.ok("/%s/insights" % small, metric="follower_demographics", period="lifetime",
             metric_type="total_value", breakdown="country")["data"][0]
    assert d["total_value"]["breakdowns"][0]["results"] == []
    of = c.ok("/%s/insights" % main1, metric="online_followers", period="lifetime")["data"][0]
    assert set(of["values"][0]["value"]) == {str(h) for h in range(24)}
    assert c.ok("/%s/insights" % small, metric="online_followers", period="lifetime")["data"][0]["values"] == []
    c.err(c.get("/%s/insights" % main1, metric="follower_demographics", period="lifetime",
                metric_type="total_value", breakdown="country", timeframe="yesterday"), 100)


def test_insights_in_field_expansion(c, main1):
    data = c.ok("/%s/media" % main1, limit=3, fields="id,media_product_type,insights.metric(reach,likes)")["data"]
    for m in data:
        assert [x["name"] for x in m["insights"]["data"]] == ["reach", "likes"]
