"""The table entries.  Column names are the Graph API's field names; ids are
text, counts integer/bigint, times timestamptz, objects jsonb.  `reference`
names the CData object each table stands for."""

import dataclasses

from ig_fdw.catalog.model import Column as C, InsightsSpec, KeyQual as Q, Source, Table, EQ, IN, RANGE

ACCOUNT = C("business_account_id", "text", "context", kind="graph_id", doc="the IG business account the row belongs to")
ACCOUNT_Q = Q("business_account_id", IN, "account")

BASIC_SCOPES = ("instagram_basic", "pages_show_list", "pages_read_engagement")
INSIGHT_SCOPES = BASIC_SCOPES + ("instagram_manage_insights",)
COMMENT_SCOPES = BASIC_SCOPES + ("instagram_manage_comments",)

# Column.writable: which operations may set the column (Table.writable: which operations the table takes).
INSERT, UPDATE = ("insert",), ("update",)


def settable(columns, ops, *names):
    """The columns, those named made settable by `ops` (shared column lists, one table's writes)."""
    return tuple(dataclasses.replace(c, writable=ops) if c.name in names else c for c in columns)


def media_columns(extra=()):
    return (
        C("id", "text", doc="media id", kind="graph_id"),
        C("caption", "text"),
        C("media_type", "text", doc="IMAGE, VIDEO or CAROUSEL_ALBUM"),
        C("media_product_type", "text", doc="AD, FEED, STORY or REELS"),
        C("timestamp", "timestamptz", doc="creation time (UTC)"),
        C("permalink", "text"),
        C("shortcode", "text"),
        C("media_url", "text"),
        C("thumbnail_url", "text", doc="videos only"),
        C("like_count", "integer", doc="NULL when the owner hides like counts"),
        C("comments_count", "integer"),
        C("is_comment_enabled", "boolean"),
        C("username", "text"),
    ) + tuple(extra)


MEDIA_KEYS = (Q("id", IN, "id"), ACCOUNT_Q, Q("timestamp", RANGE, "since"), Q("timestamp", RANGE, "until"))

PROFILE = Table(
    "instagram_business_profile", "The business account's profile, one row per account.",
    Source("node"),
    (ACCOUNT, C("id", "text"), C("ig_id", "bigint"), C("username", "text"), C("name", "text"),
     C("biography", "text"), C("website", "text"), C("profile_picture_url", "text"),
     C("followers_count", "integer"), C("follows_count", "integer"), C("media_count", "integer")),
    (ACCOUNT_Q,), reference="InstagramBusinessProfile", rows_estimate=1, scopes=BASIC_SCOPES)

PAGES = Table(
    "pages", "Facebook Pages the token's user manages (no page tokens are exposed).",
    Source("me", edge="accounts"),
    (C("id", "text"), C("name", "text"), C("category", "text"),
     C("instagram_business_account_id", "text", path="instagram_business_account.id")),
    reference="Pages", rows_estimate=5, scopes=("pages_show_list",))

INSTAGRAM_PAGES = Table(
    "instagram_pages", "Pages with their linked IG business account.",
    Source("me", edge="accounts"),
    (C("page_id", "text", path="id"), C("page_name", "text", path="name"),
     C("business_account_id", "text", path="instagram_business_account.id"),
     C("username", "text", path="instagram_business_account.username")),
    reference="InstagramPages", rows_estimate=5, scopes=("pages_show_list", "instagram_basic"))

PERMISSIONS = Table(
    "permissions", "OAuth permissions granted to the app by the token's user.",
    Source("me", edge="permissions"),
    (C("permission", "text"), C("status", "text")),
    reference="Permissions", rows_estimate=10)

# Publishing (INSERT INTO media): parameters of the container, NULL on SELECT.
PUBLISH_COLUMNS = (
    C("image_url", "text", "context", writable=INSERT, doc="public URL of the JPEG to publish"),
    C("video_url", "text", "context", writable=INSERT, doc="public URL of the video (reels, stories)"),
    C("cover_url", "text", "context", writable=INSERT, doc="cover image URL of a reel"),
    C("children", "text[]", "context", writable=INSERT, doc="carousel item URLs (2 to 10)"),
    C("share_to_feed", "boolean", "context", writable=INSERT, doc="reels also shown in the feed"),
)

