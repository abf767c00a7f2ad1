"""Comments and replies: reading (by id, by parent, or walking every media /
comment of the account) and writing (INSERT posts, UPDATE hidden hides or
unhides, DELETE removes; handler in ig_fdw/writes/comments.py;
the text rules at the end of this module).

Rows read by id or by media_id do not carry their account: the executor
asks the owner of their media (``account_from``) when the query selects
business_account_id, so that ``WHERE id IN (...) AND business_account_id =
'X'`` keeps its rows after PostgreSQL's recheck.
"""

from ig_fdw.catalog.model import Column as C, KeyQual as Q, Source, Table, Writes, IN
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q, COMMENT_SCOPES, count_hashtags, count_urls

COMMENT_COLUMNS = (
    C("id", "text", kind="graph_id"), C("text", "text"), C("timestamp", "timestamptz"),
    C("username", "text"), C("user_id", "text", path="from.id"), C("like_count", "integer"),
    C("hidden", "boolean"),
)

COMMENTS = Table(
    "comments", "Top-level comments on media.  Without media_id every media of the account is walked, "
    "the comments coming with the media pages (field expansion; FieldExpansion 'off': batched).",
    Source("edge", edge="comments", parent="media_id", fan_out="media"),
    COMMENT_COLUMNS + (C("media_id", "text", "context", path="media.id", kind="graph_id"), ACCOUNT),
    (Q("id", IN, "id"), Q("media_id", IN, "parent"), ACCOUNT_Q), reference="Comments", rows_estimate=20000,
    path_keys=((("media_id",), 20),), scopes=COMMENT_SCOPES, account_from="media_id",
    writes=Writes(insert=("media_id", "text"), update=("hidden",), delete=True, required=("media_id", "text")),
    writer="ig_fdw.writes.comments:COMMENTS")

REPLIES = Table(
    "replies", "Replies to top-level comments.  Without comment_id every comment is walked.",
    Source("edge", edge="replies", parent="comment_id", fan_out="comments"),
    COMMENT_COLUMNS + (C("comment_id", "text", "context", path="parent_id", kind="graph_id"),
                       C("media_id", "text", path="media.id"), ACCOUNT),
    (Q("id", IN, "id"), Q("comment_id", IN, "parent"), ACCOUNT_Q), reference="Replies", rows_estimate=5000,
    path_keys=((("comment_id",), 5),), scopes=COMMENT_SCOPES, account_from="media_id",
    writes=Writes(insert=("comment_id", "text"), update=("hidden",), delete=True, required=("comment_id", "text")),
    writer="ig_fdw.writes.comments:REPLIES")


# ---------------------------------------------------------------- Instagram's rules for comment and reply text
# Checked before any call (docs/writes.md, "Comment and reply rules"): at most 300 characters, at most 4
# hashtags, at most 1 URL, not all capitals.  None, or a (rule, explanation) pair the writer turns into an
# error naming the row.

MAX_COMMENT_CHARS = 300
MAX_COMMENT_HASHTAGS = 4
MAX_COMMENT_URLS = 1
MIN_LETTERS_FOR_CAPS_RULE = 3


def all_capitals(text):
    letters = [c for c in (text or "") if c.isupper() or c.islower()]
    return len(letters) >= MIN_LETTERS_FOR_CAPS_RULE and all(c.isupper() for c in letters)


def comment_violation(text):
    """None when `text` may be posted as a comment or reply, else (rule, why)."""
    if text is None or not str(text).strip():
        return ("text required", "the text is empty")
    text = str(text)
    if len(text) > MAX_COMMENT_CHARS:
        return ("at most %d characters" % MAX_COMMENT_CHARS, "the text has %d characters" % len(text))
    n = count_hashtags(text)
    if n > MAX_COMMENT_HASHTAGS:
        return ("at most %d hashtags" % MAX_COMMENT_HASHTAGS, "the text has %d hashtags" % n)
    n = count_urls(text)
    if n > MAX_COMMENT_URLS:
        return ("at most %d URL" % MAX_COMMENT_URLS, "the text has %d URLs" % n)
    if all_capitals(text):
        return ("not all capitals", "every letter of the text is a capital")
    return None
