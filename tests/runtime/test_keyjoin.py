"""The key join: local JOIN foreign ON a key column hands the wrapper the outer keys as one ANY qual."""

import json

from tests.runtime.helpers import explain, quals_of, recorder

SQL = "SELECT m.media_id, t.name FROM mine m JOIN t ON t.id = m.media_id ORDER BY 1"


def keyed(conn, rows="200", outer=range(1, 121)):
    recorder(conn, columns="id int, name text", rows=rows,
             path_keys=json.dumps([[["id"], 1]]), rel_size="100000,100")
    conn.execute("CREATE TABLE mine (media_id int)")
    conn.execute("INSERT INTO mine SELECT unnest(%s::int[])", (list(outer),))
    conn.execute("ANALYZE mine")


def test_wrapper_receives_one_any_qual_with_the_distinct_keys(conn):
    keyed(conn, outer=[3, 7, 11, 7, 3])
    plan = explain(conn, SQL)
    assert "Custom Scan (MulticornKeyJoin)" in plan and "Nested Loop" not in plan, plan
    quals, rows = quals_of(conn, SQL)
    assert rows == [(3, "n3"), (3, "n3"), (7, "n7"), (7, "n7"), (11, "n11")]
    assert quals == ["id = ANY [3:int, 7:int, 11:int] | list=True"]


def test_same_rows_as_the_ordinary_plan_and_one_execute(conn):
    keyed(conn)
    quals, rows = quals_of(conn, SQL)
    assert len(quals) == 1 and quals[0].startswith("id = ANY [1:int, 2:int,")
    conn.execute("SET multicorn.enable_key_join = off")
    assert "Nested Loop" in explain(conn, SQL)
    quals_off, rows_off = quals_of(conn, SQL)
    assert len(quals_off) == 120 and all(q.endswith("| list=False") for q in quals_off)
    assert rows == rows_off and len(rows) == 120


def test_batches_of_keys(conn):
    keyed(conn, outer=[k for k in range(1, 11) for _ in (0, 1)])   # each key twice, in a row
    conn.execute("SET multicorn.key_join_batch = 4")
    quals, rows = quals_of(conn, SQL)
    assert len(quals) == 3, quals                 # 10 distinct keys, at most 4 per scan
    assert quals[2] == "id = ANY [9:int, 10:int] | list=True"
    assert sorted(r[0] for r in rows) == sorted(list(range(1, 11)) * 2)


def test_null_and_unmatched_keys(conn):
    keyed(conn, rows="5", outer=[1, 9])
    conn.execute("INSERT INTO mine VALUES (NULL)")
    quals, rows = quals_of(conn, SQL)
    assert rows == [(1, "n1")]
    assert quals == ["id = ANY [1:int, 9:int] | list=True"]


def test_other_join_clauses_are_applied(conn):
    keyed(conn, outer=[1, 2, 3, 4])
    quals, rows = quals_of(conn, "SELECT m.media_id FROM mine m JOIN t ON t.id = m.media_id "
                                 "AND t.name <> 'n' || (m.media_id % 2)::text ORDER BY 1")
    assert rows == [(2,), (3,), (4,)]


def test_explain_analyze_shows_scans_and_keys(conn):
    keyed(conn, outer=[1, 2, 3])
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN ANALYZE " + SQL).fetchall())
    assert "Inner Scans: 1" in plan and "Keys Sent: 3" in plan, plan


def test_not_for_outer_joins(conn):
    keyed(conn, outer=[1, 2])
    plan = explain(conn, "SELECT * FROM mine m LEFT JOIN t ON t.id = m.media_id")
    assert "MulticornKeyJoin" not in plan, plan


def test_not_when_rows_are_locked(conn):
    keyed(conn, outer=[1, 2])
    plan = explain(conn, "SELECT * FROM mine m JOIN t ON t.id = m.media_id FOR UPDATE OF m")
    assert "MulticornKeyJoin" not in plan, plan


def test_in_subquery_of_a_local_table(conn):
    keyed(conn, outer=[4, 2, 4, 9])
    sql = "SELECT t.id, t.name FROM t WHERE t.id IN (SELECT media_id FROM mine) ORDER BY 1"
    assert "MulticornKeyJoin" in explain(conn, sql)
    quals, rows = quals_of(conn, sql)
    assert rows == [(2, "n2"), (4, "n4"), (9, "n9")]
    assert len(quals) == 1 and quals[0].startswith("id = ANY [")
    assert sorted(quals[0].split("[")[1].split("]")[0].split(", ")) == ["2:int", "4:int", "9:int"]


# ---- calls and rounds in the cost (get_call_estimate, our runtime's extension)

def test_explain_shows_planned_calls_without_an_estimate(conn):
    recorder(conn, columns="id int, name text")
    assert "Planned Calls: 1 in 1 round per execution" in explain(conn, "SELECT * FROM t")


def test_get_call_estimate_drives_explain_and_the_key_join(conn):
    keyed(conn, outer=range(1, 121))
    conn.execute("ALTER FOREIGN TABLE t OPTIONS (ADD ids_per_call '50', ADD concurrency '4', "
                 "ADD scan_calls '54')")
    conn.execute("SET multicorn.enable_key_join = off")
    conn.execute("SET enable_nestloop = off; SET enable_mergejoin = off")
    assert "Planned Calls: 54 in 54 rounds per execution" in explain(conn, SQL)
    conn.execute("RESET enable_nestloop; RESET enable_mergejoin")
    conn.execute("SET multicorn.enable_key_join = on")
    plan = explain(conn, SQL)
    assert "MulticornKeyJoin" in plan and "Planned Calls: 3 in 1 round\n" in plan + "\n", plan
    assert "Planned Calls: 3 in 1 round per execution" in plan, plan
    notices = conn.notices.take()
    assert any(n.startswith("get_call_estimate id = ANY [") for n in notices), notices


def test_calls_estimate_keeps_a_fan_out_from_looking_cheap(conn):
    # few rows but many sequential calls: the full scan costs its 54 rounds, and asking by key wins
    recorder(conn, columns="id int, name text", rows="200",
             path_keys=json.dumps([[["id"], 1]]), rel_size="2000,100")
    conn.execute("CREATE TABLE mine (media_id int)")                # never ANALYZEd: ~2,550 rows guessed
    conn.execute("INSERT INTO mine SELECT generate_series(1, 120)")
    sql = "SELECT m.media_id, t.name FROM mine m JOIN t ON t.id = m.media_id"
    conn.execute("ALTER FOREIGN TABLE t OPTIONS (ADD ids_per_call '50', ADD concurrency '4', "
                 "ADD scan_calls '54')")
    plan = explain(conn, sql)
    assert "MulticornKeyJoin" in plan and "Planned Calls: 60 in 15 rounds" in plan, plan
    conn.execute("SET multicorn.enable_key_join = off")
    plan = explain(conn, sql)
    assert "Foreign Scan on t  (cost=1080.00.." in plan, plan           # 54 rounds x _startup_cost 20
    rows_off = sorted(conn.execute(sql).fetchall())
    conn.execute("SET multicorn.enable_key_join = on")
    assert sorted(conn.execute(sql).fetchall()) == rows_off and len(rows_off) == 120