MEDIA = Table(
    "media", "Posts of the account (feed, carousels, reels), newest first.  INSERT publishes "
    "(docs/writes.md).",
    Source("edge", edge="media", native_order=("timestamp", True)),
    settable(media_columns((ACCOUNT,) + PUBLISH_COLUMNS), INSERT, "caption", "media_type", "business_account_id"),
    MEDIA_KEYS, reference="Media", rows_estimate=2000,
    path_keys=((("id",), 1),), writable=("insert",), scopes=BASIC_SCOPES)

IG_MEDIA = Table(
    "ig_media", "IG Media objects with every field (CData's IGMedia).",
    Source("edge", edge="media", native_order=("timestamp", True)),
    settable(media_columns((C("ig_id", "text"), C("owner_id", "text", path="owner.id"), ACCOUNT,
                            C("children", "jsonb", doc="carousel children ids"))), UPDATE, "is_comment_enabled"),
    MEDIA_KEYS, reference="IGMedia", rows_estimate=2000, path_keys=((("id",), 1),),
    writable=("update", "delete"), scopes=BASIC_SCOPES)

STORIES = Table(
    "stories", "Live stories of the account (they vanish 24 h after posting).",
    Source("edge", edge="stories"),
    media_columns((ACCOUNT,)), (Q("id", IN, "id"), ACCOUNT_Q), reference="Stories", rows_estimate=10,
    scopes=BASIC_SCOPES)

TAGGED_MEDIA_COLUMNS = (
    C("id", "text", kind="graph_id"), C("caption", "text"), C("media_type", "text"), C("media_product_type", "text"),
    C("timestamp", "timestamptz"), C("permalink", "text"), C("media_url", "text"), C("username", "text"),
    C("like_count", "integer"), C("comments_count", "integer"), ACCOUNT,
)

TAGS = Table(
    "tags", "Media in which the account was tagged by others.",
    Source("edge", edge="tags"),
    TAGGED_MEDIA_COLUMNS, (ACCOUNT_Q,), reference="Tags", rows_estimate=100,
    scopes=COMMENT_SCOPES)

COMMENT_COLUMNS = (
    C("id", "text", kind="graph_id"), C("text", "text", writable=INSERT), C("timestamp", "timestamptz"),
    C("username", "text"), C("user_id", "text", path="from.id"), C("like_count", "integer"),
    C("hidden", "boolean", writable=UPDATE),
)

COMMENTS = Table(
    "comments", "Top-level comments on media.  Without media_id every media of the account is walked "
    "(batched), as the reference connector does.",
    Source("edge", edge="comments", parent="media_id", fan_out="media"),
    COMMENT_COLUMNS + (C("media_id", "text", "context", path="media.id", writable=INSERT, kind="graph_id"), ACCOUNT),
    (Q("id", IN, "id"), Q("media_id", IN, "parent"), ACCOUNT_Q), reference="Comments", rows_estimate=20000,
    path_keys=((("media_id",), 20),), writable=("insert", "update", "delete"), scopes=COMMENT_SCOPES)

REPLIES = Table(
    "replies", "Replies to top-level comments.  Without comment_id every comment is walked.",
    Source("edge", edge="replies", parent="comment_id", fan_out="comments"),
    COMMENT_COLUMNS + (C("comment_id", "text", "context", path="parent_id", writable=INSERT, kind="graph_id"),
                       C("media_id", "text", path="media.id"), ACCOUNT),
    (Q("id", IN, "id"), Q("comment_id", IN, "parent"), ACCOUNT_Q), reference="Replies", rows_estimate=5000,
    path_keys=((("comment_id",), 5),), writable=("insert", "update", "delete"), scopes=COMMENT_SCOPES)

MEDIA_CHILDREN = Table(
    "media_children", "Items of carousel albums.",
    Source("edge", edge="children", parent="media_id"),
    (C("media_id", "text", "context", kind="graph_id"), C("id", "text"), C("media_type", "text"), C("media_url", "text"),
     C("shortcode", "text"), C("thumbnail_url", "text"), C("timestamp", "timestamptz"), C("username", "text")),
    (Q("media_id", IN, "parent", required=True),), rows_estimate=10, path_keys=((("media_id",), 5),),
    scopes=BASIC_SCOPES)

HASHTAGS = Table(
    "hashtags", "Hashtag search: the id of a hashtag by name (counts toward the 30 hashtags a week).",
    Source("search", edge="ig_hashtag_search", params=(("q", "{name}"),)),
    (C("name", "text", "context", kind="hashtag"), C("id", "text"), ACCOUNT),
    (Q("name", IN, "param", param="name", required=True), ACCOUNT_Q), rows_estimate=1,
    scopes=("instagram_basic",))

