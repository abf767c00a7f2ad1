"""Which fan-outs read their rows by field expansion on the parents' pages
(issue 15 item 3): the planner's choice and the media metric rules."""

from ig_fdw import catalog, planner
from ig_fdw.tables.media_insights import RULES


def plan(name):
    return planner.plan_scan(catalog.get(name), [], ["id"] if name in ("comments", "replies") else ["media_id"])


def test_fan_outs_over_an_account_edge_are_expandable():
    assert plan("comments").expand
    assert plan("replies").expand                   # nested in the comments on the media pages
    assert plan("media_insights").expand
    assert plan("media_insights_reels").expand


def test_story_fan_outs_are_not():
    assert not plan("media_insights_story").expand  # code 10 for stories with few viewers fails whole pages


def test_metrics_are_expanded_only_when_feed_and_reels_share_them():
    assert RULES.expansion_metrics(["reach", "likes"], "v22.0", "media") == ["reach", "likes"]
    assert RULES.expansion_metrics(["reach", "follows"], "v22.0", "media") is None      # not on reels
    assert RULES.expansion_metrics(["ig_reels_avg_watch_time"], "v22.0", "media") is None
    assert RULES.expansion_metrics(["reach"], "v22.0", "stories") is None


def test_metrics_some_media_refuse_are_never_expanded():
    # impressions (before v22) fails for media created after July 2024: one such media would fail the page
    assert RULES.expansion_metrics(["impressions"], "v21.0", "media") is None
    # removed in v22: not asked at all, the rest can be expanded
    assert RULES.expansion_metrics(["reach", "impressions"], "v22.0", "media") == ["reach"]
