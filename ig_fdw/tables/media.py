"""Media of the account: posts (and publishing), every IG Media field,
stories, tags, carousel children.

Writes: INSERT INTO media publishes (docs/writes.md); UPDATE
is_comment_enabled and DELETE go through ig_media.  The handlers are in
ig_fdw.writes (named here, imported on the first write).
"""

from ig_fdw.catalog.model import Column as C, KeyQual as Q, Source, Table, Writes, IN
from ig_fdw.tables.common import (ACCOUNT, ACCOUNT_Q, BASIC_SCOPES, COMMENT_SCOPES, MEDIA_KEYS, OWNER_ACCOUNT,
                                  media_columns, count_hashtags, count_mentions)

# Publishing (INSERT INTO media): parameters of the container, NULL on SELECT.
PUBLISH_COLUMNS = (
    C("image_url", "text", "context", doc="INSERT only: public URL of the JPEG to publish"),
    C("video_url", "text", "context", doc="INSERT only: public URL of the video (reels, stories)"),
    C("cover_url", "text", "context", doc="INSERT only: cover image URL of a reel"),
    C("children", "text[]", "context", doc="INSERT only: carousel item URLs (2 to 10)"),
    C("share_to_feed", "boolean", "context", doc="INSERT only: reels also shown in the feed"),
)

MEDIA = Table(
    "media", "Posts of the account (feed, carousels, reels), newest first.  INSERT publishes "
    "(docs/writes.md).",
    Source("edge", edge="media", native_order=("timestamp", True)),
    media_columns((OWNER_ACCOUNT,) + PUBLISH_COLUMNS), MEDIA_KEYS, reference="Media", rows_estimate=2000,
    path_keys=((("id",), 1),), scopes=BASIC_SCOPES,
    writes=Writes(insert=("image_url", "video_url", "cover_url", "children", "share_to_feed", "caption",
                          "media_type", "business_account_id"),
                  other="media publishes (INSERT); UPDATE is_comment_enabled and DELETE go through ig_media."),
    writer="ig_fdw.writes.publishing:MEDIA")

IG_MEDIA = Table(
    "ig_media", "IG Media objects with every field (CData's IGMedia).",
    Source("edge", edge="media", native_order=("timestamp", True)),
    media_columns((C("ig_id", "text"), C("owner_id", "text", path="owner.id"), OWNER_ACCOUNT,
                   C("children", "jsonb", doc="carousel children ids"))),
    MEDIA_KEYS, reference="IGMedia", rows_estimate=2000, path_keys=((("id",), 1),), scopes=BASIC_SCOPES,
    writes=Writes(update=("is_comment_enabled",), delete=True,
                  other="To publish, INSERT INTO media (image_url | video_url | children, caption, media_type)."),
    writer="ig_fdw.writes.publishing:IG_MEDIA")

STORIES = Table(
    "stories", "Live stories of the account (they vanish 24 h after posting).",
    Source("edge", edge="stories"),
    media_columns((OWNER_ACCOUNT,)), (Q("id", IN, "id"), ACCOUNT_Q), reference="Stories", rows_estimate=10,
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

MEDIA_CHILDREN = Table(
    "media_children", "Items of carousel albums.",
    Source("edge", edge="children", parent="media_id"),
    (C("media_id", "text", "context", kind="graph_id"), C("id", "text"), C("media_type", "text"), C("media_url", "text"),
     C("shortcode", "text"), C("thumbnail_url", "text"), C("timestamp", "timestamptz"), C("username", "text")),
    (Q("media_id", IN, "parent", required=True),), rows_estimate=10, path_keys=((("media_id",), 5),),
    scopes=BASIC_SCOPES)


# ---------------------------------------------------------------- Instagram's rules for captions
# Captions of published media: at most 2,200 characters, 30 hashtags, 20 @tags (checked before any call).

MAX_CAPTION_CHARS = 2200
MAX_CAPTION_HASHTAGS = 30
MAX_CAPTION_MENTIONS = 20


def caption_violation(text):
    """None when `text` is an acceptable caption of a published post, else (rule, why)."""
    if text is None:
        return None
    text = str(text)
    if len(text) > MAX_CAPTION_CHARS:
        return ("caption at most %d characters" % MAX_CAPTION_CHARS, "the caption has %d characters" % len(text))
    n = count_hashtags(text)
    if n > MAX_CAPTION_HASHTAGS:
        return ("caption at most %d hashtags" % MAX_CAPTION_HASHTAGS, "the caption has %d hashtags" % n)
    n = count_mentions(text)
    if n > MAX_CAPTION_MENTIONS:
        return ("caption at most %d @mentions" % MAX_CAPTION_MENTIONS, "the caption has %d @mentions" % n)
    return None
