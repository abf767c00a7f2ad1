"""Insights: ``/{ig-media-id}/insights`` and ``/{ig-user-id}/insights``.

Metric sets follow Meta's media insights page and the v18/v21/v22
changelogs.  A metric is valid at a requested API version V when it was not
removed at or before V (``removed`` below).  [U]: the real API also removed
the old metrics on *all* versions after a date; the sandbox keys removal on
the requested version only, so old-version clients can be tested.  ``views``
is accepted on every version [U].

All numbers are derived from the seed with a keyed hash; nothing is stored.
"""

from urllib.parse import urlencode

from .clock import DAY, fmt_ts, parse_time
from .keyed import hfrac
from .words import AGES, GENDERS, COUNTRIES, CITIES
from .errors import GraphError, param_error
from .nodes import provides

# ------------------------------------------------------------------ media
# name: (surfaces, removed_at_version or None)
FEED, REELS, STORY, CAROUSEL = "FEED", "REELS", "STORY", "CAROUSEL"
MEDIA_METRICS = {
    "comments": ({FEED, CAROUSEL, REELS}, None),
    "likes": ({FEED, CAROUSEL, REELS}, None),
    "views": ({FEED, CAROUSEL, REELS, STORY}, None),
    "reach": ({FEED, CAROUSEL, REELS, STORY}, None),
    "saved": ({FEED, CAROUSEL, REELS}, None),
    "shares": ({FEED, CAROUSEL, REELS, STORY}, None),
    "total_interactions": ({FEED, CAROUSEL, REELS, STORY}, None),
    "profile_visits": ({FEED, CAROUSEL, STORY}, None),
    "follows": ({FEED, CAROUSEL, STORY}, None),
    "profile_activity": ({FEED, CAROUSEL, STORY}, None),
    "ig_reels_avg_watch_time": ({REELS}, None),
    "ig_reels_video_view_total_time": ({REELS}, None),
    "reels_skip_rate": ({REELS}, None),
    "replies": ({STORY}, None),
    "navigation": ({STORY}, None),
    "link_clicks": ({STORY}, None),
    # removed metrics
    "impressions": ({FEED, CAROUSEL, STORY}, 22),
    "plays": ({REELS}, 22),
    "clips_replays_count": ({REELS}, 22),
    "ig_reels_aggregated_all_plays_count": ({REELS}, 22),
    "video_views": ({FEED, CAROUSEL}, 21),
    "engagement": ({FEED}, 18),
    "carousel_album_impressions": ({CAROUSEL}, 18),
    "carousel_album_reach": ({CAROUSEL}, 18),
    "carousel_album_engagement": ({CAROUSEL}, 18),
    "carousel_album_saved": ({CAROUSEL}, 18),
    "carousel_album_video_views": ({CAROUSEL}, 18),
    "taps_forward": ({STORY}, 18),
    "taps_back": ({STORY}, 18),
    "exits": ({STORY}, 18),
}
FB_ONLY_MEDIA = {"total_likes": ({FEED, CAROUSEL, REELS}, None),
                 "total_comments": ({FEED, CAROUSEL, REELS}, None),
                 "total_views": ({FEED, CAROUSEL, REELS}, None)}
MEDIA_BREAKDOWNS = {"navigation": ("story_navigation_action_type", ["tap_forward", "tap_back", "tap_exit", "swipe_forward"]),
                    "profile_activity": ("action_type", ["bio_link_clicked", "call", "direction", "email", "text"])}
IMPRESSIONS_CUTOFF = 1719792000  # 2024-07-01T00:00:00Z

TITLES = {
    "reach": ("Accounts reached", "The number of unique accounts that have seen your content, at least once."),
    "views": ("Views", "The number of times your content was played or displayed."),
    "likes": ("Likes", "The number of likes on your content."),
    "comments": ("Comments", "The number of comments on your content."),
    "saved": ("Saved", "The number of saves of your content."),
    "saves": ("Saves", "The number of saves of your content."),
    "shares": ("Shares", "The number of shares of your content."),
    "total_interactions": ("Interactions", "The number of likes, saves, comments and shares on your content."),
    "impressions": ("Impressions", "Total number of times your content has been seen."),
    "follower_count": ("Follower count", "Total number of unique accounts following this profile"),
    "online_followers": ("Online followers", "Total number of this profile's followers that were online"),
    "follower_demographics": ("Follower demographics", "The demographic characteristics of followers."),
    "engaged_audience_demographics": ("Engaged audience demographics",
                                      "The demographic characteristics of the engaged audience."),
}


