"""What docs/queries.md says about query forms and clients, checked.

* ``WHERE media_id IN (SELECT ...)`` or a JOIN with a local table is a
  parameterized scan (one batch for your ids) only when PostgreSQL knows the
  local table is small (ANALYZE); otherwise a hash/merge join over a fan-out
  of every media.  ``= ANY (ARRAY(SELECT ...))`` always reads only your ids.
* SQLAlchemy lists foreign tables with ``get_foreign_table_names``; pandas
  reads them with ``read_sql``.
"""

import pytest

from .conftest import calls


def _picks(ig, n=2):
    ig.execute("CREATE TABLE picks (media_id text)")
    for (mid,) in ig.execute("SELECT id FROM ig.media LIMIT %d" % n).fetchall():
        ig.execute("INSERT INTO picks VALUES (%s)", (mid,))


def _run(ig, sql):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql).fetchall())
    ig.sandbox.reset_stats()
    rows = ig.execute(sql).fetchall()
    return plan, rows, calls(ig.sandbox)


def test_in_subquery_join_and_any_array(ig):
    _picks(ig)
    in_sql = "SELECT c.id FROM ig.comments c WHERE c.media_id IN (SELECT media_id FROM picks)"
    join_sql = "SELECT c.id FROM picks p JOIN ig.comments c ON c.media_id = p.media_id"
    any_sql = "SELECT c.id FROM ig.comments c WHERE c.media_id = ANY (ARRAY(SELECT media_id FROM picks))"
    # never ANALYZEd: PostgreSQL guesses ~1360 rows; the runtime's key join still asks by key
    plan_in, rows_in, calls_in = _run(ig, in_sql)
    plan_join, rows_join, calls_join = _run(ig, join_sql)
    assert "MulticornKeyJoin" in plan_in and "MulticornKeyJoin" in plan_join
    # the inner scan reads the keys the join hands over, and EXPLAIN says so (not "every row of media")
    assert "media_ids given at execution" in plan_in and "fan-out" not in plan_in
    # the array form reads only the chosen media's comments, whatever the statistics
    plan_any, rows_any, calls_any = _run(ig, any_sql)
    assert sorted(rows_any) == sorted(rows_in) == sorted(rows_join) and rows_any
    assert calls_any == 1 and calls_in == calls_join == calls_any
    assert "the media_ids given at execution" in plan_any and "fan-out" not in plan_any
    # PostgreSQL's ordinary plans (multicorn2's): both forms fan out over every media
    ig.execute("SET multicorn.enable_key_join = off")
    plan_in, rows_in, calls_in = _run(ig, in_sql)
    plan_join, rows_join, calls_join = _run(ig, join_sql)
    assert "for every row of media (fan-out" in plan_in and "for every row of media (fan-out" in plan_join
    assert sorted(rows_any) == sorted(rows_in) == sorted(rows_join)
    assert calls_in > 10 * calls_any and calls_join > 10 * calls_any
    # after ANALYZE the planner knows the table is small: a parameterized scan per id
    ig.execute("ANALYZE picks")
    plan_in, rows_in, calls_in = _run(ig, in_sql)
    assert "media_ids given at execution" in plan_in and "fan-out" not in plan_in
    assert sorted(rows_in) == sorted(rows_any) and calls_in <= 2


def test_sqlalchemy_lists_foreign_tables_and_pandas_reads_them(ig, cluster, database):
    import sqlalchemy
    import pandas
    url = "postgresql+psycopg://postgres@/%s?host=%s&port=%d" % (database, cluster.socket_dir, cluster.port)
    engine = sqlalchemy.create_engine(url)
    try:
        insp = sqlalchemy.inspect(engine)
        assert insp.get_table_names(schema="ig") == []          # foreign tables are not "tables" to SQLAlchemy
        assert "media" in insp.get_foreign_table_names(schema="ig")
        with engine.connect() as c:
            df = pandas.read_sql(sqlalchemy.text("SELECT id, like_count FROM ig.media LIMIT 5"), c)
        assert len(df) == 5 and list(df.columns) == ["id", "like_count"]
        with pytest.raises((ValueError, sqlalchemy.exc.InvalidRequestError)) as ei:
            pandas.read_sql_table("media", engine, schema="ig")   # reflects tables and views only
        assert "media" in str(ei.value)
    finally:
        engine.dispose()
