"""LIMIT n OFFSET m returns rows m+1..m+n of the same query without LIMIT.

When can_limit() accepts, the runtime (like multicorn2) removes PostgreSQL's
Limit node and ig_fdw applies both LIMIT and OFFSET itself.
"""

import pytest

QUERIES = [
    "SELECT id FROM ig.media",
    "SELECT id, timestamp FROM ig.media ORDER BY timestamp DESC",
    "SELECT id, media_id FROM ig.comments",
    "SELECT * FROM ig.audience_insights WHERE breakdown = 'city' AND timeframe = 'last_90_days'",
]


def plan_nodes(conn, sql):
    lines = [r[0] for r in conn.execute("EXPLAIN " + sql).fetchall()]
    return [line.strip().lstrip("->").strip().split("  (cost=")[0] for line in lines if "  (cost=" in line]


@pytest.mark.parametrize("sql", QUERIES)
def test_limit_offset_is_a_slice_of_the_full_result(ig, sql):
    full = ig.execute(sql).fetchall()
    assert len(full) >= 6, (sql, len(full))
    for n, m in ((3, 2), (2, 0), (4, len(full) - 2), (2, len(full) + 5)):
        got = ig.execute("%s LIMIT %d OFFSET %d" % (sql, n, m)).fetchall()
        assert got == full[m:m + n], (sql, n, m)


def test_limit_reaches_ig_fdw_for_edges(ig):
    """media and comments take the LIMIT themselves: no Limit node above the scan."""
    assert plan_nodes(ig, "SELECT id FROM ig.media LIMIT 3 OFFSET 2") == ["Foreign Scan on media"]
    assert plan_nodes(ig, "SELECT id FROM ig.comments LIMIT 3 OFFSET 2") == ["Foreign Scan on comments"]
    ig.sandbox.reset_stats()
    assert len(ig.execute("SELECT id FROM ig.media LIMIT 3 OFFSET 2").fetchall()) == 3
    assert ig.sandbox.stats()["total"] == 1     # one page of limit + offset rows


def test_explain_shows_a_join_parameter_as_question_mark(ig):
    """A value known only at execution (the outer row's) prints as '?', as on multicorn2."""
    ig.execute("CREATE TABLE my_posts (media_id text)")
    ig.execute("INSERT INTO my_posts VALUES ('1'), ('2')")
    ig.execute("ANALYZE my_posts")
    ig.execute("SET multicorn.enable_key_join = off")      # the nested loop of multicorn2 (and PostgreSQL)
    plan = "\n".join(r[0] for r in ig.execute(
        "EXPLAIN SELECT c.id FROM my_posts p JOIN ig.comments c ON c.media_id = p.media_id").fetchall())
    assert "Nested Loop" in plan, plan
    assert "Graph filters: media_id = ?" in plan, plan
    assert "object at" not in plan, plan
