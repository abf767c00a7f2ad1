"""Media insights: one row per media, one column per metric.

Which metrics a media has depends on its surface (feed, reels, story: from
its media_product_type) and on the configured Graph API version (Meta
removes metrics: impressions and plays are gone from v22.0).  `MEDIA_METRICS`
is that rule; every table here carries it as ``table.metrics``.  A wide
table asks, for each media, only the metrics valid for its surface and the
version; the others are NULL (with one NOTICE naming the removed ones).

How rows are fetched (ig_fdw/insights.py, media part): with media_id
given, one ``?ids=`` call per 50 media brings each media's type and, when
the metrics do not depend on the type, its insights by field expansion;
otherwise the media types come first and the insights follow in batch
calls of 50 (``/{media}/insights?metric=...``).  Without media_id the
planner's nested plan walks the Source's ``fan_out`` table (media, or
stories for media_insights_story) and keeps the media in the table's scope
(``media_types`` / ``product_types``).
"""

import re

from ig_fdw.catalog.model import Column as C, InsightsSpec, KeyQual as Q, Source, Table, IN
from ig_fdw.tables.common import ACCOUNT, ACCOUNT_Q, INSIGHT_SCOPES

FEED, REELS, STORY = "FEED", "REELS", "STORY"

#: metric -> (surfaces where valid, first API version where it is gone or None);
#: every metric a table below has as a column, and only those.
MEDIA_METRICS = {
    "views": ({FEED, REELS, STORY}, None),
    "reach": ({FEED, REELS, STORY}, None),
    "total_interactions": ({FEED, REELS, STORY}, None),
    "saved": ({FEED, REELS}, None),
    "likes": ({FEED, REELS}, None),
    "comments": ({FEED, REELS}, None),
    "shares": ({FEED, REELS, STORY}, None),
    "follows": ({FEED, STORY}, None),
    "profile_visits": ({FEED, STORY}, None),
    "replies": ({STORY}, None),
    "navigation": ({STORY}, None),
    "ig_reels_avg_watch_time": ({REELS}, None),
    "ig_reels_video_view_total_time": ({REELS}, None),
    "impressions": ({FEED, STORY}, 22),
    "plays": ({REELS}, 22),
}


def version_number(version):
    match = re.match(r"v?(\d+)", str(version or ""))
    return int(match.group(1)) if match else 99


class MediaMetricRules:
    """Which metrics the Graph API gives a media, by surface and version."""

    def __init__(self, metrics):
        self.metrics = metrics

    @staticmethod
    def surface_of(media_type, product_type):
        if product_type == "STORY":
            return STORY
        if product_type == "REELS":
            return REELS
        return FEED

    def valid(self, requested, surface, version):
        """The requested metrics the API accepts for this surface and version."""
        v = version_number(version)
        out = []
        for name in requested:
            spec = self.metrics.get(name)
            if spec and surface in spec[0] and (spec[1] is None or v < spec[1]):
                out.append(name)
        return out

    def removed(self, requested, version):
        """(metric, version it was removed in) for requested metrics the
        configured API version no longer has."""
        v = version_number(version)
        out = []
        for name in requested:
            spec = self.metrics.get(name)
            if spec and spec[1] is not None and v >= spec[1]:
                out.append((name, spec[1]))
        return out

    def surfaces(self, spec):
        """The surfaces a table covers (InsightsSpec scope; the media edge: feed and reels)."""
        if spec.product_types:
            return {self.surface_of(None, p) for p in spec.product_types}
        return {FEED, REELS}

    def same_on_every_surface(self, spec, wanted, version):
        """True when the metrics to ask do not depend on each media's type."""
        valid = [set(self.valid(wanted, s, version)) for s in self.surfaces(spec)]
        return all(v == valid[0] for v in valid)

    #: metrics the API refuses for some media of a surface where it has them (created after July 2024):
    #: never asked by field expansion, where one media's error fails the whole page
    PER_MEDIA_ERRORS = ("impressions",)

    def expansion_metrics(self, wanted, version, fan_out):
        """The metrics to expand as ``insights.metric(...)`` on the pages of the
        fan_out edge, or None when expansion would fail pages for errors known
        up front: a metric set that differs between the surfaces that edge
        returns (feed and reels on media; stories give code 10 for few
        viewers, so never there) or a metric refused for some media."""
        if fan_out != "media":
            return None
        sets = [self.valid(wanted, s, version) for s in (FEED, REELS)]
        if not sets[0] or any(set(x) != set(sets[0]) for x in sets):
            return None
        if any(m in self.PER_MEDIA_ERRORS for m in sets[0]):
            return None
        return sets[0]

    @staticmethod
    def in_scope(spec, obj):
        """Whether a media (with media_type, media_product_type) belongs to the table."""
        if spec.media_types and obj.get("media_type") not in spec.media_types:
            return False
        if spec.product_types and obj.get("media_product_type") not in spec.product_types:
            return False
        return True


RULES = MediaMetricRules(MEDIA_METRICS)

MEDIA_INSIGHT_BASE = (
    C("media_id", "text", "context", kind="graph_id"), ACCOUNT, C("media_type", "text", "context"),
    C("media_product_type", "text", "context"),
)
MEDIA_INSIGHT_KEYS = (Q("media_id", IN, "parent"), ACCOUNT_Q)
FEED_METRICS = ("views", "reach", "total_interactions", "saved", "likes", "comments", "shares", "follows",
                "profile_visits")


def metric(name, doc="", metric_types=()):
    return C(name, "bigint", "metric", doc=doc, metric_types=metric_types)


def media_insights_table(name, doc, reference, metrics, media_types=(), product_types=(), fan_out="media"):
    return Table(
        name, doc,
        Source("insights", parent="media_id", fan_out=fan_out,
               insights=InsightsSpec("media", media_types=media_types, product_types=product_types)),
        MEDIA_INSIGHT_BASE + tuple(metric(m) for m in metrics), MEDIA_INSIGHT_KEYS, reference=reference,
        rows_estimate=20000, path_keys=((("media_id",), 1),), scopes=INSIGHT_SCOPES, metrics=RULES)


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
