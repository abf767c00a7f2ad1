"""Every table ig_fdw offers, one module per table family.

Each module holds its tables' columns and key columns (which WHERE clauses
go to the Graph API), their write declaration and handler name, their
metric rules, page caps and fixed API parameters: everything the FDW core
(fdw, planner, executor, insights, rows) needs, reached only through the
fields of ig_fdw.catalog.model.Table.  Like the catalog, these modules
import nothing from ig_fdw.graph or ig_fdw.auth.

    profile.py          the account's profile, pages, permissions, publishing quota
    media.py            media (INSERT publishes), ig_media (UPDATE, DELETE), stories, tags, carousel children
    comments.py         comments and replies (INSERT, UPDATE hidden, DELETE)
    media_insights.py   media insights tables and which metrics each media has (by surface and version)
    account_insights.py account insights, breakdowns, audience, online followers, the long insights table
    hashtags.py         hashtag search, top / recent media, recently searched hashtags
    discovery.py        business discovery and @mentions (field expansion on the account node)
    procedures.py       the OAuth stored procedures (signatures; ig_fdw.procedures runs them)
"""

from ig_fdw.tables import (account_insights, comments, discovery, hashtags, media, media_insights, procedures,
                           profile)

ALL = [
    profile.PROFILE, profile.PAGES, profile.INSTAGRAM_PAGES, profile.PERMISSIONS,
    media.MEDIA, media.IG_MEDIA, media.STORIES, media.TAGS, comments.COMMENTS, comments.REPLIES,
    media.MEDIA_CHILDREN,
    media_insights.MEDIA_INSIGHTS, media_insights.MEDIA_INSIGHTS_POST, media_insights.MEDIA_INSIGHTS_ALBUM,
    media_insights.MEDIA_INSIGHTS_REELS, media_insights.MEDIA_INSIGHTS_STORY,
    account_insights.ACCOUNT_INSIGHTS, account_insights.ACCOUNT_WITHOUT_BREAKDOWN,
    account_insights.ACCOUNT_CONTACT_BUTTON, account_insights.ACCOUNT_FOLLOW_TYPE,
    account_insights.ACCOUNT_MEDIA_PRODUCT_TYPE, account_insights.ACCOUNT_TS_FOLLOW_TYPE,
    account_insights.ACCOUNT_TS_MEDIA_PRODUCT_TYPE, account_insights.ACCOUNT_TS_WITHOUT_BREAKDOWN,
    account_insights.AUDIENCE, account_insights.ONLINE_FOLLOWERS,
    hashtags.HASHTAGS, hashtags.HASHTAG_TOP, hashtags.HASHTAG_RECENT, hashtags.RECENT_HASHTAGS,
    discovery.BUSINESS_DISCOVERY, discovery.BUSINESS_DISCOVERY_MEDIA, discovery.MENTIONED_MEDIA,
    discovery.MENTIONED_COMMENTS,
    profile.PUBLISHING_LIMIT, account_insights.INSIGHTS_LONG,
] + list(procedures.PROCEDURE_TABLES)