HASHTAG_MEDIA_COLUMNS = (
    C("hashtag_id", "text", "context", kind="graph_id"), C("id", "text"), C("caption", "text"), C("media_type", "text"),
    C("timestamp", "timestamptz"), C("permalink", "text"), C("media_url", "text"),
    C("like_count", "integer"), C("comments_count", "integer"), ACCOUNT,
)
HASHTAG_KEYS = (Q("hashtag_id", IN, "parent", required=True), ACCOUNT_Q)

HASHTAG_TOP = Table(
    "hashtag_top_media", "Most popular public media with a hashtag (50 a page).",
    Source("edge", edge="top_media", parent="hashtag_id", page_cap=50, params=(("user_id", "{account}"),)),
    HASHTAG_MEDIA_COLUMNS, HASHTAG_KEYS, rows_estimate=50, path_keys=((("hashtag_id",), 50),),
    scopes=("instagram_basic",))

HASHTAG_RECENT = Table(
    "hashtag_recent_media", "Public media with a hashtag from the last 24 hours (50 a page).",
    Source("edge", edge="recent_media", parent="hashtag_id", page_cap=50, params=(("user_id", "{account}"),)),
    HASHTAG_MEDIA_COLUMNS, HASHTAG_KEYS, rows_estimate=50, path_keys=((("hashtag_id",), 50),),
    scopes=("instagram_basic",))

RECENT_HASHTAGS = Table(
    "recently_searched_hashtags", "Hashtags the account searched in the current 7-day window.",
    Source("edge", edge="recently_searched_hashtags"),
    (C("id", "text"), C("name", "text"), ACCOUNT), (ACCOUNT_Q,), rows_estimate=30)

PUBLISHING_LIMIT = Table(
    "content_publishing_limit", "Publishing quota usage of the account over the last 24 hours.",
    Source("edge", edge="content_publishing_limit"),
    (ACCOUNT, C("quota_usage", "integer"), C("quota_total", "integer", path="config.quota_total"),
     C("quota_duration", "integer", path="config.quota_duration"), C("config", "jsonb")),
    (ACCOUNT_Q,), rows_estimate=1, scopes=("instagram_content_publish",))

DISCOVERY_PROFILE_COLUMNS = (
    C("username", "text", "context", kind="username"), C("id", "text"), C("name", "text"), C("biography", "text"),
    C("website", "text"), C("profile_picture_url", "text"), C("followers_count", "integer"),
    C("follows_count", "integer"), C("media_count", "integer"), ACCOUNT,
)
BUSINESS_DISCOVERY = Table(
    "business_discovery", "Public profile of another business or creator account, by username.",
    Source("expansion", expansion="business_discovery.username"),
    DISCOVERY_PROFILE_COLUMNS, (Q("username", IN, "param", required=True), ACCOUNT_Q), rows_estimate=1,
    path_keys=((("username",), 1),), scopes=INSIGHT_SCOPES)

BUSINESS_DISCOVERY_MEDIA = Table(
    "business_discovery_media", "Public media of another business or creator account, by username.",
    Source("expansion", expansion="business_discovery.username", edge="media"),
    (C("username", "text", "context", kind="username"), C("id", "text"), C("caption", "text"), C("media_type", "text"),
     C("media_product_type", "text"), C("timestamp", "timestamptz"), C("permalink", "text"),
     C("media_url", "text"), C("like_count", "integer"), C("comments_count", "integer"), ACCOUNT),
    (Q("username", IN, "param", required=True), ACCOUNT_Q), rows_estimate=100,
    path_keys=((("username",), 100),), scopes=INSIGHT_SCOPES)

MENTIONED_MEDIA = Table(
    "mentioned_media", "A media whose caption @mentions the account (media id from a webhook).",
    Source("expansion", expansion="mentioned_media.media_id"),
    (C("media_id", "text", "context", kind="graph_id"), C("id", "text"), C("caption", "text"), C("media_type", "text"),
     C("timestamp", "timestamptz"), C("like_count", "integer"), C("comments_count", "integer"),
     C("username", "text"), ACCOUNT),
    (Q("media_id", IN, "param", required=True), ACCOUNT_Q), rows_estimate=1,
    path_keys=((("media_id",), 1),), scopes=COMMENT_SCOPES)

