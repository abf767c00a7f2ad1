"""Runtime hardening (issue 19).

Wrapper code that mutates the containers being converted (from __str__,
__eq__, __hash__, a Decimal subclass) gets the row as yielded or a clean
ERROR naming table and column, never a crash or bytes read from freed
memory; planner estimates from Python are sanitized; fallible Python C-API
calls are checked; a parameterized scan's memory does not grow with its
rescans; conversion edges behave like PostgreSQL's input.
"""

import decimal
import json
import os

import psycopg
import pytest

from tests.runtime.helpers import explain, make_server, make_table


@pytest.fixture
def hostile(conn, cluster):
    make_server(conn, "tests.fdws.hostile.Hostile")
    conn.postmaster_pid = cluster.postmaster_pid()
    conn.backend_pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    yield conn
    # Whatever the case did, the same backend and postmaster are still there.
    assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] == conn.backend_pid
    assert cluster.postmaster_pid() == conn.postmaster_pid


def case(conn, columns, name, select="*"):
    conn.execute("DROP FOREIGN TABLE IF EXISTS h")
    make_table(conn, "h", columns, options={"case": name})
    return conn.execute("SELECT %s FROM h" % select).fetchall()


def case_error(conn, columns, name, column):
    with pytest.raises(psycopg.Error) as err:
        case(conn, columns, name)
    message = err.value.diag.message_primary
    assert 'column "%s" of foreign table "h"' % column in message, message
    return err.value


# ---------- containers mutated during conversion ----------

@pytest.mark.parametrize("name", ["list_row_cleared", "list_row_grown", "dict_row_cleared",
                                  "dict_row_grown", "key_eq_clears", "key_hash_clears"])
def test_row_mutated_while_converting_keeps_the_yielded_row(hostile, name):
    assert case(hostile, "a text, b text", name) == [("7" if "row" in name else "first", "second")]


def test_decimal_subclass_clearing_the_row(hostile):
    assert case(hostile, "n numeric, b text", "decimal_clears_row") == [(decimal.Decimal("12.5"), "second")]


def test_value_freed_by_its_own_str_still_named_in_the_error(hostile):
    err = case_error(hostile, "a text, i int4", "dict_value_bad_input", "i")
    assert "invalid input syntax for type integer" in err.diag.message_primary
    assert "Mut(not a number)" in err.diag.message_detail


@pytest.mark.parametrize("name", ["array_outer_cleared", "array_inner_cleared"])
def test_nested_lists_cleared_while_building_an_array(hostile, name):
    assert case(hostile, "ta text[]", name) == [([["7", "x"], ["y", "z"]],)]


def test_list_grown_while_building_an_array(hostile):
    assert case(hostile, "ta1 text[]", "array_outer_grown") == [(["7", "x", "y"],)]


def test_sub_list_shortened_meanwhile_is_a_clean_error(hostile):
    err = case_error(hostile, "ta text[]", "array_later_row_changed", "ta")
    assert "matching lengths" in err.diag.message_primary


def test_jsonb_and_json_lists_cleared_meanwhile(hostile):
    rows = case(hostile, "jb jsonb, j json", "jsonb_list_cleared", select="jb::text, j::text")
    assert rows == [('[1.5, "abc", {"k": "v"}]', '[1.5, "abc", {"k": "v"}]')]


def test_jsonb_dict_cleared_before_its_keys_are_sorted(hostile):
    rows = case(hostile, "jb jsonb", "jsonb_dict_cleared")
    assert rows == [({"long_key_one": 2, "k2": "value two", "another_key": ["p", "q"]},)]


def test_json_dict_cleared_and_list_grown(hostile):
    assert case(hostile, "j json", "json_dict_cleared", select="j::text") == [
        ('{"first": 3.25, "second": ["p", {"deep": "q"}]}',)]
    assert case(hostile, "j json", "json_list_grown", select="j::text") == [('[4, "tail"]',)]


# ---------- Python errors checked where they happen ----------

