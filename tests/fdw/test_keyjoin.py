"""A local table of media ids JOIN an Instagram table: the runtime's key join asks once per 50 ids
(ig_fdw's ids= batches) instead of once per row; PostgreSQL's ordinary plan stays the fallback."""

import math

from tests.fdw.conftest import calls


def _picks(ig, n, where="WHERE media_product_type = 'FEED'"):
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media %s LIMIT %d" % (where, n)).fetchall()]
    assert len(ids) == n
    ig.execute("CREATE TABLE picks (media_id text, campaign text)")
    ig.execute("INSERT INTO picks SELECT unnest(%s::text[]), 'spring'", (ids,))
    return ids


def _run(ig, sql):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql).fetchall())
    ig.sandbox.reset_stats()
    rows = ig.execute(sql).fetchall()
    return plan, rows, ig.sandbox.stats()


SQL = ("SELECT p.media_id, i.reach, i.likes FROM picks p JOIN ig.media_insights i ON i.media_id = p.media_id "
       "ORDER BY 1")


def test_120_local_ids_join_media_insights_in_three_calls(ig):
    ids = _picks(ig, 120)
    ig.execute("ANALYZE picks")
    ig.sandbox.set_faults("latency=200ms")      # so that requests in flight together overlap
    try:
        plan, rows, st = _run(ig, SQL)
    finally:
        ig.sandbox.set_faults(None)
    assert "MulticornKeyJoin" in plan, plan
    assert [r[0] for r in rows] == sorted(ids) and all(r[1] is not None for r in rows)
    assert st["total"] == math.ceil(120 / 50) == 3
    assert st["rounds"] == 1 and not any(c["path"].endswith("/media") for c in st["calls"])   # 3 in flight
    # the ordinary plan: same rows, one call per outer row
    ig.execute("SET multicorn.enable_key_join = off")
    ig.execute("SET enable_hashjoin = off; SET enable_mergejoin = off")   # not the fan-out over all media
    plan_off, rows_off, st_off = _run(ig, SQL)
    assert "Nested Loop" in plan_off and "MulticornKeyJoin" not in plan_off, plan_off
    assert rows_off == rows
    assert st_off["total"] == 120 and st_off["rounds"] == 120


def test_never_analyzed_local_table_still_asks_by_key(ig):
    # PostgreSQL guesses ~1360 rows for the local table; the ordinary plans then read every media
    ids = _picks(ig, 30)
    plan, rows, st = _run(ig, "SELECT c.id FROM picks p JOIN ig.comments c ON c.media_id = p.media_id")
    assert "MulticornKeyJoin" in plan, plan
    # one batch of the 30 media (plus a next page where a media has more comments), no walk over media
    assert st["total"] <= 2 and not any(c["path"].endswith("/media") for c in st["calls"])
    plan_in, rows_in, st_in = _run(ig, "SELECT c.id FROM ig.comments c WHERE c.media_id IN "
                                       "(SELECT media_id FROM picks)")
    assert "MulticornKeyJoin" in plan_in and st_in["total"] == st["total"]
    assert sorted(rows) == sorted(rows_in) and rows
    ig.execute("SET multicorn.enable_key_join = off")
    plan_off, rows_off, st_off = _run(ig, "SELECT c.id FROM picks p JOIN ig.comments c ON c.media_id = p.media_id")
    assert sorted(rows_off) == sorted(rows) and calls(ig.sandbox) > 10 * st["total"], plan_off  # fan-out