def _title(name):
    t = TITLES.get(name)
    if t:
        return t
    words = name.replace("_", " ")
    return (words[:1].upper() + words[1:], "The %s of the content." % words)


def _surface(m):
    if m.product == "STORY":
        return STORY
    if m.product == "REELS":
        return REELS
    if m.media_type == "CAROUSEL_ALBUM":
        return CAROUSEL
    return FEED


def _metric_list(value):
    if value is None or str(value).strip() == "":
        raise param_error("The parameter metric is required")
    return [x.strip() for x in str(value).split(",") if x.strip()]


def _media_value(ctx, m, name, followers):
    world = ctx.world
    f = hfrac(world.seed, "mi", m.id, name)
    reach = int(followers * (0.05 + 0.4 * hfrac(world.seed, "mi", m.id, "reach")))
    if m.viewers is not None:
        reach = m.viewers
    likes = m.like_count
    comments = world.comments_count(m)
    saved = int(likes * 0.05 * (0.5 + f))
    shares = int(likes * 0.03 * (0.5 + hfrac(world.seed, m.id, "sh")))
    v = {
        "reach": reach, "views": int(reach * (1.2 + f)), "impressions": int(reach * (1.3 + f)),
        "likes": likes, "comments": comments, "saved": saved, "shares": shares,
        "total_interactions": likes + comments + saved + shares,
        "profile_visits": int(reach * 0.02 * (0.5 + f)), "follows": int(reach * 0.003 * f),
        "profile_activity": int(reach * 0.01 * (0.5 + f)),
        "ig_reels_avg_watch_time": int(3000 + 12000 * f),
        "ig_reels_video_view_total_time": int(reach * (3000 + 12000 * f)),
        "reels_skip_rate": round(20 + 50 * f, 2),
        "replies": int(reach * 0.01 * f), "navigation": int(reach * (0.8 + f)),
        "link_clicks": int(reach * 0.01 * f), "plays": int(reach * 1.5), "clips_replays_count": int(reach * 0.2),
        "ig_reels_aggregated_all_plays_count": int(reach * 1.7), "video_views": int(reach * 0.9),
        "engagement": likes + comments + saved, "total_likes": likes + int(likes * 0.1 * f),
        "total_comments": comments, "total_views": int(reach * (1.4 + f)),
    }
    if name in v:
        return v[name]
    return int(reach * f * 0.5)


def media_insights(ctx, m, params=None):
    params = ctx.params if params is None else params
    world = ctx.world
    if m.parent is not None:
        raise GraphError("(#100) Insights are not available for carousel album children", 100)  # [U] wording
    names = _metric_list(params.get("metric"))
    surface = _surface(m)
    table = dict(MEDIA_METRICS)
    if ctx.flavour == "fb":
        table.update(FB_ONLY_MEDIA)
    v = int(ctx.version)
    for i, name in enumerate(names):
        spec = table.get(name)
        if spec and surface in spec[0] and spec[1] is not None and v >= spec[1]:
            raise GraphError("(#100) Starting from version v%d.0 and above, the %s metric is no longer "
                             "supported for this media. Please use views instead." % (spec[1], name)
                             if name in ("impressions", "plays", "video_views") else
                             "(#100) Starting from version v%d.0 and above, the %s metric is no longer supported."
                             % (spec[1], name), 100)
        if not spec or surface not in spec[0]:
            valid = [k for k, s in table.items() if surface in s[0] and (s[1] is None or v < s[1])]
            raise GraphError("(#100) metric[%d] must be one of the following values: %s" % (i, ", ".join(valid)), 100)
        if name == "impressions" and m.ts > IMPRESSIONS_CUTOFF:
            # Meta's media insights page: impressions only for media created <= 2024-07-01 on <= v21
            raise GraphError("(#100) The impressions metric is only supported for media created before "
                             "July 1, 2024. Please use views instead.", 100)
    acct = world.accounts.get(m.owner)
    if acct is not None and m.ts < acct.business_since:
        raise GraphError("Invalid parameter", 100, subcode=2108006,
                         user_title="Media Posted Before Business Account Conversion",
                         user_msg="The media was posted before the most recent time that the user's account "
                                  "was converted to a business account from a personal account.")
    if surface == STORY and (m.viewers or 0) < 5:
        raise GraphError("(#10) Not enough viewers for the media to show insights", 10)
    breakdown = params.get("breakdown")
    followers = acct.followers if acct else 1000
    data = []
    for name in names:
        value = _media_value(ctx, m, name, followers)
        title, desc = _title(name)
        item = {"name": name, "period": "lifetime"}
        if breakdown and name in MEDIA_BREAKDOWNS and MEDIA_BREAKDOWNS[name][0] == breakdown:
            dim, vals = MEDIA_BREAKDOWNS[name]
            results, rest = [], value
            for j, dv in enumerate(vals):
                part = rest if j == len(vals) - 1 else int(value * (0.1 + 0.3 * hfrac(world.seed, m.id, dv)))
                part = min(part, rest)
                rest -= part
                results.append({"dimension_values": [dv], "value": part})
            item["total_value"] = {"value": value, "breakdowns": [{"dimension_keys": [dim], "results": results}]}
        elif breakdown:
            raise GraphError("(#100) The breakdown %s is not supported for metric %s" % (breakdown, name), 100)  # [U]
        else:
            item["values"] = [{"value": value}]
        item["title"] = title
        item["description"] = desc
        item["id"] = "%s/insights/%s/lifetime" % (m.id, name)
        data.append(item)
    return {"data": data}


