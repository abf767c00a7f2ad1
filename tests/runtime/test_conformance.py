"""The runtime behaves as multicorn2 3.2 wherever a wrapper depends on it.

Each test runs a wrapper written to multicorn2's rules (tests/fdws/conformance.py)
through a real PostgreSQL and checks what PostgreSQL returns and what the
wrapper was handed.
"""

import psycopg
import pytest

from tests.runtime.helpers import explain, make_server, make_table

CONFORM = "tests.fdws.conformance.Conform"


def conform(conn, name="t", columns="id int, name text, flag bool", **options):
    if not conn.execute("SELECT 1 FROM pg_foreign_server WHERE srvname = 'srv'").fetchone():
        make_server(conn, CONFORM)
    opts = {"store": name}
    opts.update(options)
    make_table(conn, name, columns, options=opts)


def nodes(plan):
    """The plan's node names ('Limit', 'Sort', 'Foreign Scan', ...)."""
    names = []
    for line in plan.splitlines():
        line = line.strip()
        if line.startswith("->"):
            line = line[2:].strip()
        if "  (cost=" in line:
            names.append(line.split("  (cost=")[0].split(" on ")[0])
    return names


def run(conn, sql):
    conn.notices.take()
    rows = conn.execute(sql).fetchall()
    return rows, conn.notices.take()


# ---- 1. LIMIT / OFFSET

def test_limit_offset_go_to_the_wrapper_and_the_limit_node_is_gone(conn):
    conform(conn, rows="5", limit_ok="true")
    plan = explain(conn, "SELECT id FROM t LIMIT 2 OFFSET 1")
    assert nodes(plan) == ["Foreign Scan"], plan
    rows, notices = run(conn, "SELECT id FROM t LIMIT 2 OFFSET 1")
    assert rows == [(2,), (3,)]
    assert "can_limit 2 1" in notices
    assert "execute columns=['id'] limit=2 offset=1" in notices
    # the wrapper skips the offset: PostgreSQL must not skip it again
    conform(conn, name="two", rows="2", limit_ok="true")
    assert conn.execute("SELECT id FROM two LIMIT 2 OFFSET 1").fetchall() == [(2,)]
    # LIMIT alone: offset None, as multicorn2 passes it
    rows, notices = run(conn, "SELECT id FROM t LIMIT 3")
    assert rows == [(1,), (2,), (3,)]
    assert "execute columns=['id'] limit=3 offset=None" in notices


def test_limit_with_fully_pushed_order(conn):
    conform(conn, rows="5", limit_ok="true", sortable="id")
    sql = "SELECT id FROM t ORDER BY id DESC LIMIT 2 OFFSET 1"
    plan = explain(conn, sql)
    assert nodes(plan) == ["Foreign Scan"], plan
    rows, notices = run(conn, sql)
    assert rows == [(4,), (3,)]
    assert "execute columns=['id'] limit=2 offset=1" in notices


def test_limit_in_a_subquery(conn):
    conform(conn, rows="5", limit_ok="true")
    rows = conn.execute("SELECT count(*), min(id) FROM (SELECT id FROM t LIMIT 3 OFFSET 1) s").fetchall()
    assert rows == [(3, 2)]


def test_limit_stays_in_postgres_when_not_pushable(conn):
    conform(conn, rows="5", limit_ok="true", sortable="id")
    conform(conn, name="u", rows="5", limit_ok="true")
    cases = {
        "SELECT id FROM t WHERE id > 1 LIMIT 2 OFFSET 1": [(3,), (4,)],          # WHERE
        "SELECT id FROM t ORDER BY name LIMIT 2 OFFSET 1": [(2,), (3,)],        # order not pushed
        "SELECT t.id FROM t JOIN u USING (id) ORDER BY 1 LIMIT 2 OFFSET 1": [(2,), (3,)],  # join
        "SELECT flag, count(*) FROM t GROUP BY flag ORDER BY 2, 1 LIMIT 1 OFFSET 1": [(False, 2)],
        "SELECT DISTINCT flag FROM t ORDER BY 1 LIMIT 1 OFFSET 1": [(True,)],
    }
    for sql, expected in cases.items():
        assert "Limit" in nodes(explain(conn, sql)), sql
        rows, notices = run(conn, sql)
        assert rows == expected, sql
        assert not [n for n in notices if n.startswith("can_limit")], (sql, notices)
        assert not [n for n in notices if "limit=None" not in n and n.startswith("execute")], (sql, notices)


