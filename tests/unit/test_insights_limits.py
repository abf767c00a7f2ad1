"""ig_fdw.insights' handling of the Graph API's insights limits, without the
network: the decisions that do not need an answer from the API."""

import pytest

from ig_fdw import catalog, insights, planner, scopes
from ig_fdw.graph.errors import InvalidParameter, PermissionDenied

DAY = 86400
NOW = 1793491200            # 2026-11-01T00:00:00Z


class NoCallClient:
    """A client that must not be called."""
    base_url = "http://127.0.0.1:1"

    def get(self, *a, **kw):
        raise AssertionError("no call expected")


class Ctx:
    client = NoCallClient()
    version = "v22.0"

    def __init__(self):
        self.noticed = []

    def notice_once(self, key, message):
        self.noticed.append(message)

    def accounts(self, requested=None):
        return ["1784"]


def plan_for(since):
    table = catalog.get("account_insights")
    plan = planner.plan_scan(table, [], ["reach"])
    plan.params["since"] = str(since)
    plan.params["until"] = str(since + 5 * DAY)
    return plan


def test_since_beyond_two_years_is_refused_before_any_call_when_the_api_clock_is_known(monkeypatch):
    monkeypatch.setattr(insights, "api_now", lambda client: NOW)
    with pytest.raises(InvalidParameter) as info:
        list(insights.account_insight_rows(plan_for(NOW - 800 * DAY), Ctx()))
    err = info.value
    assert err.sqlstate == "22023" and "2 years" in err.message and "2024-08-23" in err.message
    assert "refused before calling" in err.message and "2 years" in err.hint


def test_without_the_api_clock_the_request_goes_to_the_api(monkeypatch):
    monkeypatch.setattr(insights, "api_now", lambda client: None)
    with pytest.raises(AssertionError, match="no call expected"):
        list(insights.account_insight_rows(plan_for(NOW - 800 * DAY), Ctx()))


def test_the_apis_limit_answers_are_recognised():
    fc = InvalidParameter("(#100) (follower_count) metric only supports querying data for the last 30 days "
                          "excluding the current day", code=100)
    old = InvalidParameter("(#100) since param is not valid. Metrics data is available for the last 2 years",
                           code=100)
    assert insights.is_follower_count_window(fc) and not insights.is_retention_error(fc)
    assert insights.is_retention_error(old) and not insights.is_follower_count_window(old)


def test_permission_errors_name_the_tables_own_scope():
    denied = PermissionDenied("(#10) Application does not have permission for this action", code=10)
    for name, scope in [("comments", "instagram_manage_comments"), ("replies", "instagram_manage_comments"),
                        ("tags", "instagram_manage_comments"), ("media_insights", "instagram_manage_insights"),
                        ("account_insights", "instagram_manage_insights"),
                        ("business_discovery", "instagram_manage_insights")]:
        err = scopes.name_table_scope(denied, catalog.get(name))
        assert err.sqlstate == "42501" and err.code == 10
        assert err.message.startswith("%s needs the permission %s" % (name, scope))
        assert err.hint.startswith("Grant %s " % scope)
        other = {"instagram_manage_comments", "instagram_manage_insights"} - {scope}
        assert not any(o in err.message + err.hint for o in other)
    ig = scopes.name_table_scope(denied, catalog.get("comments"), login="instagram")
    assert "instagram_business_manage_comments" in ig.hint and "pages_" not in ig.hint
    # "Not enough viewers" is code 10 too, but no permission problem
    viewers = PermissionDenied("(#10) Not enough viewers for the media to show insights", code=10)
    assert scopes.name_table_scope(viewers, catalog.get("media_insights_story")) is viewers
    assert not insights._unavailable(denied) and insights._unavailable(viewers)


def test_removed_metrics_give_one_notice_naming_the_version():
    ctx = Ctx()
    plan = planner.plan_scan(catalog.get("media_insights_reels"), [], ["plays", "reach"])
    insights.notice_removed(plan, ctx, ["plays", "reach"])
    assert len(ctx.noticed) == 1
    assert "media_insights_reels.plays is NULL: the Graph API removed it in v22.0" in ctx.noticed[0]


def test_every_media_metric_rule_is_a_column_of_some_table():
    """MEDIA_METRICS holds the metrics the media insights tables ask for, and only those."""
    from ig_fdw.tables.media_insights import MEDIA_METRICS
    asked = {c.source_path for t in catalog.TABLES.values() if t.metrics is not None
             for c in t.columns if c.origin == "metric"}
    assert asked == set(MEDIA_METRICS)


def test_writes_name_the_permission_the_write_needs():
    denied = PermissionDenied("(#10) Application does not have permission for this action", code=10)
    publish = scopes.name_table_scope(denied, catalog.get("media"), operation="insert")
    assert publish.message.startswith("media needs the permission instagram_content_publish")
    toggle = scopes.name_table_scope(denied, catalog.get("ig_media"), operation="update")
    assert toggle.message.startswith("ig_media needs the permission instagram_manage_comments")
    reply = scopes.name_table_scope(denied, catalog.get("replies"), operation="insert")
    assert reply.message.startswith("replies needs the permission instagram_manage_comments")


def test_follower_count_is_left_out_up_front_only_where_the_api_surely_refuses_it(monkeypatch):
    plan = plan_for(NOW - 40 * DAY)
    both = ["reach", "follower_count"]
    monkeypatch.setattr(insights, "api_now", lambda client: NOW)
    for days, kept in ((40, False), (33, False), (31, True), (10, True)):
        ctx = Ctx()
        got = insights._follower_count_where_given(plan, ctx, {"since": str(NOW - days * DAY)}, both)
        assert got == (both if kept else ["reach"]), days
        assert (ctx.noticed == []) == kept and all("follower_count is NULL" in n for n in ctx.noticed)
    # alone it is asked (the API's refusal gives the clear error); without since or a known clock, the API decides
    old = {"since": str(NOW - 40 * DAY)}
    assert insights._follower_count_where_given(plan, Ctx(), old, ["follower_count"]) == ["follower_count"]
    assert insights._follower_count_where_given(plan, Ctx(), {}, both) == both
    monkeypatch.setattr(insights, "api_now", lambda client: None)
    assert insights._follower_count_where_given(plan, Ctx(), old, both) == both
