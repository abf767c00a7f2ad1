"""The account itself and the token's user: profile, pages, permissions,
publishing quota."""

from ig_fdw.catalog.model import Column as C, Source, Table
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q, BASIC_SCOPES

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

PUBLISHING_LIMIT = Table(
    "content_publishing_limit", "Publishing quota usage of the account over the last 24 hours.",
    Source("edge", edge="content_publishing_limit"),
    (ACCOUNT, C("quota_usage", "integer"), C("quota_total", "integer", path="config.quota_total"),
     C("quota_duration", "integer", path="config.quota_duration"), C("config", "jsonb")),
    (ACCOUNT_Q,), rows_estimate=1, scopes=("instagram_content_publish",))