@provides("media_insights")
def media_insights_obj(ctx, m, spec):
    """``insights.metric(reach,likes)`` inside field expansion."""
    return media_insights(ctx, m, spec.mods)


# ------------------------------------------------------------------ user
TV = "total_value"
TS = "time_series"
USER_METRICS = {
    # name: (periods, types, breakdowns, removed)
    "reach": ({"day", "week", "days_28"}, {TS, TV}, {"media_product_type", "follow_type"}, None),
    "follower_count": ({"day"}, {TS}, set(), None),
    "online_followers": ({"lifetime"}, {TS}, set(), None),
    "views": ({"day"}, {TV}, {"follower_type", "media_product_type"}, None),
    "accounts_engaged": ({"day"}, {TV}, set(), None),
    "total_interactions": ({"day"}, {TV}, {"media_product_type"}, None),
    "likes": ({"day"}, {TV}, {"media_product_type"}, None),
    "comments": ({"day"}, {TV}, {"media_product_type"}, None),
    "shares": ({"day"}, {TV}, {"media_product_type"}, None),
    "saves": ({"day"}, {TV}, {"media_product_type"}, None),
    "replies": ({"day"}, {TV}, {"media_product_type"}, None),
    "reposts": ({"day"}, {TV}, {"media_product_type"}, None),
    "follows_and_unfollows": ({"day"}, {TV}, {"follow_type"}, None),
    "profile_links_taps": ({"day"}, {TV}, {"contact_button_type"}, None),
    "follower_demographics": ({"lifetime"}, {TV}, {"age", "city", "country", "gender"}, None),
    "engaged_audience_demographics": ({"lifetime"}, {TV}, {"age", "city", "country", "gender"}, None),
    "impressions": ({"day", "week", "days_28"}, {TS, TV}, set(), 22),
    "profile_views": ({"day"}, {TS, TV}, set(), 21),
    "website_clicks": ({"day"}, {TS, TV}, set(), 21),
    "email_contacts": ({"day"}, {TS, TV}, set(), 21),
    "get_direction_clicks": ({"day"}, {TS, TV}, set(), 21),
    "text_message_clicks": ({"day"}, {TS, TV}, set(), 21),
    "phone_call_clicks": ({"day"}, {TS, TV}, set(), 21),
    "audience_gender_age": ({"lifetime"}, {TS}, set(), 18),
    "audience_locale": ({"lifetime"}, {TS}, set(), 18),
    "audience_country": ({"lifetime"}, {TS}, set(), 18),
    "audience_city": ({"lifetime"}, {TS}, set(), 18),
}
BREAKDOWN_VALUES = {
    "media_product_type": ["AD", "FEED", "REELS", "STORY"],
    "follow_type": ["FOLLOWER", "NON_FOLLOWER"],
    "follower_type": ["FOLLOWER", "NON_FOLLOWER"],
    "contact_button_type": ["BOOK_NOW", "CALL", "DIRECTION", "EMAIL", "TEXT", "UNDEFINED"],
    "age": AGES, "gender": GENDERS, "country": COUNTRIES, "city": CITIES,
}
TIMEFRAMES = {"last_14_days", "last_30_days", "last_90_days", "prev_month", "this_month", "this_week"}
DAILY_RATE = {
    "reach": 0.12, "impressions": 0.2, "views": 0.25, "accounts_engaged": 0.02, "likes": 0.015,
    "comments": 0.001, "shares": 0.0008, "saves": 0.0012, "replies": 0.0005, "reposts": 0.0002,
    "profile_views": 0.01, "website_clicks": 0.002, "email_contacts": 0.0002, "get_direction_clicks": 0.0003,
    "text_message_clicks": 0.0001, "phone_call_clicks": 0.0002, "follows_and_unfollows": 0.001,
    "profile_links_taps": 0.002, "follower_count": 0.0015,
}
MAX_RANGE = 30 * DAY
DAY_END = 7 * 3600  # end_time of a daily value: PT midnight expressed in UTC (+0000) [U]
RETENTION = 730 * DAY
FOLLOWER_COUNT_DAYS = 30


