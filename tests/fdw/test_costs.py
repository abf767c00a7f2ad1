"""EXPLAIN shows what a scan will cost in Graph API calls and rounds (ig_fdw.costs through the runtime's
get_call_estimate), and those figures are what the sandbox then sees."""

import re

from tests.fdw.conftest import calls


def planned(ig, sql):
    text = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql).fetchall())
    found = re.findall(r"Planned Calls: (\d+) in (\d+) round", text)
    assert found, text
    return [(int(c), int(r)) for c, r in found]


def test_an_id_list_is_planned_as_three_calls_in_one_round_and_costs_that(ig):
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media LIMIT 120").fetchall()]
    sql = "SELECT id, caption FROM ig.media WHERE id IN (%s)" % ", ".join("'%s'" % i for i in ids)
    assert planned(ig, sql) == [(3, 1)]
    ig.sandbox.reset_stats()
    assert len(ig.execute(sql).fetchall()) == 120
    assert calls(ig.sandbox) == 3


def test_a_walk_over_every_media_is_planned_as_its_pages_and_batches(ig):
    (keyed,) = planned(ig, "SELECT id FROM ig.comments WHERE media_id = '17900000000000001'")
    (expanded,) = planned(ig, "SELECT id FROM ig.comments")          # comments on the media pages
    ig.execute("ALTER FOREIGN TABLE ig.comments OPTIONS (ADD FieldExpansion 'off')")
    (batched,) = planned(ig, "SELECT id FROM ig.comments")           # media pages, then batches of 50
    assert keyed == (1, 1)
    assert expanded[0] >= 10 and expanded[1] == 3     # media pages in since/until windows side by side (2 rounds)
    assert batched[0] > 2 * expanded[0] and batched[1] > expanded[1]


def test_ninety_days_of_daily_insights_are_planned_as_three_windows(ig):
    (plan,) = planned(ig, "SELECT * FROM ig.account_insights WHERE since >= current_date - 90 "
                          "AND until < current_date")
    assert plan[0] == 3 and plan[1] == 1
