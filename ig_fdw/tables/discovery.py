"""Other accounts seen through field expansion on the account node:
business discovery (by username) and @mentions (by media or comment id
from a webhook).  The key value goes into the expansion
(``business_discovery.username(<value>){...}``), so its column's kind
(username, graph_id) is checked before it is placed there."""

from ig_fdw.catalog.model import Column as C, KeyQual as Q, Source, Table, IN
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q, COMMENT_SCOPES, INSIGHT_SCOPES

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
