"""Python exceptions become clean ERRORs; the backend survives."""

import psycopg
import pytest

from tests.runtime.helpers import make_server, make_table


@pytest.fixture
def raiser(conn):
    make_server(conn, "tests.fdws.errors.RaiseFDW")
    return conn


def failing(conn, how):
    conn.execute("DROP FOREIGN TABLE IF EXISTS e")
    make_table(conn, "e", "id int", options={"how": how})
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM e").fetchall()
    return info.value


def test_message_is_str_of_exception_default_sqlstate(raiser, cluster):
    err = failing(raiser, "plain")
    assert err.diag.message_primary == "something broke: token=SECRET-never-shown"
    assert err.diag.sqlstate == "HV000"
    # the traceback is in the server log, not in what the client sees
    assert "Traceback" not in (err.diag.message_detail or "")
    assert "Traceback (most recent call last)" in cluster.server_log()


def test_sqlstate_hint_detail_from_exception(raiser):
    err = failing(raiser, "sqlstate")
    assert err.diag.sqlstate == "53400"
    assert err.diag.message_primary == "rate limited, wait 60 s"
    assert err.diag.message_hint == "Retry after a minute."
    assert err.diag.message_detail == "Calls: 200/200"


def test_log_to_postgres_error_raises_cleanly(raiser):
    err = failing(raiser, "multicorn")
    assert err.diag.message_primary == "logged error"
    assert err.diag.message_hint == "the hint"
    assert err.diag.message_detail == "the detail"


def test_error_in_constructor(raiser):
    err = failing(raiser, "in_init")
    assert err.diag.message_primary == "cannot initialise: bad option x"


def test_error_midway_is_not_a_truncated_result(raiser):
    err = failing(raiser, "midway")
    assert err.diag.message_primary == "failed after two rows"


def test_key_error_message(raiser):
    err = failing(raiser, "key_error")
    assert err.diag.message_primary == "'missing'"


def test_backend_survives_many_errors(raiser):
    for how in ("plain", "sqlstate", "multicorn", "midway", "key_error") * 10:
        failing(raiser, how)
    assert raiser.execute("SELECT 42").fetchone() == (42,)


def test_wrapper_option_rules(conn):
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE SERVER bad FOREIGN DATA WRAPPER multicorn")
    assert "needs the option \"wrapper\"" in str(info.value)
    make_server(conn, "tests.fdws.recorder.Recorder")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE FOREIGN TABLE x (id int) SERVER srv OPTIONS (wrapper 'a.B')")
    assert "may only be set on a foreign server" in str(info.value)


def test_unknown_wrapper_class(conn):
    conn.notices.take()
    make_server(conn, "tests.fdws.nope.Missing")      # a warning, not an error: dumps must restore
    assert any("could not import the wrapper class" in m for m in conn.notices.take())
    make_table(conn, "t", "id int")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM t").fetchall()
    assert "No module named 'tests.fdws.nope'" in str(info.value)


def test_message_attribute_wins_over_str(raiser):
    # exceptions may keep a longer str() (with the hint) for upstream multicorn2
    err = failing(raiser, "message_attr")
    assert err.diag.message_primary == "short message"
    assert err.diag.message_hint == "do this"
