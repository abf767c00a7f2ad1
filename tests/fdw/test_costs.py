"""EXPLAIN shows what a scan will cost in Graph API calls and rounds (ig_fdw.costs through the runtime's
get_call_estimate), and those figures are what the sandbox then sees."""

import re

import pytest

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


def _carousels(ig, table, n=12):
    """A local table of `n` carousel ids, without a key and never ANALYZEd (PostgreSQL guesses 1,360 rows)."""
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE media_type = 'CAROUSEL_ALBUM' "
                                    "ORDER BY timestamp DESC LIMIT %d" % n).fetchall()]
    assert len(ids) == n
    ig.execute("CREATE TABLE %s (media_id text)" % table)
    ig.execute("INSERT INTO %s SELECT unnest(%%s::text[])" % table, (ids,))
    return ids


CHILDREN_OF_ALBUMS = "SELECT a.media_id, c.id, c.media_type FROM albums a JOIN ig.media_children c " \
                     "ON c.media_id = a.media_id"


def test_a_scan_missing_its_required_qual_is_priced_out_so_the_join_hands_it_over(ig):
    # media_children needs media_id: a plan reading it alone (a hash join's inner side) would fail
    ids = _carousels(ig, "albums")
    expected = sorted(ig.execute("SELECT media_id, id, media_type FROM ig.media_children WHERE media_id IN (%s)"
                                 % ", ".join("'%s'" % i for i in ids)).fetchall())
    assert len(expected) >= 2 * len(ids)                       # every album has children
    for settings in ([], ["SET multicorn.enable_key_join = off"],
                     ["SET multicorn.enable_key_join = off", "SET enable_nestloop = off"]):
        for s in settings:
            ig.execute(s)
        text = "\n".join(r[0] for r in ig.execute("EXPLAIN " + CHILDREN_OF_ALBUMS).fetchall())
        assert "missing a required qual" not in text and "Hash Join" not in text, (settings, text)
        assert ("MulticornKeyJoin" in text) == (not settings), text       # else a parameterized nested loop
        ig.sandbox.reset_stats()
        assert sorted(ig.execute(CHILDREN_OF_ALBUMS).fetchall()) == expected, settings
        assert calls(ig.sandbox) == (1 if not settings else len(ids))
        ig.execute("RESET ALL")
    lateral = ("SELECT a.media_id, c.id, c.media_type FROM albums a CROSS JOIN LATERAL "
               "(SELECT id, media_type FROM ig.media_children WHERE media_id = a.media_id) c")
    assert sorted(ig.execute(lateral).fetchall()) == expected
    left = CHILDREN_OF_ALBUMS.replace(" JOIN ", " LEFT JOIN ")          # no key join: a parameterized nested loop
    assert sorted(ig.execute(left).fetchall()) == expected


def test_the_table_alone_still_says_which_qual_is_missing(ig):
    import psycopg
    text = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT * FROM ig.media_children").fetchall())
    assert "table 'media_children' is missing a required qual: column 'media_id' operator '=' or IN" in text
    ig.sandbox.reset_stats()
    try:
        ig.execute("SELECT * FROM ig.media_children")
    except psycopg.Error as err:
        assert err.sqlstate == "HV00L"
        assert "table 'media_children' is missing a required qual: column 'media_id' operator '=' or IN" in str(err)
        assert "WHERE media_id = " in err.diag.message_hint
    else:
        raise AssertionError("media_children without media_id ran")
    assert calls(ig.sandbox) == 0


@pytest.mark.parametrize("table, column", [("media_insights", "i.reach"), ("comments", "i.text")])
def test_a_small_local_table_without_key_or_statistics_does_not_flip_to_a_walk_over_every_media(ig, table, column):
    # PostgreSQL guesses 1,360 rows for a table never ANALYZEd; reading every media's rows would cost the
    # account's media pages plus their batches, which the key join (one call for 12 ids) must beat
    ids = _carousels(ig, "mine")
    sql = "SELECT m.media_id, %s FROM mine m JOIN ig.%s i ON i.media_id = m.media_id" % (column, table)
    text = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql).fetchall())
    assert "MulticornKeyJoin" in text and "fan-out" not in text, text
    inner = [(c, r) for c, r in planned(ig, sql)][-1]           # the inner scan, per execution
    walk = planned(ig, "SELECT %s FROM ig.%s i" % (column, table))[0]
    # fewer calls than the walk even sized for a full batch of the 1,360 guessed keys (1,000 at 50 a call,
    # 5 rounds at MaxConcurrency 4); the walk's rounds are few since it goes in windows (ig_fdw.windows)
    assert inner[0] < walk[0], (inner, walk)
    ig.sandbox.reset_stats()
    rows = ig.execute(sql).fetchall()
    assert {r[0] for r in rows} <= set(ids) and rows
    assert calls(ig.sandbox) <= 2 and not any(c["path"].endswith("/media") for c in ig.sandbox.stats()["calls"])


def test_every_metric_of_known_media_is_planned_as_types_then_insights(ig):
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' "
                                    "ORDER BY timestamp DESC LIMIT 120").fetchall()]
    in120 = ", ".join("'%s'" % i for i in ids)
    both = "SELECT reach, likes FROM ig.media_insights WHERE media_id IN (%s)" % in120
    every = "SELECT * FROM ig.media_insights WHERE media_id IN (%s)" % in120
    assert planned(ig, both) == [(3, 1)]         # the same metrics for every type: types and insights together
    assert planned(ig, every) == [(6, 2)]        # types first, then the batches of insights
    ig.sandbox.set_faults("latency=100ms")
    try:
        for sql, (n, rounds) in ((both, (3, 1)), (every, (6, 2))):
            ig.sandbox.reset_stats()
            assert len(ig.execute(sql).fetchall()) == 120
            st = ig.sandbox.stats()
            assert (st["total"], st["rounds"]) == (n, rounds), sql[:40]
    finally:
        ig.sandbox.set_faults(None)
