"""Python -> PostgreSQL conversion of every supported type, and its errors."""

import datetime
import decimal
import json

import psycopg
import pytest

from tests.runtime.helpers import make_server, make_table

UTC = datetime.timezone.utc


@pytest.fixture
def conv(conn):
    make_server(conn, "tests.fdws.converter.Converter")
    conn.execute("SET TimeZone = 'Europe/Paris'")
    return conn


def one(conn, columns, case, select="*"):
    conn.execute("DROP FOREIGN TABLE IF EXISTS c")
    make_table(conn, "c", columns, options={"case": case})
    return conn.execute("SELECT %s FROM c" % select).fetchone()


def test_integers_bool_numeric(conv):
    row = one(conv, "i2 int2, i4 int4, i8 int8, b bool, n numeric", "ints")
    assert row == (7, -2147483648, 2 ** 62, True, decimal.Decimal("12345678901234567890"))


def test_floats_and_exact_decimal(conv):
    row = one(conv, "f4 float4, f8 float8, n numeric, nd numeric", "floats")
    assert row == (1.5, 0.1, decimal.Decimal("0.1"), decimal.Decimal("3.14159265358979323846"))


def test_texts_unicode(conv):
    row = one(conv, "t text, vc varchar(5), c char(3)", "texts")
    assert row == ("héllo ✓ 😀", "abc", "x  ")


def test_times(conv):
    row = one(conv, "tz_utc timestamptz, tz_plus2 timestamptz, tz_naive timestamptz, ts timestamp, d date, tm time",
              "times")
    assert row[0] == datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    assert row[1] == datetime.datetime(2024, 2, 29, 23, 0, tzinfo=UTC)
    # a naive datetime for timestamptz is read in the session's TimeZone (Paris, UTC+2 in June)
    assert row[2] == datetime.datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    assert row[3] == datetime.datetime(1999, 12, 31, 23, 59, 59)
    assert row[4] == datetime.date(2000, 2, 29)
    assert row[5] == datetime.time(13, 14, 15, 16)


def test_json_and_jsonb_from_dicts_and_lists(conv):
    row = one(conv, "j json, jb jsonb, jl jsonb, jbs jsonb, jbn jsonb, jbstr jsonb, jbdate jsonb, jbdec jsonb",
              "json", select="j::text, jb, jl, jbs, jbn, jbstr, jbdate, jbdec::text")
    assert json.loads(row[0]) == {"a": [1, 2, {"b": None}], "s": "é"}
    assert row[1] == {"z": 1, "a": [True, False, None, 1.25, "x"]}
    assert row[2] == [1, "two"]
    assert row[3] is True
    assert row[4] == 7
    assert row[5] == {"from": "str"}
    assert row[6] == {"when": "2024-01-02"}
    assert row[7] == "1.10"


def test_json_text_keeps_key_order_and_exact_numbers(conv):
    row = one(conv, "j json, jd json, jt json", "json_exact", select="j::text, jd::text, jt::text")
    assert row[0] == '{"z": 1.10, "a": ["2024-01-02", null, true], "s": "quote \\" and \\\\ and \\n"}'
    assert json.loads(row[0])["s"] == 'quote " and \\ and \n'
    assert row[1] == "3.14159265358979323846"
    assert row[2] == '"2024-05-06"'


def test_jsonb_keys_sorted_and_deduplicated_later_wins(conv):
    row = one(conv, "jb jsonb", "jsonb_keys", select="jb::text")
    assert row == ('{"1": "str", "a": 2, "bb": 1, "nested": {"y": {}, "z": []}}',)


def test_arrays_with_null_elements(conv):
    row = one(conv, "ta text[], ia int[], ia2 int[], ea text[], tsa timestamptz[], ja jsonb[], tup text[]",
              "arrays", select="ta, ia, ia2, ea, tsa, ja::text, tup")
    assert row[0] == ["a", None, "c"]
    assert row[1] == [1, None, 3]
    assert row[2] == [[1, 2], [3, 4]]
    assert row[3] == []
    assert row[4] == [datetime.datetime(2024, 1, 1, tzinfo=UTC)]
    assert row[5] == '{"{\\"a\\": 1}",[2]}'
    assert row[6] == ["x", "y"]


def test_bytes(conv):
    row = one(conv, "by bytea, bya bytea", "bytes")
    assert row == (b"\x00\x01\xff", b"ab")


def test_nulls(conv):
    row = one(conv, "i4 int, t text, ta text[], jb jsonb", "nulls")
    assert row == (None, None, None, None)


def test_fallback_through_input_functions(conv):
    row = one(conv, "i4 int, t text, b bool, ia int[], cust int, iv interval, d date, inet inet, num numeric",
              "fallback", select="i4, t, b, ia, cust, iv::text, d, host(inet), num")
    assert row == (42, "5", True, [1, 2], 42, "1 day 02:00:00", datetime.date(2024, 5, 6), "10.1.2.3",
                   decimal.Decimal("1E+3"))


def test_tuple_and_list_rows(conv):
    conv.execute("DROP FOREIGN TABLE IF EXISTS c")
    make_table(conv, "c", "a int, b text", options={"case": "tuple_row"})
    assert conv.execute("SELECT * FROM c").fetchall() == [(1, "a"), (2, "b")]


@pytest.mark.parametrize("columns, case, fragments", [
    ("i4 int", "bad_int", ['Python str to integer for column "i4" of foreign table "c"', "invalid input syntax",
                           "'abc'"]),
    ("i2 int2", "int_overflow", ['Python int to smallint for column "i2"', "out of range", "100000"]),
    ("jb jsonb", "bad_jsonb", ['column "jb"', "object inside it is not valid in JSON"]),
    ("jb jsonb", "nan_jsonb", ['column "jb"', "NaN"]),
    ("ia2 int[]", "jagged", ['column "ia2"', "matching lengths"]),
    ("t text", "nul_text", ['column "t"', "NUL"]),
    ("vc varchar(5)", "varchar_too_long", ['column "vc"', "too long"]),
])
def test_bad_values_name_table_column_type_value(conv, columns, case, fragments):
    conv.execute("DROP FOREIGN TABLE IF EXISTS c")
    make_table(conv, "c", columns, options={"case": case})
    with pytest.raises(psycopg.Error) as info:
        conv.execute("SELECT * FROM c").fetchall()
    text = str(info.value) + " " + (info.value.diag.message_detail or "")
    for fragment in fragments:
        assert fragment in text, text
    assert conv.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("columns, case, fragment", [
    ("t text", "unknown_key", "the key 'nope' is not a column of the table"),
    ("t text", "not_a_row", "a value of type int"),
    ("a int, b text", "short_tuple", "a tuple of 1 values for 2 columns"),
])
def test_bad_rows_name_the_class(conv, columns, case, fragment):
    conv.execute("DROP FOREIGN TABLE IF EXISTS c")
    make_table(conv, "c", columns, options={"case": case})
    with pytest.raises(psycopg.Error) as info:
        conv.execute("SELECT * FROM c").fetchall()
    assert "tests.fdws.converter.Converter returned a bad row" in str(info.value)
    assert fragment in str(info.value)
    assert conv.execute("SELECT 1").fetchone() == (1,)
