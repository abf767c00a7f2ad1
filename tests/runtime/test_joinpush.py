"""Join pushdown: a join of two multicorn tables of one server as one execute_join() call.

Every test compares with multicorn.enable_join_pushdown = off (PostgreSQL's own join of two
scans) and counts the wrapper's calls from its NOTICEs (tests/fdws/joiner.py).
"""

import datetime
import re
from decimal import Decimal

import psycopg
import pytest

from tests.runtime.helpers import explain, make_server, make_table

JOINER = "tests.fdws.joiner.Joiner"
PLAIN = "tests.fdws.joiner.Plain"
A_COLS = "id int, name text, score numeric, ts timestamptz, flag bool, tags text[], b_id int"
B_COLS = "id int, label text, amount float8, day date, note text"
SQL = "SELECT a.id, a.name, b.label FROM a JOIN b ON a.b_id = b.id ORDER BY 1, 3"


def tables(conn, wrapper=JOINER, mode="exact", accept_a="yes", accept_b="no", calls="1", rounds="1"):
    """Tables a and b on one server; by default only a accepts to be `self`, so the plan is fixed."""
    make_server(conn, wrapper, options="mode '%s', calls '%s', rounds '%s'" % (mode, calls, rounds))
    make_table(conn, "a", A_COLS, options={"table": "a", "accept": accept_a})
    make_table(conn, "b", B_COLS, options={"table": "b", "accept": accept_b})


def run(conn, sql, params=None):
    """(rows, the wrapper's NOTICEs)"""
    conn.notices.take()
    rows = conn.execute(sql, params).fetchall()
    return rows, conn.notices.take()


def calls(notices, name):
    return [n for n in notices if n.startswith(name + " ")]


def unpushed(conn, sql, params=None):
    conn.execute("SET multicorn.enable_join_pushdown = off")
    try:
        assert "Relations:" not in explain(conn, sql if params is None else sql.replace("%s", "NULL"))
        return run(conn, sql, params)
    finally:
        conn.execute("RESET multicorn.enable_join_pushdown")


def test_inner_join_on_equality_is_one_execute_join(conn):
    tables(conn)
    plan = explain(conn, SQL)
    assert "Foreign Scan" in plan and "Relations: (public.a) INNER JOIN (public.b)" in plan, plan
    assert "Hash Join" not in plan and "Nested Loop" not in plan and "Merge Join" not in plan, plan
    rows, notices = run(conn, SQL)
    assert rows == [(1, "one", "ten"), (2, "two", "twenty"), (3, "three", "ten"), (5, "five", "thirty")]
    assert len(calls(notices, "execute_join")) == 1 and calls(notices, "execute") == [], notices
    assert calls(notices, "execute_join")[0] == (
        "execute_join a JOIN b on [('b_id', '=', 'id')] | quals [] | other_quals [] "
        "| columns ['b_id', 'id', 'name'] | other_columns ['id', 'label']")
    off_rows, off_notices = unpushed(conn, SQL)
    assert off_rows == rows
    assert len(calls(off_notices, "execute")) == 2 and calls(off_notices, "execute_join") == []


def test_the_other_ordering_is_asked_when_the_first_declines(conn):
    tables(conn, accept_a="no", accept_b="yes")
    notices = conn.notices
    notices.take()
    plan = explain(conn, "SELECT a.id, b.label FROM b JOIN a ON b.id = a.b_id")
    asked = calls(notices.take(), "get_join_estimate")
    # asked once per join relation, b only after a declined or a only after b accepted
    assert len(asked) in (1, 2), asked
    assert asked[-1].startswith("get_join_estimate b JOIN a on [('id', '=', 'b_id')]"), asked
    assert "Relations: (public.b) INNER JOIN (public.a)" in plan, plan
    rows, notices = run(conn, "SELECT a.id, b.label FROM b JOIN a ON b.id = a.b_id ORDER BY 1")
    assert rows == [(1, "ten"), (2, "twenty"), (3, "ten"), (5, "thirty")]
    assert len(calls(notices, "execute_join")) == 1 and not calls(notices, "execute")


def test_commutator_and_other_operators_in_self_orientation(conn):
    tables(conn)
    sql = ("SELECT a.id, b.id FROM a JOIN b ON b.id > a.b_id AND b.id - 9 <> a.id "
           "AND b.amount < a.score ORDER BY 1, 2")
    rows, notices = run(conn, sql)
    joined = calls(notices, "execute_join")
    assert len(joined) == 1, notices
    # b.id > a.b_id is given as a.b_id < b.id; an expression (b.id - 9) or a cast (numeric
    # a.score compared as float8) is no plain column: not given, but still rechecked
    assert "on [('b_id', '<', 'id')] |" in joined[0], joined
    assert rows == unpushed(conn, sql)[0] == [(5, 40)]


