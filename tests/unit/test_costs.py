"""The cost model in calls and rounds (ig_fdw.costs) follows how the executor fetches."""

from ig_fdw import catalog, costs, planner


class Q:
    def __init__(self, field, op, value, is_list=False):
        self.field_name, self.operator, self.value, self.is_list_operator = field, op, value, is_list
        self.list_any_or_all = True if is_list else None


def ids(n):
    return ["179%014d" % i for i in range(n)]


def test_an_id_list_is_read_in_calls_of_fifty_side_by_side():
    plan = planner.plan_scan(catalog.get("media"), [Q("id", ("=", True), ids(120), True)], ["id"])
    assert costs.estimate(plan, concurrency=4) == (3, 1)
    assert costs.estimate(plan, concurrency=1) == (3, 3)


def test_children_of_given_parents_are_batches():
    plan = planner.plan_scan(catalog.get("comments"), [Q("media_id", ("=", True), ids(120), True)], ["id"])
    assert costs.estimate(plan, concurrency=4) == (3, 1)


def test_a_walk_over_every_media_costs_its_pages_and_its_batches():
    media = catalog.get("media")
    plan = planner.plan_scan(catalog.get("comments"), [], ["id"])
    pages = -(-media.rows_estimate // 100)
    batches = -(-media.rows_estimate // 50)
    calls, rounds = costs.estimate(plan, pagesize=100, concurrency=1, expansion=False)
    assert calls == pages + batches and rounds == pages + batches
    media_calls, media_rounds = costs.estimate(planner.plan_scan(media, [], ["id"]), pagesize=100, concurrency=4)
    calls, rounds = costs.estimate(plan, pagesize=100, concurrency=4, expansion=False)
    assert calls == media_calls + batches and rounds == media_rounds + -(-batches // 4)
    assert plan.expand      # FieldExpansion on: the comments come on the media pages
    assert costs.estimate(plan, pagesize=100, concurrency=1) == (pages + 1, pages + 1)
    # MaxConcurrency 4: the media pages in since/until windows side by side (ig_fdw.windows), 2 rounds
    media_calls, media_rounds = costs.estimate(planner.plan_scan(media, [], ["id"]), pagesize=100, concurrency=4)
    assert media_rounds == 2 and pages < media_calls <= pages + 4
    assert costs.estimate(plan, pagesize=100, concurrency=4) == (media_calls + 1, 3)
    keyed = costs.estimate(planner.plan_scan(catalog.get("comments"), [Q("media_id", "=", "17900000000000001")],
                                             ["id"]))
    assert keyed == (1, 1) and calls > 20 * keyed[0]


def test_media_pages_follow_pagesize_and_limit():
    plan = planner.plan_scan(catalog.get("media"), [], ["id"])
    rows = catalog.get("media").rows_estimate
    assert costs.estimate(plan, pagesize=100, concurrency=1) == (-(-rows // 100), -(-rows // 100))
    assert costs.estimate(plan, pagesize=25, concurrency=1)[0] == -(-rows // 25)
    limited = planner.plan_scan(catalog.get("media"), [], ["id"], limit=10)
    assert costs.estimate(limited) == (1, 1)


def test_media_read_in_full_are_windows_side_by_side():
    """Round 1 (the first page and media_count), then windows of about the same pages side by side: at
    most a call more per window than paging in turn, in 2 rounds (ig_fdw.windows)."""
    plan = planner.plan_scan(catalog.get("media"), [], ["id"])
    pages = -(-catalog.get("media").rows_estimate // 100)
    calls, rounds = costs.estimate(plan, pagesize=100, concurrency=4)
    assert rounds == 2 and pages <= calls <= pages + 4
    two = planner.plan_scan(catalog.get("media"), [Q("business_account_id", ("=", True), ["1", "2"], True)], ["id"])
    calls2, rounds2 = costs.estimate(two, pagesize=100, concurrency=4)
    assert rounds2 == 2 and 2 * pages <= calls2 <= 2 * pages + 4
    stories = planner.plan_scan(catalog.get("stories"), [], ["id"])     # no time filter: paged in turn
    assert costs.estimate(stories, concurrency=4) == costs.estimate(stories, concurrency=1)


def test_ninety_days_of_daily_account_insights_are_three_windows_in_one_round():
    table = catalog.get("account_insights")
    plan = planner.plan_scan(table, [Q("since", ">=", "2024-01-01"), Q("until", "<", "2024-03-31")],
                             [c.name for c in table.columns[:3]])
    assert plan.params["since"] == "1704067200" and plan.params["until"] == "1711843200"    # 90 days
    assert costs.estimate(plan, concurrency=4) == (3, 1)
    assert costs.estimate(plan, concurrency=2) == (3, 2)


def test_media_insights_of_known_ids_take_two_steps_when_the_metrics_depend_on_the_type():
    table = catalog.get("media_insights")
    given = [Q("media_id", ("=", True), ids(120), True)]
    same = planner.plan_scan(table, given, ["media_id", "reach", "likes"])
    every = planner.plan_scan(table, given, [c.name for c in table.columns])
    none = planner.plan_scan(table, given, ["media_id", "media_type"])
    assert costs.estimate(same, concurrency=4) == (3, 1)        # types and insights in one ?ids= call per 50
    assert costs.estimate(every, concurrency=4) == (6, 2)       # types, then insights batches
    assert costs.estimate(none, concurrency=4) == (3, 1)        # types only


def test_a_scan_missing_its_required_qual_costs_more_than_any_plan_that_runs():
    # (fdw.get_call_estimate returns it on planner.MissingQual: tests/fdw/test_costs.py, through PostgreSQL)
    walk = costs.estimate(planner.plan_scan(catalog.get("replies"), [], ["id"]), concurrency=1, expansion=False)
    assert costs.UNRUNNABLE[1] > 1000 * walk[1] and costs.UNRUNNABLE[0] <= 1e100   # the runtime's maximum
