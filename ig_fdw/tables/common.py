"""Columns, keys and scopes shared by several table families.

Column names are the Graph API's field names; ids are text, counts
integer/bigint, times timestamptz, objects jsonb.
"""

import re

from ig_fdw.catalog.model import Column as C, KeyQual as Q, IN, RANGE

ACCOUNT = C("business_account_id", "text", "context", kind="graph_id", doc="the IG business account the row belongs to")
ACCOUNT_Q = Q("business_account_id", IN, "account")
# Media of the account: the owner comes with the object, so rows read by id know their account too.
OWNER_ACCOUNT = C("business_account_id", "text", "context", path="owner.id", kind="graph_id",
                  doc="the IG business account the row belongs to")

BASIC_SCOPES = ("instagram_basic", "pages_show_list", "pages_read_engagement")
INSIGHT_SCOPES = BASIC_SCOPES + ("instagram_manage_insights",)
COMMENT_SCOPES = BASIC_SCOPES + ("instagram_manage_comments",)


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


# ---------------------------------------------------------------- counting in text (comment and caption rules)

HASHTAG_RE = re.compile(r"(?<![\w&])#\w+", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+", re.UNICODE)
# A URL: a scheme or www. prefix, or a bare host name ending in a common TLD.
URL_RE = re.compile(
    r"(?i)(?:\bhttps?://[^\s]+|\bwww\.[^\s]+|"
    r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|io|co|me|ly|info|biz|app|dev|gl|be|us|uk|de|fr)"
    r"\b(?:/[^\s]*)?)")


def count_hashtags(text):
    return len(HASHTAG_RE.findall(text or ""))


def count_urls(text):
    return len(URL_RE.findall(text or ""))


def count_mentions(text):
    return len(MENTION_RE.findall(text or ""))
