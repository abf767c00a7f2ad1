"""Parameterized joins, sort and limit pushdown, EXPLAIN, row estimates."""

import json

from tests.runtime.helpers import explain, quals_of, recorder


def test_parameterized_nested_loop_fetches_only_joined_ids(conn):
    recorder(conn, columns="id int, name text", rows="50",
             path_keys=json.dumps([[["id"], 1]]), rel_size="100000,100")
    conn.execute("CREATE TABLE mine (media_id int)")
    conn.execute("INSERT INTO mine VALUES (3), (7), (11)")
    conn.execute("ANALYZE mine")
    conn.execute("SET multicorn.enable_key_join = off")    # PostgreSQL's ordinary plan (see test_keyjoin.py)
    sql = "SELECT m.media_id, t.name FROM mine m JOIN t ON t.id = m.media_id ORDER BY 1"
    plan = explain(conn, sql)
    assert "Nested Loop" in plan, plan
    assert "Hash" not in plan, plan
    quals, rows = quals_of(conn, sql)
    assert rows == [(3, "n3"), (7, "n7"), (11, "n11")]
    assert sorted(quals) == ["id = 11:int | list=False", "id = 3:int | list=False",
                             "id = 7:int | list=False"]


def test_without_path_keys_no_parameterized_path(conn):
    recorder(conn, columns="id int, name text", rows="5", rel_size="100000,100")
    conn.execute("CREATE TABLE mine (media_id int)")
    conn.execute("INSERT INTO mine VALUES (3)")
    conn.execute("ANALYZE mine")
    quals, rows = quals_of(conn, "SELECT t.name FROM mine m JOIN t ON t.id = m.media_id")
    assert rows == [("n3",)]
    assert quals == []


def test_can_sort_removes_the_sort(conn):
    recorder(conn, columns="id int, name text", sortable="id")
    plan = explain(conn, "SELECT * FROM t ORDER BY id DESC")
    assert "Sort" not in plan, plan
    conn.notices.take()
    rows = conn.execute("SELECT id FROM t ORDER BY id DESC").fetchall()
    assert [r[0] for r in rows] == [5, 4, 3, 2, 1]
    assert "sortkeys [('id', True)]" in conn.notices.take()


def test_unsortable_column_keeps_the_sort(conn):
    recorder(conn, columns="id int, name text", sortable="id")
    plan = explain(conn, "SELECT * FROM t ORDER BY name")
    assert "Sort" in plan, plan
    assert "can_sort [('name', False, False)]" in conn.notices.take()


def test_can_limit_receives_limit_and_offset(conn):
    recorder(conn, columns="id int, name text", limit_ok="true", rows="10")
    conn.notices.take()
    rows = conn.execute("SELECT id FROM t LIMIT 3 OFFSET 2").fetchall()
    assert rows == [(3,), (4,), (5,)]
    notices = conn.notices.take()
    assert "can_limit 3 2" in notices
    assert "limit 3 offset 2" in notices


def test_limit_not_pushed_with_where_or_refused(conn):
    recorder(conn, columns="id int, name text", limit_ok="true", rows="10")
    conn.notices.take()
    conn.execute("SELECT id FROM t WHERE id > 1 LIMIT 3").fetchall()
    notices = conn.notices.take()
    assert not [n for n in notices if n.startswith("limit ") or n.startswith("can_limit")]
    conn.execute("ALTER FOREIGN TABLE t OPTIONS (SET limit_ok 'false')")
    conn.execute("SELECT id FROM t LIMIT 3").fetchall()
    notices = conn.notices.take()
    assert "can_limit 3 0" in notices
    assert not [n for n in notices if n.startswith("limit ")]


def test_limit_with_pushed_order(conn):
    recorder(conn, columns="id int, name text", limit_ok="true", sortable="id", rows="10")
    conn.notices.take()
    rows = conn.execute("SELECT id FROM t ORDER BY id DESC LIMIT 2").fetchall()
    assert rows == [(10,), (9,)]
    assert "limit 2 offset None" in conn.notices.take()


def test_explain_lines(conn):
    recorder(conn, columns="id int, name text")
    plan = explain(conn, "SELECT name FROM t WHERE id = 5")
    assert "Multicorn: quals: id = 5:int" in plan
    assert "Multicorn: columns: id,name" in plan
    assert "verbose explain" not in plan
    assert "verbose explain" in explain(conn, "VERBOSE SELECT name FROM t WHERE id = 5")


def test_explain_unbound_parameter(conn):
    recorder(conn, columns="id int, name text", path_keys=json.dumps([[["id"], 1]]), rel_size="100000,100")
    conn.execute("CREATE TABLE mine (media_id int)")
    conn.execute("INSERT INTO mine VALUES (3)")
    conn.execute("ANALYZE mine")
    plan = explain(conn, "SELECT * FROM mine m JOIN t ON t.id = m.media_id")
    assert "Multicorn: quals: id = UNBOUND" in plan, plan


def test_default_estimate_keeps_plans_below_jit(conn):
    conn.execute("CREATE SERVER s2 FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'tests.fdws.writable.Writable')")
    conn.execute("CREATE FOREIGN TABLE w (id int, note text) SERVER s2")
    conn.execute("SET jit_above_cost = 100000")
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, FORMAT TEXT) SELECT * FROM w").fetchall())
    assert "JIT" not in plan, plan
    cost = float(plan.split("..")[1].split(" ")[0])
    assert cost < 100000
