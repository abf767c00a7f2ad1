"""Test FDWs whose values fight back (issue 19: runtime hardening).

Hostile: yields one row chosen by the table option `case` (see CASES).  The
values run wrapper code while the runtime converts them (__str__, __eq__,
__hash__, __bool__, a Decimal subclass) and that code clears or grows the
very list or dict being converted.  The runtime must hold references or
snapshots across those calls: each case ends with the row as it was when
yielded, or a clean ERROR naming table and column.  Strings are built at
run time (not literals a code object keeps alive) so that clearing a
container really frees them.

Estimates: get_rel_size(), _startup_cost and get_path_keys() return the
values of the options rel_rows, rel_width, startup_cost, path_rows (Python
expressions, e.g. "float('nan')", "10**400").

Keyed: a parameterized scan (get_path_keys: id) yielding one row per
execution, with the id the join hands over; for the rescan memory test.
"""

import decimal

from multicorn import ForeignDataWrapper


def fresh(text):
    """A new str object that only its containers reference."""
    return "".join(list(text))


class Mut(object):
    """str() runs `action` first (clearing or growing a container)."""

    def __init__(self, action, text="7"):
        self.action = action
        self.text = text

    def __str__(self):
        self.action()
        return self.text

    def __repr__(self):
        return "Mut(%s)" % self.text


class MutDecimal(decimal.Decimal):
    """A Decimal whose str() runs an action first (the runtime reads Decimals through str())."""

    def __new__(cls, text, action):
        self = super(MutDecimal, cls).__new__(cls, text)
        self.action = action
        return self

    def __str__(self):
        self.action()
        return super(MutDecimal, self).__str__()


class EqKey(str):
    """A column-name key whose == clears the row dict it belongs to."""

    row = None

    def __hash__(self):
        return str.__hash__(self)

    def __eq__(self, other):
        if self.row is not None:
            self.row.clear()
        return str.__eq__(self, other)


class HashKey(str):
    """A column-name key whose hash() clears the row dict it belongs to."""

    row = None

    def __hash__(self):
        if self.row is not None:
            self.row.clear()
        return str.__hash__(self)

    def __eq__(self, other):
        return str.__eq__(self, other)


class BadBool(int):
    def __bool__(self):
        raise ValueError("no truth here")


class BadStrDecimal(decimal.Decimal):
    def __str__(self):
        raise RuntimeError("no digits here")


def grow(container, n=5000):
    """An action that makes a list reallocate its item array."""
    return lambda: container.extend(fresh("g%d" % i) for i in range(n))


def list_row_cleared():
    row = []
    row.extend([Mut(lambda: row.clear()), fresh("second")])
    return [row]


def list_row_grown():
    row = []
    row.extend([Mut(grow(row)), fresh("second")])
    return [row]


def dict_row_cleared():
    row = {}
    row[fresh("a")] = Mut(lambda: row.clear())
    row[fresh("b")] = fresh("second")
    return [row]


def dict_row_grown():
    row = {}
    row[fresh("a")] = Mut(lambda: row.update((fresh("k%d" % i), i) for i in range(2000)))
    row[fresh("b")] = fresh("second")
    return [row]


def dict_value_bad_input():
    """The value is freed by its own __str__ before the error message shows it."""
    row = {}
    row[fresh("a")] = fresh("ok")
    row[fresh("i")] = Mut(lambda: row.clear(), text="not a number")
    return [row]


def decimal_clears_row():
    row = {}
    row[fresh("n")] = MutDecimal("12.5", lambda: row.clear())
    row[fresh("b")] = fresh("second")
    return [row]


def array_outer_cleared():
    outer = []
    outer.extend([[Mut(lambda: outer.clear()), fresh("x")], [fresh("y"), fresh("z")]])
    return [{"ta": outer}]


def array_inner_cleared():
    inner = []
    inner.extend([Mut(lambda: inner.clear()), fresh("x")])
    return [{"ta": [inner, [fresh("y"), fresh("z")]]}]


def array_outer_grown():
    outer = []
    outer.extend([Mut(grow(outer)), fresh("x"), fresh("y")])
    return [{"ta1": outer}]


def array_later_row_changed():
    """The second sub-list loses an item while the first is converted: jagged now."""
    second = [fresh("y"), fresh("z")]
    return [{"ta": [[Mut(lambda: second.pop()), fresh("x")], second]}]


def jsonb_list_cleared():
    outer = []
    outer.extend([MutDecimal("1.5", lambda: outer.clear()), fresh("abc"), {fresh("k"): fresh("v")}])
    return [{"jb": outer, "j": list(outer)}]


def jsonb_dict_cleared():
    """Keys point into Python strings until jsonb is built (they are sorted at the end)."""
    d = {}
    d[fresh("long_key_one")] = MutDecimal("2", lambda: d.clear())
    d[fresh("k2")] = fresh("value two")
    d[fresh("another_key")] = [fresh("p"), fresh("q")]
    return [{"jb": d}]