def test_limit_refused_by_can_limit(conn):
    conform(conn, rows="5", limit_ok="false")
    assert nodes(explain(conn, "SELECT id FROM t LIMIT 2 OFFSET 1")) == ["Limit", "Foreign Scan"]
    rows, notices = run(conn, "SELECT id FROM t LIMIT 2 OFFSET 1")
    assert rows == [(2,), (3,)]
    assert "can_limit 2 1" in notices
    assert "execute columns=['id'] limit=None offset=None" in notices


# ---- 2. RETURNING

def test_delete_returning_shows_the_deleted_rows(conn):
    conform(conn, rows="3", writable="true")
    rows, notices = run(conn, "DELETE FROM t WHERE id >= 2 RETURNING *")
    assert sorted(rows) == [(2, "n2", False), (3, "n3", None)]
    assert "execute columns=['flag', 'id', 'name'] limit=None offset=None" in notices
    assert "delete 2" in notices and "delete 3" in notices
    # RETURNING of one column: the scan fetches the rowid and that column
    rows, notices = run(conn, "DELETE FROM t RETURNING name")
    assert rows == [("n1",)]
    assert "execute columns=['id', 'name'] limit=None offset=None" in notices
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_delete_returning_through_a_partitioned_table(conn):
    make_server(conn, CONFORM)
    conn.execute("CREATE TABLE p (id int, name text, flag bool) PARTITION BY LIST (id)")
    conn.execute("CREATE FOREIGN TABLE p1 PARTITION OF p FOR VALUES IN (1, 2, 3) SERVER srv "
                 "OPTIONS (store 'p1', rows '3', writable 'true')")
    conn.execute("CREATE TABLE p2 PARTITION OF p FOR VALUES IN (4)")
    conn.execute("INSERT INTO p2 VALUES (4, 'local', true)")
    rows = conn.execute("DELETE FROM p WHERE id IN (2, 4) RETURNING name, id").fetchall()
    assert sorted(rows) == [("local", 4), ("n2", 2)]
    assert conn.execute("SELECT id FROM p ORDER BY id").fetchall() == [(1,), (3,)]


def test_update_returning_shows_the_new_rows(conn):
    conform(conn, rows="3", writable="true")
    rows, notices = run(conn, "UPDATE t SET name = name || 'x' WHERE id = 2 RETURNING *")
    assert rows == [(2, "n2x", False)]
    assert "update 2" in notices
    assert conn.execute("SELECT name FROM t WHERE id = 2").fetchone() == ("n2x",)


# ---- 3. read-only wrappers

def test_wrapper_without_rowid_column_is_read_only(conn):
    conform(conn, rows="3")
    for sql in ("INSERT INTO t VALUES (9, 'x', true)", "UPDATE t SET name = 'x'",
                "DELETE FROM t", "DELETE FROM t WHERE id = 1 RETURNING *"):
        conn.notices.take()
        with pytest.raises(psycopg.Error) as info:
            conn.execute(sql)
        assert info.value.diag.message_primary == "This FDW does not support the writable API", sql
        assert "tests.fdws.conformance.Conform" in info.value.diag.message_detail
        notices = conn.notices.take()
        assert not [n for n in notices if n.split(" ")[0] in ("insert", "update", "delete", "begin")], notices
    conn.execute("CREATE TABLE src (id int, name text, flag bool)")
    conn.execute("INSERT INTO src VALUES (7, 'copied', false)")
    with pytest.raises(psycopg.Error) as info:
        with conn.cursor().copy("COPY t FROM STDIN") as copy:
            copy.write_row((8, "c", True))
    assert info.value.diag.message_primary == "This FDW does not support the writable API"
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)


def test_rowid_column_not_read_by_a_select(conn):
    conform(conn, rows="3", writable="true", warn_rowid="true")
    rows, notices = run(conn, "SELECT id FROM t ORDER BY id")
    assert rows == [(1,), (2,), (3,)]
    assert "rowid_column read" not in notices
    conn.execute("CREATE TABLE other (id int)")
    conn.execute("INSERT INTO other VALUES (1)")
    rows, notices = run(conn, "SELECT o.id FROM other o JOIN t ON t.id = o.id")
    assert rows == [(1,)] and "rowid_column read" not in notices
    # a write reads it
    conn.notices.take()
    conn.execute("DELETE FROM t WHERE id = 1")
    assert "rowid_column read" in conn.notices.take()