def test_bool_that_raises_names_the_column(hostile):
    err = case_error(hostile, "flag bool", "bad_bool", "flag")
    assert "ValueError: no truth here" in err.diag.message_primary
    # nothing left pending: the next statement works
    assert case(hostile, "a text, b text", "key_eq_clears") == [("first", "second")]


def test_decimal_whose_str_raises_names_the_column(hostile):
    err = case_error(hostile, "n numeric", "bad_str_decimal", "n")
    assert "RuntimeError: no digits here" in err.diag.message_primary


def test_key_whose_eq_raises_names_the_table(hostile):
    # A plain SELECT never reads rowid_column (multicorn2's rule): the key is simply not a column.
    with pytest.raises(psycopg.Error) as err:
        case(hostile, "a text", "key_eq_raises")
    message = err.value.diag.message_primary
    assert 'foreign table "h"' in message and "'zz' is not a column" in message, message
    # A scan feeding a DELETE compares the key with rowid_column, and that == raises.
    with pytest.raises(psycopg.Error) as err:
        hostile.execute("DELETE FROM h")
    message = err.value.diag.message_primary
    assert 'foreign table "h"' in message and "no equality" in message, message
    assert case(hostile, "a text, b text", "key_eq_clears") == [("first", "second")]   # nothing left pending


# ---------- conversion edges, as PostgreSQL's input ----------

NUMERIC_10_2 = ((10 << 16) | 2) + 4   # the typmod of numeric(10,2)


@pytest.mark.parametrize("literal", ["1E-16384", "1E-1000", "0.005", "12345678.9", "1E+200000"])
def test_decimal_into_numeric_with_typmod_like_postgres_input(hostile, literal):
    """A Decimal reads as numeric's input function reads its digits with the
    column's typmod (as a str value does): '1E-16384' into numeric(10,2) is
    0.00 (applying the typmod afterwards would overflow first); an error is
    the input function's, naming the column."""
    try:
        expected = hostile.execute("SELECT numeric_in(%s::cstring, 0, %s)",
                                   (literal, NUMERIC_10_2)).fetchone()[0]
    except psycopg.Error as e:
        err = case_error(hostile, "n numeric(10,2)", "decimal:" + literal, "n")
        assert e.diag.message_primary in err.diag.message_primary
    else:
        assert case(hostile, "n numeric(10,2)", "decimal:" + literal) == [(expected,)]
        assert case(hostile, "n numeric(10,2)", "str:" + literal) == [(expected,)]
    if literal == "1E-16384":
        assert expected == decimal.Decimal("0.00")


def test_ints_beyond_pythons_str_digit_limit(hostile):
    rows = case(hostile, "n numeric, j json, jb jsonb, t text", "huge_int",
                select="n::text, j::text, jb::text, t")
    big = str(decimal.Decimal(10 ** 5000 + 1))
    assert rows[0][0] == big
    assert rows[0][1] == "[%s]" % decimal.Decimal(-(10 ** 5000) - 7)
    assert rows[0][2] == '{"big": %s}' % decimal.Decimal(10 ** 4500)
    assert rows[0][3] == "1" + "0" * 4400


def test_strided_memoryview_into_bytea(hostile):
    assert case(hostile, "by bytea", "strided") == [(b"abc",)]


def test_vectors_start_at_zero_like_their_input_functions(hostile):
    rows = case(hostile, "iv int2vector, ov oidvector, ive int2vector", "vectors",
                select="iv::text, iv[0], array_lower(iv::int2[], 1), ov::text, "
                       "array_lower(ov::oid[], 1), ive::text")
    ref = hostile.execute("SELECT array_lower('1 2 3'::int2vector::int2[], 1)").fetchone()[0]
    assert ref == 0
    assert rows == [("1 2 3", 1, 0, "10 20", 0, "")]
    err = case_error(hostile, "iv int2vector", "vector_null", "iv")
    assert "NULL" in err.diag.message_primary


def test_array_whose_size_overflows_int_is_a_clean_error(hostile):
    err = case_error(hostile, "ia int[]", "huge_array", "ia")
    assert "cannot have more than" in err.diag.message_primary


