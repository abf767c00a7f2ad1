"""Which joins ig_fdw answers as one stream (ig_fdw.joins): the rule comes
from the tables' declarations (the child's Source fan_out and parent key),
and everything else is declined so that PostgreSQL joins the two scans."""

import datetime

import pytest

from ig_fdw import catalog, costs, joins, planner

CLAUSE = [("id", "=", "media_id")]


class Qual:
    def __init__(self, field_name, operator, value):
        self.field_name, self.operator, self.value = field_name, operator, value

    @property
    def is_list_operator(self):
        return isinstance(self.operator, tuple)


def plan(parent, child, quals=(), child_quals=(), clauses=CLAUSE, columns=("id",), child_columns=("reach",)):
    return joins.plan_join(catalog.get(parent), catalog.get(child), clauses, list(quals), list(child_quals),
                           set(columns), set(child_columns))


SINCE = Qual("timestamp", ">", datetime.datetime(2026, 8, 3, tzinfo=datetime.timezone.utc))


def test_media_join_insights_is_the_media_plan_with_its_filters_and_the_insights_expanded():
    jp = plan("media", "media_insights", [SINCE], columns=("id", "caption"))
    assert jp.parent_key == "id" and jp.child_key == "media_id"
    assert jp.child_plan.parents_plan is jp.parent_plan and jp.child_plan.expand
    assert jp.parent_plan.params == {"since": str(int(SINCE.value.timestamp()))}
    # the parent's columns, plus what the insights need of each media
    assert {"id", "caption", "business_account_id", "media_type", "media_product_type"} <= set(jp.parent_plan.columns)
    assert "media_id" in jp.child_columns


def test_media_join_comments_is_declared_by_the_comments_table():
    jp = plan("media", "comments", child_columns=("text",))
    assert (jp.child_key, jp.child_plan.mode, jp.child_plan.expand) == ("media_id", "edge", True)
    # stories' insights are never expanded (code 10 for few viewers fails a page): batch calls for the stories read
    jp = plan("stories", "media_insights_story")
    assert (jp.child_key, jp.child_plan.expand, jp.child_plan.parents_plan.table.name) == ("media_id", False, "stories")


@pytest.mark.parametrize("parent,child,clauses", [
    ("media", "media_insights", [("id", "<", "media_id")]),          # not an equality
    ("media", "media_insights", [("caption", "=", "media_id")]),      # not the parent's id
    ("media", "comments", [("id", "=", "id")]),                       # not the child's key
    ("media_insights", "media", [("media_id", "=", "id")]),           # the child as self: the runtime asks the other way
    ("media", "media_children", CLAUSE),                              # no fan-out over media declared
    ("media", "media_insights_story", CLAUSE),                        # its insights fan out over stories
    ("comments", "replies", [("id", "=", "comment_id")]),             # comments are not read page by page
    ("tags", "comments", CLAUSE),
])
def test_joins_not_declared_by_the_tables_are_declined(parent, child, clauses):
    with pytest.raises(joins.Declined):
        plan(parent, child, clauses=clauses)


def test_a_parent_read_by_id_or_a_child_given_its_own_key_is_left_to_postgresql():
    with pytest.raises(joins.Declined):
        plan("media", "media_insights", [Qual("id", "=", "17900000000000001")])
    with pytest.raises(joins.Declined):
        plan("media", "comments", child_quals=[Qual("media_id", "=", "17900000000000001")])
    with pytest.raises(joins.Declined):
        plan("media", "comments", child_quals=[Qual("id", "=", "17900000000000001")])


@pytest.mark.parametrize("value", ["x){id},name{", "1&ids=2", "1,2", "me/accounts?x=#"])
def test_a_value_that_cannot_go_into_a_request_is_the_planners_error(value):
    with pytest.raises(planner.BadQualValue):
        plan("media", "media_insights", [Qual("business_account_id", "=", value)])
    with pytest.raises(planner.BadQualValue):
        plan("media", "comments", child_quals=[Qual("business_account_id", "=", value)])


def test_account_filters_of_both_tables_are_intersected():
    a, b = "17841400000000001", "17841400000000002"
    jp = plan("media", "media_insights", [Qual("business_account_id", ("=", True), [a, b])],
              [Qual("business_account_id", "=", b)])
    assert jp.parent_plan.accounts == [b] and not jp.parent_plan.empty
    jp = plan("media", "media_insights", [Qual("business_account_id", "=", a)], [Qual("business_account_id", "=", b)])
    assert jp.parent_plan.empty and jp.child_plan.empty


def test_same_connection_ignores_only_the_table_option():
    opts = {"graph_url": "http://x", "BusinessAccountId": "1"}
    assert joins.same_connection(dict(opts, table="media"), dict(opts, table="comments"))
    assert not joins.same_connection(dict(opts, table="media"), dict(opts, table="comments", Pagesize="5"))
    assert not joins.same_connection(opts, dict(opts, BusinessAccountId="2"))


def test_the_estimate_is_the_parents_pages_not_a_call_per_media():
    jp = plan("media", "media_insights", [SINCE])
    media_calls, media_rounds = costs.estimate(jp.parent_plan)
    est = joins.estimate(jp)
    assert (est["calls"], est["rounds"]) == (media_calls + 1, media_rounds + 1)
    assert est["rows"] == catalog.get("media").rows_estimate
    assert joins.estimate(plan("media", "comments"))["rows"] == catalog.get("media").rows_estimate * 20


def test_a_generic_plan_with_the_time_bound_unknown_is_still_the_join():
    from ig_fdw.values import UNBOUND
    jp = plan("media", "media_insights", [Qual("timestamp", ">", UNBOUND)])
    assert jp.child_plan.expand and "since" not in jp.parent_plan.params


def test_accounts_unknown_while_planning_are_not_intersected_yet():
    from ig_fdw.values import UNBOUND
    jp = plan("media", "media_insights", [Qual("business_account_id", "=", UNBOUND)],
              [Qual("business_account_id", "=", "17841400000000002")])
    assert jp.parent_plan.accounts == [UNBOUND] and not jp.parent_plan.empty