MENTIONED_COMMENTS = Table(
    "mentioned_comments", "A comment that @mentions the account (comment id from a webhook).",
    Source("expansion", expansion="mentioned_comment.comment_id"),
    (C("comment_id", "text", "context", kind="graph_id"), C("id", "text"), C("text", "text"), C("timestamp", "timestamptz"),
     C("like_count", "integer"), C("username", "text"), ACCOUNT),
    (Q("comment_id", IN, "param", required=True), ACCOUNT_Q), rows_estimate=1,
    path_keys=((("comment_id",), 1),), scopes=COMMENT_SCOPES)


# ------------------------------------------------------------- insights

def metric(name, doc="", metric_types=()):
    return C(name, "bigint", "metric", doc=doc, metric_types=metric_types)


TS = ("default", "time_series")
TOTAL = ("total_value",)


MEDIA_INSIGHT_BASE = (
    C("media_id", "text", "context", kind="graph_id"), ACCOUNT, C("media_type", "text", "context"),
    C("media_product_type", "text", "context"),
)
MEDIA_INSIGHT_KEYS = (Q("media_id", IN, "parent"), ACCOUNT_Q)
FEED_METRICS = ("views", "reach", "total_interactions", "saved", "likes", "comments", "shares", "follows",
                "profile_visits")


def media_insights_table(name, doc, reference, metrics, media_types=(), product_types=(), fan_out="media"):
    return Table(
        name, doc,
        Source("insights", parent="media_id", fan_out=fan_out,
               insights=InsightsSpec("media", media_types=media_types, product_types=product_types)),
        MEDIA_INSIGHT_BASE + tuple(metric(m) for m in metrics), MEDIA_INSIGHT_KEYS, reference=reference,
        rows_estimate=20000, path_keys=((("media_id",), 1),), scopes=INSIGHT_SCOPES)


MEDIA_INSIGHTS = media_insights_table(
    "media_insights", "Insights of feed posts, carousels and reels (metrics valid for each media's type "
    "and the configured version; others are NULL).", "MediaInsights",
    FEED_METRICS + ("replies", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "impressions"))
MEDIA_INSIGHTS_POST = media_insights_table(
    "media_insights_post", "Insights of single-image and video feed posts.", "MediaInsightsPost",
    FEED_METRICS + ("impressions",), media_types=("IMAGE", "VIDEO"), product_types=("FEED",))
MEDIA_INSIGHTS_ALBUM = media_insights_table(
    "media_insights_post_album", "Insights of carousel albums.", "MediaInsightsPostAlbum",
    FEED_METRICS + ("impressions",), media_types=("CAROUSEL_ALBUM",))
