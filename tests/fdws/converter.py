"""A test FDW that yields one row of native Python values chosen by the
table option `case` (see CASES), to exercise Python -> PostgreSQL conversion."""

import datetime
import decimal

from multicorn import ForeignDataWrapper

UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))


class Custom(object):
    def __str__(self):
        return "42"


CASES = {
    "ints": lambda: [{"i2": 7, "i4": -2147483648, "i8": 2 ** 62, "b": True, "n": 12345678901234567890}],
    "floats": lambda: [{"f4": 1.5, "f8": 0.1, "n": 0.1, "nd": decimal.Decimal("3.14159265358979323846")}],
    "texts": lambda: [{"t": "héllo ✓ 😀", "vc": "abc", "c": "x"}],
    "times": lambda: [{
        "tz_utc": datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC),
        "tz_plus2": datetime.datetime(2024, 3, 1, 1, 0, tzinfo=PLUS2),
        "tz_naive": datetime.datetime(2024, 6, 1, 12, 0),
        "ts": datetime.datetime(1999, 12, 31, 23, 59, 59),
        "d": datetime.date(2000, 2, 29),
        "tm": datetime.time(13, 14, 15, 16),
    }],
    "json": lambda: [{"j": {"a": [1, 2, {"b": None}], "s": "é"}, "jb": {"z": 1, "a": [True, False, None, 1.25, "x"]},
                      "jl": [1, "two"], "jbs": True, "jbn": 7, "jbstr": '{"from": "str"}',
                      "jbdate": {"when": datetime.date(2024, 1, 2)}, "jbdec": decimal.Decimal("1.10")}],
    "jsonb_keys": lambda: [{"jb": {"bb": 1, "a": 2, 1: "int", "1": "str", "nested": {"z": [], "y": {}}}}],
    "json_exact": lambda: [{"j": {"z": decimal.Decimal("1.10"), "a": [datetime.date(2024, 1, 2), None, True],
                                  "s": 'quote " and \\ and \n'}, "jd": decimal.Decimal("3.14159265358979323846"),
                            "jt": datetime.date(2024, 5, 6)}],
    "arrays": lambda: [{"ta": ["a", None, "c"], "ia": [1, None, 3], "ia2": [[1, 2], [3, 4]],
                        "ea": [], "tsa": [datetime.datetime(2024, 1, 1, tzinfo=UTC)],
                        "ja": [{"a": 1}, [2]], "tup": ("x", "y")}],
    "bytes": lambda: [{"by": b"\x00\x01\xff", "bya": bytearray(b"ab")}],
    "nulls": lambda: [{"i4": None, "t": None, "ta": None, "jb": None}],
    "fallback": lambda: [{"i4": "42", "t": 5, "b": "yes", "ia": "{1,2}", "cust": Custom(),
                          "iv": datetime.timedelta(days=1, hours=2), "d": "2024-05-06",
                          "inet": "10.1.2.3", "num": "1e3"}],
    "tuple_row": lambda: [(1, "a"), [2, "b"]],
    # errors
    "bad_int": lambda: [{"i4": "abc"}],
    "int_overflow": lambda: [{"i2": 100000}],
    "bad_jsonb": lambda: [{"jb": {"x": object()}}],
    "nan_jsonb": lambda: [{"jb": {"x": float("nan")}}],
    "jagged": lambda: [{"ia2": [[1, 2], [3]]}],
    "nul_text": lambda: [{"t": "a\x00b"}],
    "unknown_key": lambda: [{"t": "ok", "nope": 1}],
    "not_a_row": lambda: [42],
    "short_tuple": lambda: [(1,)],
    "varchar_too_long": lambda: [{"vc": "abcdefghijkl"}],
}


class Converter(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Converter, self).__init__(options, columns)
        self.case = options["case"]

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for row in CASES[self.case]():
            yield row
