"""Cancels while Python runs: statement_timeout, pg_cancel_backend, client
cancel.  The statement ends with the cancel error, the backend survives (no
postmaster restart), and it keeps working through 100 more cancels."""

import threading
import time

import psycopg
import pytest

from tests.runtime.helpers import make_server, make_table

HOWS = ["sleep", "longsleep", "log", "warnlog", "check", "busy", "swallow", "rows", "threadwait"]


@pytest.fixture
def busy(conn):
    make_server(conn, "tests.fdws.cancel.Busy")
    for how in HOWS:
        make_table(conn, "b_" + how, "id int", options={"how": how})
    make_server(conn, "tests.fdws.recorder.Recorder", name="rec")
    make_table(conn, "ok", "id int, name text", server="rec", options={"rows": "3"})
    return conn


def start_time(conn):
    return conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]


def assert_healthy(conn, pid, started):
    assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
    assert conn.execute("SELECT id, name FROM ok ORDER BY id").fetchall() == [(1, "n1"), (2, "n2"), (3, "n3")]
    assert start_time(conn) == started


@pytest.mark.parametrize("how", HOWS)
def test_statement_timeout(busy, how):
    pid = busy.execute("SELECT pg_backend_pid()").fetchone()[0]
    started = start_time(busy)
    busy.execute("SET statement_timeout = '300ms'")
    t0 = time.monotonic()
    with pytest.raises(psycopg.errors.QueryCanceled) as info:
        busy.execute("SELECT count(*) FROM b_%s" % how).fetchall()
    # interrupted, not run to completion (longsleep would take 30 s)
    assert time.monotonic() - t0 < 5
    assert "statement timeout" in str(info.value)
    busy.execute("SET statement_timeout = 0")
    assert_healthy(busy, pid, started)


@pytest.mark.parametrize("how", ["longsleep", "log", "busy", "check"])
def test_pg_cancel_backend(busy, connect, how):
    other = connect()
    pid = busy.execute("SELECT pg_backend_pid()").fetchone()[0]
    started = start_time(busy)
    timer = threading.Timer(0.3, lambda: other.execute("SELECT pg_cancel_backend(%s)", (pid,)))
    timer.start()
    try:
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            busy.execute("SELECT count(*) FROM b_%s" % how).fetchall()
    finally:
        timer.join()
    assert "user request" in str(info.value)
    assert_healthy(busy, pid, started)


@pytest.mark.parametrize("how", ["sleep", "warnlog", "busy", "threadwait"])
def test_client_cancel(busy, how):
    pid = busy.execute("SELECT pg_backend_pid()").fetchone()[0]
    started = start_time(busy)
    timer = threading.Timer(0.3, busy.cancel_safe)
    timer.start()
    try:
        with pytest.raises(psycopg.errors.QueryCanceled):
            busy.execute("SELECT count(*) FROM b_%s" % how).fetchall()
    finally:
        timer.join()
    assert_healthy(busy, pid, started)


def test_hundred_more_cancels_then_a_normal_query(busy):
    pid = busy.execute("SELECT pg_backend_pid()").fetchone()[0]
    started = start_time(busy)
    busy.execute("SET statement_timeout = '20ms'")
    hows = ["log", "check", "busy", "sleep", "warnlog"]
    for i in range(100):
        with pytest.raises(psycopg.errors.QueryCanceled):
            busy.execute("SELECT count(*) FROM b_%s" % hows[i % len(hows)]).fetchall()
    busy.execute("SET statement_timeout = 0")
    assert busy.execute("SELECT sum(g) FROM generate_series(1, 1000) g").fetchone() == (500500,)
    assert_healthy(busy, pid, started)
