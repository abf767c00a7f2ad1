"""Every qual shape multicorn2 3.2 delivers, with typed values."""

import pytest

from tests.runtime.helpers import quals_of, recorder


@pytest.fixture
def rec(conn):
    recorder(conn)
    return conn


@pytest.mark.parametrize("where, expected", [
    ("name = 'n2'", ["name = 'n2':str | list=False"]),
    ("id IN (1, 3)", ["id = ANY [1:int, 3:int] | list=True"]),
    ("id = ANY(ARRAY[1, 3])", ["id = ANY [1:int, 3:int] | list=True"]),
    ("id > 3", ["id > 3:int | list=False"]),
    ("3 < id", ["id > 3:int | list=False"]),
    ("name IS NULL", ["name = None:NoneType | list=False"]),
    ("name IS NOT NULL", ["name <> None:NoneType | list=False"]),
    ("id NOT IN (1, 2)", ["id <> ALL [1:int, 2:int] | list=True"]),
    ("id <> ALL(ARRAY[1, 2])", ["id <> ALL [1:int, 2:int] | list=True"]),
    ("name LIKE 'n%'", ["name ~~ 'n%':str | list=False"]),
    ("name ILIKE 'N%'", ["name ~~* 'N%':str | list=False"]),
    ("id BETWEEN 2 AND 4", ["id >= 2:int | list=False", "id <= 4:int | list=False"]),
    ("flag", ["flag = True:bool | list=False"]),
    ("NOT flag", ["flag <> True:bool | list=False"]),
    ("flag IS TRUE", ["flag IS True:bool | list=False"]),
    ("flag IS NOT FALSE", ["flag IS NOT False:bool | list=False"]),
    ("tags @> ARRAY['t2']", ["tags @> ['t2':str] | list=False"]),
    ("score >= 1.5", ["score >= 1.5:float | list=False"]),
])
def test_qual_shapes(rec, where, expected):
    quals, rows = quals_of(rec, "SELECT id FROM t WHERE " + where)
    assert sorted(quals) == sorted(expected)


def test_rows_are_rechecked_by_postgres(rec):
    # The recorder ignores quals and returns every row; PostgreSQL filters.
    _, rows = quals_of(rec, "SELECT id FROM t WHERE id IN (2, 4) ORDER BY id")
    assert rows == [(2,), (4,)]


def test_typed_values_timestamptz_numeric_bigint_date(conn):
    recorder(conn, columns="id int, big bigint, ts timestamptz, n numeric, d date, b bool, t text")
    quals, _ = quals_of(conn, "SELECT id FROM t WHERE big = 5 AND ts >= '2024-01-02 03:04:05+02' "
                              "AND n = 1.10 AND d < '2024-02-01' AND b = true AND t = 'x'")
    assert sorted(quals) == sorted([
        "big = 5:int | list=False",
        "ts >= datetime.datetime(2024, 1, 2, 1, 4, 5, tzinfo=datetime.timezone.utc):datetime | list=False",
        "n = Decimal('1.10'):Decimal | list=False",
        "d < datetime.date(2024, 2, 1):date | list=False",
        "b = True:bool | list=False",
        "t = 'x':str | list=False",
    ])


def test_parameters_and_stable_functions_arrive_as_values(rec):
    quals, _ = quals_of(rec, "SELECT id FROM t WHERE id = %s AND name = lower('N1')", (4,))
    assert "id = 4:int | list=False" in quals
    assert "name = 'n1':str | list=False" in quals


def test_or_and_functions_are_not_pushed_and_not_warned(rec):
    quals, rows = quals_of(rec, "SELECT id FROM t WHERE (id = 1 OR id = 2) AND lower(name) = 'n1'")
    assert quals == []
    assert rows == [(1,)]
    assert not [m for sev, m in rec.notices if sev == "WARNING"]


def test_columns_are_those_needed(rec):
    rec.notices.take()
    rec.execute("SELECT name FROM t WHERE id = 1").fetchall()
    assert "columns id,name" in rec.notices.take()