# ---- 4. SortKey.collate

def test_sortkey_collate_is_none_for_the_default_collation(conn):
    conform(conn, rows="3", sortable="name")
    rows, notices = run(conn, "SELECT name FROM t ORDER BY name DESC")
    assert rows == [("n3",), ("n2",), ("n1",)]
    assert "can_sort [('name', True, None)]" in notices
    rows, notices = run(conn, 'SELECT name FROM t ORDER BY name COLLATE "C"')
    assert "can_sort [('name', False, 'C')]" in notices


# ---- 5. conversions into PostgreSQL

def test_bytes_into_text_store_the_text(conn):
    conform(conn, rows="2", produce="bytes", columns="id int, name text")
    conform(conn, name="v", rows="2", produce="bytes", columns="id int, name varchar(20)")
    expected = [(1, "caf\u00e9 n1\n"), (2, "caf\u00e9 n2\n")]
    assert conn.execute("SELECT id, name FROM t ORDER BY id").fetchall() == expected
    assert conn.execute("SELECT id, name FROM v ORDER BY id").fetchall() == expected


def test_bytes_not_in_the_database_encoding_are_an_error(conn):
    conform(conn, rows="1", produce="bad_bytes", columns="id int, name text")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT name FROM t").fetchall()
    assert "not valid UTF8 text" in info.value.diag.message_primary
    assert 'column "name"' in info.value.diag.message_primary


def test_dict_into_hstore(conn):
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hstore'").fetchone():
        pytest.skip("this PostgreSQL tree has no hstore extension (the pgserver wheel ships no contrib)")
    conn.execute("CREATE EXTENSION hstore")
    conform(conn, rows="1", produce="hstore", columns="id int, data hstore")
    row = conn.execute("SELECT data -> 'k', data -> 'q\"uote', data ? 'empty', data -> 'empty' FROM t").fetchone()
    assert row == ("n1", "back\\slash", True, None)


# ---- 6. execute() returning None

def test_execute_returning_none_gives_no_rows(conn):
    conform(conn, produce="none")
    assert conn.execute("SELECT * FROM t").fetchall() == []
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_none_row_stays_an_error(conn):
    """A deliberate difference (docs/runtime.md): never a silently dropped row."""
    conform(conn, produce="none_row")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM t").fetchall()
    assert "NoneType" in info.value.diag.message_primary
    assert '"t"' in info.value.diag.message_primary


# ---- 7. IS [NOT] UNKNOWN

def test_is_unknown_quals(conn):
    conform(conn, rows="6")
    rows, notices = run(conn, "SELECT id FROM t WHERE flag IS UNKNOWN ORDER BY id")
    assert rows == [(3,), (6,)]
    assert "qual flag 'IS' None" in notices
    rows, notices = run(conn, "SELECT id FROM t WHERE flag IS NOT UNKNOWN ORDER BY id")
    assert rows == [(1,), (2,), (4,), (5,)]
    assert "qual flag 'IS NOT' None" in notices


# ---- 8. IMPORT FOREIGN SCHEMA

def test_import_schema_options_leave_out_wrapper(conn):
    make_server(conn, CONFORM, options="srvopt 'a'")
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER srv OPTIONS (umopt 'b')")
    conn.execute("CREATE SCHEMA imp")
    conn.notices.take()
    conn.execute("IMPORT FOREIGN SCHEMA remote FROM SERVER srv INTO imp")
    assert "import_schema srv_options=[('srvopt', 'a'), ('umopt', 'b')]" in conn.notices.take()


# ---- 9. EXPLAIN

def test_explain_unknown_value_prints_as_question_mark_and_sortkeys_none(conn):
    conform(conn, rows="3")
    conn.execute("CREATE TABLE other (id int)")
    plan = explain(conn, "SELECT * FROM other o WHERE o.id = (SELECT max(id) FROM t WHERE id = o.id)")
    assert "qual id = ? (UNBOUND)" in plan, plan
    assert "explain sortkeys=None" in plan, plan
    assert "object at 0x" not in plan


# ---- 10. generic messages

def test_missing_wrapper_hint_names_no_wrapper(conn):
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE SERVER nowrap FOREIGN DATA WRAPPER multicorn")
    assert "ig_fdw" not in str(info.value.diag.message_hint)
    assert "ig_fdw" not in info.value.diag.message_primary