def _daily(world, acct, metric, day_end):
    if metric == "total_interactions":
        return sum(_daily(world, acct, m, day_end) for m in ("likes", "comments", "shares", "saves"))
    rate = DAILY_RATE.get(metric, 0.001)
    weekday = (day_end // DAY) % 7
    season = 1.15 if weekday in (5, 6) else 1.0
    return int(acct.followers * rate * season * (0.6 + 0.8 * hfrac(world.seed, acct.id, metric, day_end)))


def _window_value(world, acct, metric, period, end):
    span = {"day": 1, "week": 7, "days_28": 28}[period]
    if span == 1:
        return _daily(world, acct, metric, end)
    # unique reach over a window is less than the sum of daily reach
    total = sum(_daily(world, acct, metric, end - k * DAY) for k in range(span))
    return int(total * (0.55 if metric == "reach" else 1.0))


def _split(world, key, total, values):
    weights = [0.2 + hfrac(world.seed, key, v) for v in values]
    s = sum(weights)
    out, rest = [], total
    for i, (v, w) in enumerate(zip(values, weights)):
        part = rest if i == len(values) - 1 else int(total * w / s)
        rest -= part
        out.append({"dimension_values": [v], "value": part})
    return out


def _day_ends(since, until):
    first = ((since - DAY_END) // DAY + 1) * DAY + DAY_END
    out = []
    t = first
    while t <= until:
        out.append(t)
        t += DAY
    return out


def user_insights(ctx, acct):
    world = ctx.world
    p = ctx.params
    names = _metric_list(p.get("metric"))
    period = p.get("period")
    if not period:
        raise param_error("The parameter period is required")  # [U] exact wording
    mtype = p.get("metric_type") or "default"
    if mtype not in ("default", TS, TV):
        raise param_error("Param metric_type must be one of {default, time_series, total_value}")
    breakdown = p.get("breakdown")
    v = int(ctx.version)
    need_tv = []
    for i, name in enumerate(names):
        spec = USER_METRICS.get(name)
        if spec and spec[3] is not None and v >= spec[3]:
            raise GraphError("(#100) Starting from version v%d.0 and above, the %s metric is no longer "
                             "supported." % (spec[3], name), 100)
        if not spec:
            valid = [k for k, s in USER_METRICS.items() if s[3] is None or v < s[3]]
            raise GraphError("(#100) metric[%d] must be one of the following values: %s" % (i, ", ".join(valid)), 100)
        if period not in spec[0]:
            raise GraphError("(#100) Incompatible metric (%s) with period (%s)" % (name, period), 100)  # [U]
        if spec[1] == {TV} and mtype != TV:
            need_tv.append(name)
        if mtype == TV and TV not in spec[1]:
            raise GraphError("(#100) The metric_type total_value is not supported for %s" % name, 100)  # [U]
        if breakdown:
            if mtype != TV:
                raise param_error("breakdown is only supported with metric_type=total_value")  # [U]
            for b in breakdown.split(","):
                if b.strip() not in spec[2]:
                    raise GraphError("(#100) Incompatible breakdowns (%s) for metric (%s)" % (breakdown, name), 100)
    if need_tv:
        raise GraphError("(#100) The following metrics (%s) should be specified with parameter "
                         "metric_type=total_value" % ", ".join(need_tv), 100)
    now = ctx.now
    since = parse_time(p.get("since"), "since")
    until = parse_time(p.get("until"), "until")
    if since is not None and since < now - RETENTION:
        # insights are kept 2 years (reference 2.11, observed answer) [U: exact boundary]
        raise param_error("since param is not valid. Metrics data is available for the last 2 years")
    last_end = ((now - DAY_END) // DAY) * DAY + DAY_END
    if until is None:
        until = last_end if since is None else min(since + 2 * DAY, last_end) if since < last_end else since + 2 * DAY
    if since is None:
        since = until - 2 * DAY
    if until - since > MAX_RANGE:
        raise param_error("There cannot be more than 30 days (2592000 s) between since and until")
    if since > until:
        raise param_error("The since parameter must be before until")
    if "follower_count" in names and since < last_end - FOLLOWER_COUNT_DAYS * DAY:
        # since v9.0 follower_count covers the last 30 days, excluding the current
        # day (reference 2.11).  [U] the boundary: the sandbox allows since down to
        # the end of the day 30 days before the last complete day.
        raise param_error("(follower_count) metric only supports querying data for the last 30 days "
                          "excluding the current day")
    small = acct.followers < 100
    data = []
    for name in names:
        title, desc = _title(name)
        item = {"name": name, "period": period}
        ends = [e for e in _day_ends(since, until) if now - RETENTION <= e <= now]
        if name in ("follower_demographics", "engaged_audience_demographics", "audience_gender_age",
                    "audience_locale", "audience_country", "audience_city"):
            tf = p.get("timeframe") or "last_30_days"
            if tf not in TIMEFRAMES:
                raise param_error("Param timeframe must be one of {%s}" % ", ".join(sorted(TIMEFRAMES)))
            if name.startswith("audience_"):
                dim = {"audience_gender_age": "age", "audience_locale": "country",
                       "audience_country": "country", "audience_city": "city"}[name]
                vals = {} if small else {r["dimension_values"][0]: r["value"] for r in
                                         _split(world, (acct.id, name), acct.followers, BREAKDOWN_VALUES[dim])}
                item["values"] = [{"value": vals, "end_time": fmt_ts(last_end)}]
            else:
                if not breakdown:
                    raise param_error("The breakdown parameter is required for %s" % name)  # [U]
                total = acct.followers if name == "follower_demographics" else int(acct.followers * 0.04)
                dims = [b.strip() for b in breakdown.split(",")]
                if small:
                    # [U] below 100 followers the real API has no demographics: empty results
                    results = []
                else:
                    results = _split(world, (acct.id, name, tf, tuple(dims)), total, BREAKDOWN_VALUES[dims[0]])
                    if len(dims) > 1:
                        nested = []
                        for r in results:
                            for r2 in _split(world, (acct.id, name, tf, r["dimension_values"][0]), r["value"],
                                             BREAKDOWN_VALUES[dims[1]]):
                                nested.append({"dimension_values": r["dimension_values"] + r2["dimension_values"],
                                               "value": r2["value"]})
                        results = nested
                item["total_value"] = {"breakdowns": [{"dimension_keys": dims, "results": results}]}
        elif name == "online_followers":
            vals = []
            if not small:
                for e in ends:
                    if e < now - MAX_RANGE:
                        continue
                    hours = {str(h): int(acct.followers * 0.05 * (0.3 + hfrac(world.seed, acct.id, e, h)))
                             for h in range(24)}
                    vals.append({"value": hours, "end_time": fmt_ts(e)})
            item["values"] = vals
        elif mtype == TV:
            total = sum(_daily(world, acct, name, e) for e in ends) if ends else 0
            tv = {"value": total}
            if breakdown:
                dims = [b.strip() for b in breakdown.split(",")]
                tv["breakdowns"] = [{"dimension_keys": dims,
                                     "results": _split(world, (acct.id, name, since, until, dims[0]), total,
                                                       BREAKDOWN_VALUES[dims[0]])}]
            item["total_value"] = tv
        else:
            if name == "follower_count" and small:
                item["values"] = []  # [U] needs >= 100 followers
            else:
                item["values"] = [{"value": _window_value(world, acct, name, period, e), "end_time": fmt_ts(e)}
                                  for e in ends]
        item["title"] = title
        item["description"] = desc
        item["id"] = "%s/insights/%s/%s" % (acct.id, name, period)
        data.append(item)
    out = {"data": data}
    if mtype != TV and period != "lifetime":
        span = until - since
        q = [(k, val) for k, val in ctx.query_pairs if k not in ("since", "until")]
        base = ctx.base + ctx.rel_path + "?"
        out["paging"] = {
            "previous": base + urlencode(q + [("since", str(since - span)), ("until", str(since))]),
            "next": base + urlencode(q + [("since", str(until)), ("until", str(until + span))]),
        }
    return out