def test_restriction_quals_on_both_sides_reach_the_wrapper(conn):
    tables(conn)
    sql = ("SELECT a.id, b.label, b.amount FROM a JOIN b ON a.b_id = b.id "
           "WHERE a.flag AND b.amount > 1.5 AND a.name <> 'five' ORDER BY 1")
    plan = explain(conn, sql)
    assert "Relations:" in plan, plan
    rows, notices = run(conn, sql)
    joined = calls(notices, "execute_join")
    assert len(joined) == 1 and not calls(notices, "execute"), notices
    assert "quals ['flag = True', \"name <> 'five'\"]" in joined[0], joined
    assert "other_quals ['amount > 1.5']" in joined[0], joined
    assert rows == [] and unpushed(conn, sql)[0] == []
    sql2 = sql.replace("1.5", "1.0")
    assert run(conn, sql2)[0] == unpushed(conn, sql2)[0] == [(1, "ten", 1.25), (3, "ten", 1.25)]


def test_a_superset_is_filtered_by_postgresql(conn):
    tables(conn, mode="superset")
    sql = ("SELECT a.id, b.id FROM a JOIN b ON a.b_id = b.id WHERE a.id < 5 AND b.note IS NULL "
           "ORDER BY 1, 2")
    rows, notices = run(conn, sql)
    assert len(calls(notices, "execute_join")) == 1, notices
    assert rows == [(1, 10), (3, 10)]
    assert rows == unpushed(conn, sql)[0]


def test_a_wrapper_that_declines_gets_the_ordinary_plan(conn):
    tables(conn, accept_a="no", accept_b="no")
    conn.notices.take()
    plan = explain(conn, SQL)
    asked = calls(conn.notices.take(), "get_join_estimate")
    assert "Relations:" not in plan, plan
    assert sorted(a.split()[1] for a in asked) == ["a", "b"], asked    # both orderings, once each
    rows, notices = run(conn, SQL)
    assert len(calls(notices, "execute")) == 2 and not calls(notices, "execute_join")
    assert rows == unpushed(conn, SQL)[0] and len(rows) == 4


def test_outer_joins_are_not_pushed(conn):
    tables(conn)
    for sql in ("SELECT a.id, b.label FROM a LEFT JOIN b ON a.b_id = b.id ORDER BY 1, 2",
                "SELECT a.id, b.label FROM a FULL JOIN b ON a.b_id = b.id ORDER BY 1, 2"):
        conn.notices.take()
        plan = explain(conn, sql)
        assert "Relations:" not in plan, plan
        assert not calls(conn.notices.take(), "get_join_estimate")
        rows, notices = run(conn, sql)
        assert not calls(notices, "execute_join")
        assert rows == unpushed(conn, sql)[0]
    assert (None, "forty") in run(conn, "SELECT a.id, b.label FROM a FULL JOIN b ON a.b_id = b.id")[0]


def test_not_pushed_for_row_marks_and_whole_rows(conn):
    tables(conn)
    for sql in ("SELECT a.id FROM a JOIN b ON a.b_id = b.id FOR UPDATE OF a",
                "SELECT a FROM a JOIN b ON a.b_id = b.id",
                "SELECT a.id, b.tableoid FROM a JOIN b ON a.b_id = b.id"):
        conn.notices.take()
        assert "Relations:" not in explain(conn, sql), sql
        assert not calls(conn.notices.take(), "get_join_estimate"), sql


def test_three_tables(conn):
    tables(conn)
    make_table(conn, "a2", A_COLS, options={"table": "a", "accept": "yes"})
    sql = ("SELECT a.id, b.label, a2.name FROM a JOIN b ON a.b_id = b.id "
           "JOIN a2 ON a2.id = a.id + 1 ORDER BY 1")
    plan = explain(conn, sql)
    assert plan.count("Relations:") == 1, plan       # one pair pushed, the third joined by PostgreSQL
    rows, notices = run(conn, sql)
    assert len(calls(notices, "execute_join")) == 1 and len(calls(notices, "execute")) == 1, notices
    assert rows == [(1, "ten", "two"), (2, "twenty", "three"), (3, "ten", "four")]
    assert rows == unpushed(conn, sql)[0]