# ---------- planner estimates ----------

@pytest.fixture
def estimates(conn):
    make_server(conn, "tests.fdws.hostile.Estimates", name="est")
    return conn


def estimate_table(conn, name, **options):
    make_table(conn, name, "id int, name text", server="est", options=options)


@pytest.mark.parametrize("width", ["3e9", "1e20", "-1e12", "float('nan')", "NoFloat()"])
def test_bad_width_is_the_default_with_one_warning(estimates, width):
    estimate_table(estimates, "w", rel_rows="10", rel_width=width)
    estimates.notices.take()
    plan = explain(estimates, "SELECT * FROM w")
    again = explain(estimates, "SELECT * FROM w")
    assert "width=100)" in plan and plan == again, plan
    warnings = [m for m in estimates.notices.take() if "width of get_rel_size()" in m]
    assert len(warnings) == 1, warnings
    assert 'foreign table "w"' in warnings[0]


@pytest.mark.parametrize("option,value", [("rel_rows", "float('nan')"), ("rel_rows", "-5"),
                                          ("rel_rows", "1e300"), ("startup_cost", "float('nan')"),
                                          ("startup_cost", "1e300"), ("startup_cost", "float('-inf')")])
def test_bad_rows_or_startup_cost_give_finite_plans(estimates, option, value):
    opts = {"rel_rows": "10", "rel_width": "20"}
    opts[option] = value
    estimate_table(estimates, "r", **opts)
    estimates.notices.take()
    plan = explain(estimates, "SELECT * FROM r")
    assert "NaN" not in plan and "Infinity" not in plan and "e+" not in plan, plan
    warnings = estimates.notices.take()
    assert len(warnings) == 1 and 'foreign table "r"' in warnings[0], warnings
    assert estimates.execute("SELECT count(*) FROM r").fetchone()[0] == 3


def test_bad_path_rows_give_finite_plans(estimates):
    estimate_table(estimates, "p", rel_rows="100000", rel_width="20", path_rows="float('nan')")
    estimates.execute("CREATE TABLE ids AS SELECT 1 AS id")
    estimates.execute("ANALYZE ids")
    estimates.notices.take()
    plan = explain(estimates, "SELECT * FROM ids JOIN p USING (id)")
    assert "NaN" not in plan, plan
    assert any("expected rows of get_path_keys()" in m for m in estimates.notices.take())


# ---------- memory across rescans ----------

def backend_vm_hwm_kb(pid):
    """Peak resident memory of a backend, from /proc (the test runs on the server's machine)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for %d" % pid)


def test_memory_bounded_over_100000_parameterized_rescans(conn):
    """The join hands the scan an expression of the outer row (a 1 kB text):
    each rescan evaluates it; 100,000 of them in per-query memory would take
    100 MB, in a context reset per rescan they take one value's worth."""
    make_server(conn, "tests.fdws.hostile.Keyed", name="keyed")
    make_table(conn, "k", "id int, name text", server="keyed")
    conn.execute("CREATE TABLE outer_ids AS SELECT g AS id FROM generate_series(1, 100000) g")
    conn.execute("ANALYZE outer_ids")
    for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material", "jit"):
        conn.execute("SET %s = off" % setting)
    sql = ("SELECT count(*), sum(k.id) FROM outer_ids o "
           "JOIN k ON k.name = repeat('x', 1000) || o.id::text")
    plan = explain(conn, sql)
    assert "Nested Loop" in plan and "Foreign Scan on k" in plan, plan
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    # A warm-up run (Python imports, caches), then the measured one.
    conn.execute(sql + " WHERE o.id <= 1000").fetchone()
    before = backend_vm_hwm_kb(pid)
    expected_sum = sum(1000 + len(str(i)) for i in range(1, 100001))
    assert conn.execute(sql).fetchone() == (100000, expected_sum)
    growth_mb = (backend_vm_hwm_kb(pid) - before) / 1024.0
    assert growth_mb < 20, "peak memory grew by %.1f MB over 100000 rescans" % growth_mb