def json_dict_cleared():
    d = {}
    d[fresh("first")] = MutDecimal("3.25", lambda: d.clear())
    d[fresh("second")] = [fresh("p"), {fresh("deep"): fresh("q")}]
    return [{"j": d}]


def json_list_grown():
    outer = []
    outer.extend([MutDecimal("4", grow(outer)), fresh("tail")])
    return [{"j": outer}]


def key_eq_clears():
    row = {}
    key = EqKey(fresh("a"))
    row[key] = fresh("first")
    row[fresh("b")] = fresh("second")
    key.row = row
    return [row]


def key_hash_clears():
    row = {}
    key = HashKey(fresh("a"))
    row[key] = fresh("first")
    row[fresh("b")] = fresh("second")
    key.row = row
    return [row]


def key_eq_raises():
    """Not a column, compared with rowid_column by its raising ==."""
    class Raising(str):
        def __hash__(self):
            return str.__hash__(self)

        def __eq__(self, other):
            raise KeyError("no equality")
    return [{Raising(fresh("zz")): 1, "a": "x"}]


CASES = {
    "list_row_cleared": list_row_cleared,
    "list_row_grown": list_row_grown,
    "dict_row_cleared": dict_row_cleared,
    "dict_row_grown": dict_row_grown,
    "dict_value_bad_input": dict_value_bad_input,
    "decimal_clears_row": decimal_clears_row,
    "array_outer_cleared": array_outer_cleared,
    "array_inner_cleared": array_inner_cleared,
    "array_outer_grown": array_outer_grown,
    "array_later_row_changed": array_later_row_changed,
    "jsonb_list_cleared": jsonb_list_cleared,
    "jsonb_dict_cleared": jsonb_dict_cleared,
    "json_dict_cleared": json_dict_cleared,
    "json_list_grown": json_list_grown,
    "key_eq_clears": key_eq_clears,
    "key_hash_clears": key_hash_clears,
    "key_eq_raises": key_eq_raises,
    "bad_bool": lambda: [{"flag": BadBool(1)}],
    "bad_str_decimal": lambda: [{"n": BadStrDecimal("1.5")}],
    # conversion edges
    "huge_int": lambda: [{"n": 10 ** 5000 + 1, "j": [-(10 ** 5000) - 7], "jb": {"big": 10 ** 4500}, "t": 10 ** 4400}],
    "strided": lambda: [{"by": memoryview(b"a-b-c-")[::2]}],
    "vectors": lambda: [{"iv": [1, 2, 3], "ov": [10, 20], "ive": []}],
    "vector_null": lambda: [{"iv": [1, None]}],
    # 50000 x 50000 elements: two small lists in Python, 2.5e9 elements (an int overflow) in C
    "huge_array": lambda: [{"ia": [[1] * 50000] * 50000}],
}


class Hostile(ForeignDataWrapper):
    rowid_column = "a"

    def __init__(self, options, columns):
        super(Hostile, self).__init__(options, columns)
        self.case = options["case"]

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        if self.case.startswith("decimal:"):
            yield {"n": decimal.Decimal(self.case[len("decimal:"):])}
            return
        if self.case.startswith("str:"):
            yield {"n": self.case[len("str:"):]}
            return
        for row in CASES[self.case]():
            yield row


def _number(options, name):
    """An option read as a Python expression (NaN, infinity, huge ints...); None when unset."""
    if name not in options:
        return None
    return eval(options[name], {"Decimal": decimal.Decimal, "NoFloat": NoFloat})


class Estimates(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Estimates, self).__init__(options, columns)
        self.options = options
        cost = _number(options, "startup_cost")
        if cost is not None:
            self._startup_cost = cost

    def get_rel_size(self, quals, columns):
        return (_number(self.options, "rel_rows"), _number(self.options, "rel_width"))

    def get_path_keys(self):
        rows = _number(self.options, "path_rows")
        return [(("id",), rows)] if "path_rows" in self.options else []

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for i in range(3):
            yield {"id": i, "name": "n%d" % i}


class NoFloat(object):
    def __float__(self):
        raise ValueError("not a float")

    def __repr__(self):
        return "NoFloat()"


class Keyed(ForeignDataWrapper):
    """One row per execution: {id, name} from the value of the id = or name = qual."""

    def get_rel_size(self, quals, columns):
        return (1000000, 40)

    def get_path_keys(self):
        return [(("id",), 1), (("name",), 1)]

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for q in quals:
            if q.field_name == "id" and q.operator == "=":
                yield {"id": q.value, "name": "row %d" % q.value}
                return
            if q.field_name == "name" and q.operator == "=":
                yield {"id": len(q.value), "name": q.value}
                return