def test_a_parameter_of_a_prepared_statement_is_bound(conn):
    tables(conn)
    conn.execute("PREPARE q(float8) AS SELECT a.id, b.label FROM a JOIN b ON a.b_id = b.id "
                 "WHERE b.amount > $1 ORDER BY 1")
    expected = {0: [1, 2, 3, 5], 1.3: [2, 5], 3: [5], 9: []}
    for i, value in enumerate([0, 1.3, 3, 9, 1.3, 0, 3]):     # past the 5 custom plans
        rows, notices = run(conn, "EXECUTE q(%s)" % value)
        assert [r[0] for r in rows] == expected[value], (i, value, rows)
        joined = calls(notices, "execute_join")
        assert len(joined) == 1 and "other_quals ['amount > %r']" % float(value) in joined[0], joined
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute("PREPARE g(float8) AS SELECT a.id FROM a JOIN b ON a.b_id = b.id WHERE b.amount > $1")
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE g(1.3)").fetchall())
    assert "Relations:" in plan and "$1" in plan, plan
    assert "other_quals ['amount > ?']" not in plan
    assert "quals: [] / ['amount > 1.3']" in plan, plan    # a plain EXPLAIN knows $1
    rows, notices = run(conn, "EXECUTE g(1.3)")
    assert sorted(r[0] for r in rows) == [2, 5]
    assert "other_quals ['amount > 1.3']" in calls(notices, "execute_join")[0]


def test_rescan_under_a_correlated_subquery(conn):
    tables(conn)
    conn.execute("CREATE TABLE loc (x int)")
    conn.execute("INSERT INTO loc VALUES (1), (2), (3), (4), (5), (6)")
    conn.execute("ANALYZE loc")
    sql = ("SELECT l.x, (SELECT max(b.label) FROM a JOIN b ON a.b_id = b.id WHERE a.id = l.x) "
           "FROM loc l ORDER BY 1")
    plan = explain(conn, sql)
    assert "Relations:" in plan, plan
    rows, notices = run(conn, sql)
    joined = calls(notices, "execute_join")
    assert len(joined) == 6 and not calls(notices, "execute"), notices
    assert ["quals ['id = %d']" % x in j for x, j in zip(range(1, 7), joined)] == [True] * 6, joined
    assert rows == [(1, "ten"), (2, "twenty"), (3, "ten"), (4, None), (5, "thirty"), (6, None)]
    assert rows == unpushed(conn, sql)[0]


def test_rescan_on_the_inner_side_of_a_nested_loop(conn):
    tables(conn)
    conn.execute("CREATE TABLE loc (x int)")
    conn.execute("INSERT INTO loc VALUES (1), (2), (3), (6)")
    conn.execute("ANALYZE loc")
    # LEFT JOIN: the pushed inner join is the nested loop's inner (nullable) side; without
    # hash/merge joins and Materialize it is rescanned for each of the 4 outer rows
    for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material"):
        conn.execute("SET %s = off" % setting)
    sql = ("SELECT l.x, a.id, b.label FROM loc l LEFT JOIN (a JOIN b ON a.b_id = b.id) ON a.id > l.x "
           "ORDER BY 1, 2")
    plan = explain(conn, sql)
    assert "Nested Loop Left Join" in plan and "Relations:" in plan, plan
    assert plan.index("Seq Scan on loc") < plan.index("Relations:"), plan
    rows, notices = run(conn, sql)
    assert len(calls(notices, "execute_join")) == 4 and not calls(notices, "execute"), notices
    assert rows == unpushed(conn, sql)[0]
    assert rows == [(1, 2, "twenty"), (1, 3, "ten"), (1, 5, "thirty"), (2, 3, "ten"), (2, 5, "thirty"),
                    (3, 5, "thirty"), (6, None, None)]


def test_a_self_join_and_a_join_without_column_clauses(conn):
    tables(conn)
    sql = "SELECT x.id, y.name FROM a x JOIN a y ON x.id = y.id + 1 ORDER BY 1"
    assert "Relations: (public.a x) INNER JOIN (public.a y)" in explain(conn, sql)
    rows, notices = run(conn, sql)
    assert calls(notices, "execute_join") == [
        "execute_join a JOIN a on [] | quals [] | other_quals [] | columns ['id'] "
        "| other_columns ['id', 'name']"]     # y.id + 1 is no plain column: rechecked only
    assert rows == unpushed(conn, sql)[0] == [(2, "one"), (3, "two"), (4, "three"), (5, "four")]
    rows, notices = run(conn, "SELECT count(*) FROM a JOIN b ON true")
    assert rows == [(20,)] and len(calls(notices, "execute_join")) == 1


def test_explain_shows_relations_planned_calls_and_the_wrapper_lines(conn):
    tables(conn, calls="2", rounds="1")
    sql = "SELECT x.id, y.label FROM a x JOIN b y ON x.b_id = y.id WHERE x.id = 1"
    plan = explain(conn, sql)
    assert "Relations: (public.a x) INNER JOIN (public.b y)" in plan, plan
    assert "Planned Calls: 2 in 1 round per execution" in plan, plan
    assert "Multicorn: join of a and b on b_id = id" in plan, plan
    assert "Multicorn: quals: ['id = 1'] / []" in plan, plan
    verbose = "\n".join(r[0] for r in conn.execute("EXPLAIN VERBOSE " + sql).fetchall())
    assert "Multicorn: verbose" in verbose, verbose
    analyzed = "\n".join(r[0] for r in conn.execute("EXPLAIN ANALYZE " + sql).fetchall())
    assert "Relations:" in analyzed and re.search(r"actual [^)]*rows=1(\.00)? loops=1", analyzed), analyzed


