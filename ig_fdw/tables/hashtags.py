"""Hashtags: search by name, top and recent media of a hashtag, the
account's recent searches.  Every hashtag call names the account doing the
search (``user_id``); the Source params say so, the executor fills them."""

from ig_fdw.catalog.model import Column as C, KeyQual as Q, Source, Table, IN
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q

HASHTAGS = Table(
    "hashtags", "Hashtag search: the id of a hashtag by name (counts toward the 30 hashtags a week).",
    Source("search", edge="ig_hashtag_search", params=(("user_id", "{account}"), ("q", "{name}"))),
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
