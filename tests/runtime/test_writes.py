"""INSERT/UPDATE/DELETE with RETURNING, batch insert, transaction hooks."""

import psycopg
import pytest

from tests.runtime.helpers import make_server, make_table


@pytest.fixture
def w(conn):
    make_server(conn, "tests.fdws.writable.Writable")
    make_table(conn, "w", "id int, text text, note text", options={"store": "w_%d" % id(conn)})
    return conn


def test_insert_returning(w):
    w.notices.take()
    rows = w.execute("INSERT INTO w (text) VALUES ('hello'), ('world') RETURNING id, text, note").fetchall()
    assert rows == [(101, "hello", "created"), (102, "world", "created")]
    notices = w.notices.take()
    assert "insert [('text', 'hello')]" in notices


def test_update_and_delete_receive_the_rowid_value(w):
    w.execute("INSERT INTO w (id, text) VALUES (1, 'a'), (2, 'b')")
    w.notices.take()
    rows = w.execute("UPDATE w SET text = 'changed' WHERE id = 2 RETURNING id, text, note").fetchall()
    assert rows == [(2, "changed", "updated")]
    assert "update 2 -> [('id', 2), ('note', 'created'), ('text', 'changed')]" in w.notices.take()
    rows = w.execute("DELETE FROM w WHERE id = 1 RETURNING id, text").fetchall()
    assert rows == [(1, "a")]
    assert "delete 1" in w.notices.take()
    assert w.execute("SELECT id, text FROM w").fetchall() == [(2, "changed")]


def test_bulk_insert_uses_batches(conn):
    make_server(conn, "tests.fdws.writable.Writable")
    make_table(conn, "wb", "id int, text text, note text", options={"store": "wb", "batch": "3"})
    conn.notices.take()
    conn.execute("INSERT INTO wb (id, text) SELECT g, 'x' FROM generate_series(1, 7) g")
    batches = [n for n in conn.notices.take() if n.startswith("bulk_insert")]
    assert batches == ["bulk_insert 3", "bulk_insert 3", "bulk_insert 1"]
    assert conn.execute("SELECT count(*) FROM wb").fetchone() == (7,)


def test_bulk_insert_not_used_with_returning(conn):
    make_server(conn, "tests.fdws.writable.Writable")
    make_table(conn, "wb", "id int, text text, note text", options={"store": "wb2", "batch": "3"})
    conn.notices.take()
    rows = conn.execute("INSERT INTO wb (id, text) VALUES (1, 'x'), (2, 'y') RETURNING note").fetchall()
    assert rows == [("created",), ("created",)]
    assert not [n for n in conn.notices.take() if n.startswith("bulk_insert")]


def test_transaction_hook_order(connect):
    conn = connect(autocommit=False)
    make_server(conn, "tests.fdws.writable.Writable")
    make_table(conn, "w", "id int, text text, note text", options={"store": "tx"})
    conn.commit()
    conn.notices.take()
    conn.execute("INSERT INTO w (id, text) VALUES (1, 'a')")
    conn.execute("SAVEPOINT s1")
    conn.execute("INSERT INTO w (id, text) VALUES (2, 'b')")
    conn.execute("ROLLBACK TO SAVEPOINT s1")
    conn.execute("SAVEPOINT s2")
    conn.execute("INSERT INTO w (id, text) VALUES (3, 'c')")
    conn.execute("RELEASE SAVEPOINT s2")
    conn.commit()
    hooks = [n for n in conn.notices.take() if not n.startswith("insert")]
    # ROLLBACK TO s1 restarts s1 (level 2), so s2 is level 3; COMMIT commits s1 too.
    assert hooks == ["begin False", "end_modify", "sub_begin 2", "end_modify", "sub_rollback 2",
                     "sub_begin 2", "sub_begin 3", "end_modify", "sub_commit 3", "sub_commit 2",
                     "pre_commit", "commit"]
    conn.execute("INSERT INTO w (id, text) VALUES (4, 'd')")
    conn.rollback()
    assert [n for n in conn.notices.take() if not n.startswith("insert")] == \
        ["begin False", "end_modify", "rollback"]


def test_serializable_begin(connect):
    conn = connect(autocommit=False)
    make_server(conn, "tests.fdws.writable.Writable")
    make_table(conn, "w", "id int, text text, note text", options={"store": "ser"})
    conn.commit()
    conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    conn.notices.take()
    conn.execute("SELECT * FROM w").fetchall()
    conn.commit()
    assert conn.notices.take()[:1] == ["begin True"]


def test_transaction_aware_wrapper_commit_and_rollback(connect):
    conn = connect(autocommit=False)
    make_server(conn, "tests.fdws.writable.Queued")
    make_table(conn, "q", "id int, text text", options={"store": "queued_%d" % id(conn)})
    conn.commit()
    conn.execute("INSERT INTO q VALUES (1, 'kept')")
    assert conn.execute("SELECT * FROM q").fetchall() == []   # not applied before commit
    conn.commit()
    assert conn.execute("SELECT * FROM q").fetchall() == [(1, "kept")]
    conn.commit()
    conn.notices.take()
    conn.execute("INSERT INTO q VALUES (2, 'dropped')")
    conn.rollback()
    assert conn.execute("SELECT * FROM q").fetchall() == [(1, "kept")]
    conn.commit()
    assert not [n for n in conn.notices.take() if n == "applied 1"]


def test_update_without_rowid_support(conn):
    make_server(conn, "tests.fdws.recorder.Recorder")
    make_table(conn, "t", "id int")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("UPDATE t SET id = 1")
    assert info.value.diag.message_primary == "This FDW does not support the writable API"