def test_cost_in_rounds_decides(conn):
    """A join in 3 rounds costs more than two scans of 1 round each (20 per round): not chosen."""
    tables(conn, calls="3", rounds="3")
    conn.notices.take()
    plan = explain(conn, SQL)
    assert "Relations:" not in plan, plan
    assert calls(conn.notices.take(), "get_join_estimate"), "asked, then priced out"


def test_a_python_exception_in_execute_join_is_a_clean_error(conn):
    tables(conn, mode="raise")
    with pytest.raises(psycopg.Error) as err:
        conn.execute(SQL).fetchall()
    assert "the join went wrong" in str(err.value)
    assert err.value.sqlstate == "HV000"
    assert conn.execute("SELECT 1").fetchone() == (1,)
    assert "Relations:" in explain(conn, SQL)     # planning itself was fine


def test_a_bad_pair_is_a_clean_error(conn):
    tables(conn, mode="badpair")
    with pytest.raises(psycopg.Error) as err:
        conn.execute(SQL).fetchall()
    assert "not a (row, other_row) pair" in str(err.value), err.value
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_row_with_a_key_that_is_no_column_names_the_table(conn):
    tables(conn, mode="badkey")
    with pytest.raises(psycopg.Error) as err:
        conn.execute(SQL).fetchall()
    assert 'foreign table "a"' in str(err.value) and "'nope'" in str(err.value), err.value


def test_errors_of_get_join_estimate_while_planning(conn):
    tables(conn)
    conn.execute("ALTER FOREIGN TABLE a OPTIONS (ADD estimate 'raise')")
    with pytest.raises(psycopg.Error) as err:
        explain(conn, SQL)
    assert "no estimate today" in str(err.value)
    conn.execute("ALTER FOREIGN TABLE a OPTIONS (SET estimate 'list')")
    with pytest.raises(psycopg.Error) as err:
        explain(conn, SQL)
    assert "Joiner.get_join_estimate() must return None or a dict" in str(err.value), err.value
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_wrapper_without_the_methods_is_unaffected(conn):
    tables(conn, wrapper=PLAIN)
    plan = explain(conn, SQL)
    assert "Relations:" not in plan, plan
    rows, notices = run(conn, SQL)
    assert len(calls(notices, "execute")) == 2
    assert rows == unpushed(conn, SQL)[0] and len(rows) == 4


def test_nulls_and_column_types_in_the_joined_row(conn):
    tables(conn)
    sql = ("SELECT a.id, a.score, a.ts, a.flag, a.tags, b.amount, b.day, b.note "
           "FROM a JOIN b ON a.b_id = b.id ORDER BY a.id")
    assert "Relations:" in explain(conn, sql)
    rows, notices = run(conn, sql)
    assert len(calls(notices, "execute_join")) == 1
    utc = datetime.timezone.utc
    assert rows == [
        (1, Decimal("1.50"), datetime.datetime(2024, 1, 1, 12, tzinfo=utc), True, ["x", "y"], 1.25,
         datetime.date(2024, 2, 10), None),
        (2, None, datetime.datetime(2024, 1, 2, tzinfo=utc), False, [], 2.5,
         datetime.date(2024, 2, 20), "n20"),
        (3, Decimal("-3.25"), None, True, ["z"], 1.25, datetime.date(2024, 2, 10), None),
        (5, Decimal("5.5"), datetime.datetime(2024, 1, 5, tzinfo=utc), True, ["q"], 3.75, None, "n30"),
    ]
    assert rows == unpushed(conn, sql)[0]


def test_the_setting_turns_it_off(conn):
    tables(conn)
    conn.execute("SET multicorn.enable_join_pushdown = off")
    conn.notices.take()
    assert "Relations:" not in explain(conn, SQL)
    assert not calls(conn.notices.take(), "get_join_estimate")
    conn.execute("SET multicorn.enable_join_pushdown = on")
    assert "Relations:" in explain(conn, SQL)


def test_the_base_class_defines_none_of_the_join_methods():
    """hasattr() tells the runtime which wrappers take joins: the base class must not answer."""
    import ast
    import os
    from tests.pg import ROOT
    with open(os.path.join(ROOT, "pgext", "python", "multicorn", "__init__.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    base = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ForeignDataWrapper")
    defined = {n.name for n in base.body if isinstance(n, ast.FunctionDef)}
    assert "execute" in defined
    assert not defined & {"get_join_estimate", "execute_join", "explain_join"}, defined