MEDIA_INSIGHTS_REELS = media_insights_table(
    "media_insights_reels", "Insights of reels.", "MediaInsightsReels",
    ("views", "reach", "total_interactions", "saved", "likes", "comments", "shares",
     "ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "plays"), product_types=("REELS",))
MEDIA_INSIGHTS_STORY = media_insights_table(
    "media_insights_story", "Insights of live stories (24 h only; stories with fewer than 5 viewers give NULL).",
    "MediaInsightsStory",
    ("views", "reach", "total_interactions", "shares", "replies", "navigation", "follows", "profile_visits",
     "impressions"), product_types=("STORY",), fan_out="stories")

PERIOD = C("period", "text", "control", kind="name", default="day", choices=("day", "week", "days_28", "month", "lifetime",
                                                             "total_over_range"))
SINCE = C("since", "timestamptz", "control", doc="start of the range (API since=)")
UNTIL = C("until", "timestamptz", "control", doc="end of the range (API until=)")
TIMEFRAME = C("timeframe", "text", "control", kind="name", choices=("last_14_days", "last_30_days", "last_90_days",
                                                        "prev_month", "this_month", "this_week"))
def present(keys, columns):
    """The KeyQuals whose column the table has."""
    names = {c.name for c in columns}
    return tuple(q for q in keys if q.column in names)


CONTROL_KEYS = (ACCOUNT_Q, Q("period", EQ, "param"), Q("since", RANGE + EQ, "since"),
                Q("until", RANGE + EQ, "until"), Q("metric_type", EQ, "param"), Q("timeframe", EQ, "param"))
END_TIME = C("end_time", "timestamptz", "context")

ACCOUNT_TOTAL_METRICS = ("views", "reach", "accounts_engaged", "total_interactions", "likes", "comments",
                         "shares", "saves", "replies", "follows_and_unfollows", "profile_links_taps")


def account_table(name, doc, reference, metrics, metric_type=None, breakdown=None, dimension=None,
                  extra=(), period_default="day", rows=30, daily=False):
    columns = (ACCOUNT, END_TIME) + ((C(dimension, "text", "context", path="dimension", doc="breakdown value"),)
                                     if dimension else ()) + (
        C("period", "text", "control", kind="name", default=period_default, choices=PERIOD.choices),
        C("metric_type", "text", "control", kind="name", default=metric_type or "default",
          choices=("default", "time_series", "total_value")),
        SINCE, UNTIL) + tuple(extra) + tuple(m if not isinstance(m, str) else metric(m) for m in metrics)
    keys = present(CONTROL_KEYS, columns)
    if daily:
        keys = tuple(q for q in keys if q.column != "since") + (
            Q("since", RANGE + EQ, "since", required=True),)
    return Table(name, doc,
                 Source("insights", insights=InsightsSpec("account", metric_type=metric_type, breakdown=breakdown,
                                                          daily=daily)),
                 columns, keys, reference=reference, rows_estimate=rows, scopes=INSIGHT_SCOPES)


ACCOUNT_INSIGHTS = account_table(
    "account_insights", "Account insights by day (period, metric_type, since and until are filters that "
    "become API parameters, as CData's Period and MetricType).", "AccountInsights",
    (metric("reach", metric_types=TS + TOTAL), metric("follower_count", metric_types=TS),
     metric("views", metric_types=TOTAL), metric("accounts_engaged", metric_types=TOTAL),
     metric("total_interactions", metric_types=TOTAL)))
ACCOUNT_WITHOUT_BREAKDOWN = account_table(
    "account_without_breakdown", "Account totals over a range (metric_type total_value).",
    "AccountWithoutBreakdown", ACCOUNT_TOTAL_METRICS, metric_type="total_value", rows=1)
ACCOUNT_TS_WITHOUT_BREAKDOWN = account_table(
    "account_time_series_without_breakdown", "Account metrics as a daily time series.",
    "AccountTimeSeriesWithoutBreakdown", ("reach", "follower_count"), metric_type="time_series")
ACCOUNT_CONTACT_BUTTON = account_table(
    "account_contact_button_type", "Profile link taps by contact button type.", "AccountContactButtonType",
    ("profile_links_taps",), metric_type="total_value", breakdown="contact_button_type",
    dimension="contact_button_type", rows=5)
ACCOUNT_FOLLOW_TYPE = account_table(
    "account_follow_type", "Reach and follows by follower / non-follower.", "AccountFollowType",
    ("reach", "follows_and_unfollows"), metric_type="total_value", breakdown="follow_type",
    dimension="follow_type", rows=3)
ACCOUNT_MEDIA_PRODUCT_TYPE = account_table(
    "account_media_product_type", "Account metrics by media product type (POST, REEL, STORY, ...).",
    "AccountMediaProductType", ("views", "reach", "total_interactions", "likes", "comments", "shares", "saves",
                                "replies"), metric_type="total_value", breakdown="media_product_type",
    dimension="media_product_type", rows=5)
# The API breaks totals down, not time series: these ask one total per day
# between since (required) and until (default: since + 7 days).
ACCOUNT_TS_FOLLOW_TYPE = account_table(
    "account_time_series_follow_type", "Reach and follows by follow type, day by day (one call per day).",
    "AccountTimeSeriesFollowType", ("reach", "follows_and_unfollows"), metric_type="total_value",
    breakdown="follow_type", dimension="follow_type", daily=True)
ACCOUNT_TS_MEDIA_PRODUCT_TYPE = account_table(
    "account_time_series_media_product_type", "Account metrics by media product type, day by day "
    "(one call per day).", "AccountTimeSeriesMediaProductType", ("reach", "views", "total_interactions"),
    metric_type="total_value", breakdown="media_product_type", dimension="media_product_type", daily=True)

AUDIENCE = Table(
    "audience_insights", "Follower or engaged-audience demographics (needs 100+ followers).",
    Source("insights", insights=InsightsSpec("account", metric_type="total_value")),
    (ACCOUNT,
     C("metric", "text", "control", kind="name", default="follower_demographics",
       choices=("follower_demographics", "engaged_audience_demographics")),
     C("breakdown", "text", "control", kind="names", default="country", choices=("age", "city", "country", "gender", "age,gender"),
       doc="CData's AudienceType"),
     C("timeframe", "text", "control", kind="name", default="last_30_days", choices=TIMEFRAME.choices),
     C("period", "text", "control", kind="name", default="lifetime"),
     C("audience_group", "text", "context", path="dimension", doc="the breakdown value (e.g. a country code)"),
     C("total_audience", "bigint", "context", path="value")),
    (ACCOUNT_Q, Q("metric", EQ, "param"), Q("breakdown", EQ, "param"), Q("timeframe", EQ, "param")),
    reference="AudienceInsights", rows_estimate=50, scopes=INSIGHT_SCOPES)

ONLINE_FOLLOWERS = Table(
    "online_followers", "Followers online by hour of day (needs 100+ followers).",
    Source("insights", insights=InsightsSpec("account", shape="hourly")),
    (ACCOUNT, END_TIME, C("hour", "integer", "context"), C("followers", "bigint", "context"),
     C("period", "text", "control", kind="name", default="lifetime"), SINCE, UNTIL,
     C("metric", "text", "control", kind="name", default="online_followers")),
    (ACCOUNT_Q, Q("since", RANGE + EQ, "since"), Q("until", RANGE + EQ, "until")), reference="OnlineFollowers", rows_estimate=24 * 7, scopes=INSIGHT_SCOPES)

INSIGHTS_LONG = Table(
    "insights", "Any insights metric, one row per value: filter on metric (and object_id for media).",
    Source("insights", insights=InsightsSpec("account", shape="long")),
    (C("object_id", "text", "context", kind="graph_id"), ACCOUNT, C("metric", "text", "context", kind="name"),
     C("period", "text", "control", kind="name", default="day", choices=PERIOD.choices),
     C("metric_type", "text", "control", kind="name", choices=("default", "time_series", "total_value")),
     C("breakdown", "text", "control", kind="names"), TIMEFRAME, SINCE, UNTIL, END_TIME,
     C("dimension_values", "text[]", "context"), C("value", "bigint", "context"),
     C("value_json", "jsonb", "context", doc="the raw value (objects for online_followers)")),
    (Q("metric", IN, "param", required=True), Q("object_id", IN, "parent"), ACCOUNT_Q,
     Q("period", EQ, "param"), Q("metric_type", EQ, "param"), Q("breakdown", EQ, "param"),
     Q("timeframe", EQ, "param"), Q("since", RANGE + EQ, "since"), Q("until", RANGE + EQ, "until")),
    rows_estimate=100, scopes=INSIGHT_SCOPES)

def procedure_table(spec):
    """CData's OAuth stored procedures: the WHERE clause carries the inputs."""
    inputs = tuple(C(c.name.lower(), "text", "context", doc="input", kind="text") for c in spec.inputs)
    # An output named like an input (RefreshOAuthAccessToken's OAuthRefreshToken) is left out: the
    # column must echo the filter for PostgreSQL's recheck; for Meta the new refresh token is the
    # new access token anyway.
    outputs = tuple(C(c.name.lower(), c.type, doc="output") for c in spec.outputs
                    if c.name.lower() not in {i.name for i in inputs})
    return Table(spec.name, spec.doc, Source("procedure", procedure=spec.name), inputs + outputs,
                 tuple(Q(c.name, EQ, "param") for c in inputs), reference=spec.cdata_name, rows_estimate=1)


def _procedures():
    from ig_fdw.procedures import PROCEDURES
    return [procedure_table(spec) for spec in PROCEDURES.values()]


ALL = [
    PROFILE, PAGES, INSTAGRAM_PAGES, PERMISSIONS, MEDIA, IG_MEDIA, STORIES, TAGS, COMMENTS, REPLIES,
    MEDIA_CHILDREN, MEDIA_INSIGHTS, MEDIA_INSIGHTS_POST, MEDIA_INSIGHTS_ALBUM, MEDIA_INSIGHTS_REELS,
    MEDIA_INSIGHTS_STORY, ACCOUNT_INSIGHTS, ACCOUNT_WITHOUT_BREAKDOWN, ACCOUNT_CONTACT_BUTTON, ACCOUNT_FOLLOW_TYPE,
    ACCOUNT_MEDIA_PRODUCT_TYPE, ACCOUNT_TS_FOLLOW_TYPE, ACCOUNT_TS_MEDIA_PRODUCT_TYPE, ACCOUNT_TS_WITHOUT_BREAKDOWN,
    AUDIENCE, ONLINE_FOLLOWERS, HASHTAGS, HASHTAG_TOP, HASHTAG_RECENT, RECENT_HASHTAGS, BUSINESS_DISCOVERY,
    BUSINESS_DISCOVERY_MEDIA, MENTIONED_MEDIA, MENTIONED_COMMENTS, PUBLISHING_LIMIT, INSIGHTS_LONG,
] + _procedures()
