"""The planner is the only planner: fan-out over parents is a nested plan."""

from ig_fdw import catalog, planner


def test_replies_without_a_key_walk_comments_of_media_as_nested_plans():
    plan = planner.plan_scan(catalog.get("replies"), [], ["id", "text"])
    comments = plan.parents_plan
    assert comments.table.name == "comments" and comments.columns == ["id", "business_account_id"]
    assert comments.parents_plan.table.name == "media" and comments.parents_plan.parents_plan is None


def test_media_insights_without_media_id_plan_the_media_with_their_types():
    plan = planner.plan_scan(catalog.get("media_insights_story"), [], ["media_id", "reach"])
    assert plan.parents_plan.table.name == "stories"
    assert {"media_type", "media_product_type", "business_account_id"} <= set(plan.parents_plan.columns)
    assert plan.notices == []


def test_a_parent_key_needs_no_nested_plan():
    class Qual:
        field_name, operator, value, is_list_operator = "media_id", "=", "17900000000000001", False
    plan = planner.plan_scan(catalog.get("comments"), [Qual()], ["id"])
    assert plan.parents == ["17900000000000001"] and plan.parents_plan is None
