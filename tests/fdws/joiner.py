"""Toy wrappers for join pushdown (our runtime's get_join_estimate / execute_join / explain_join).

Two fixed tables, chosen by the table option `table`:
  a (id int, name text, score numeric, ts timestamptz, flag bool, tags text[], b_id int)
  b (id int, label text, amount float8, day date, note text)
with NULLs in a.score, a.b_id and b.note.

`Plain` has no join methods (as every multicorn2 wrapper).  `Joiner` adds them; options:
  accept   'no': get_join_estimate() returns None when this table is `self` (default 'yes')
  mode     'exact' (default): execute_join() applies the clauses and quals it gets;
           'superset': it ignores them and returns every pair (PostgreSQL must filter);
           'raise': it raises an exception;  'badpair': it yields a lone row, not a pair;
           'badkey': its row has a key that is not a column
  calls, rounds   what get_join_estimate() answers (default 1, 1)
  estimate 'raise': get_join_estimate() raises; 'list': it returns a list, not a dict
Every call is reported as a NOTICE, so that a test can count execute() and execute_join() calls.
"""

import datetime
import operator
from decimal import Decimal

from multicorn import ForeignDataWrapper, UNBOUND
from multicorn.utils import log_to_postgres

UTC = datetime.timezone.utc

DATA = {
    "a": [
        {"id": 1, "name": "one", "score": Decimal("1.50"), "ts": datetime.datetime(2024, 1, 1, 12, tzinfo=UTC),
         "flag": True, "tags": ["x", "y"], "b_id": 10},
        {"id": 2, "name": "two", "score": None, "ts": datetime.datetime(2024, 1, 2, tzinfo=UTC),
         "flag": False, "tags": [], "b_id": 20},
        {"id": 3, "name": "three", "score": Decimal("-3.25"), "ts": None,
         "flag": True, "tags": ["z"], "b_id": 10},
        {"id": 4, "name": "four", "score": Decimal("4"), "ts": datetime.datetime(2024, 1, 4, tzinfo=UTC),
         "flag": None, "tags": None, "b_id": None},
        {"id": 5, "name": "five", "score": Decimal("5.5"), "ts": datetime.datetime(2024, 1, 5, tzinfo=UTC),
         "flag": True, "tags": ["q"], "b_id": 30},
    ],
    "b": [
        {"id": 10, "label": "ten", "amount": 1.25, "day": datetime.date(2024, 2, 10), "note": None},
        {"id": 20, "label": "twenty", "amount": 2.5, "day": datetime.date(2024, 2, 20), "note": "n20"},
        {"id": 30, "label": "thirty", "amount": 3.75, "day": None, "note": "n30"},
        {"id": 40, "label": "forty", "amount": 4.0, "day": datetime.date(2024, 2, 29), "note": None},
    ],
}

OPS = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt,
       "<=": operator.le, ">=": operator.ge}


def qual_text(q):
    value = "?" if q.value is UNBOUND else repr(q.value)
    return "%s %s %s" % (q.field_name, q.operator, value)


def holds(op, left, right):
    """SQL's comparison: NULL compares as unknown (not true); unknown operators are not filtered."""
    if op not in OPS:
        return True
    if left is None or right is None:
        return False
    return OPS[op](left, right)


def qual_holds(q, row):
    if q.is_list_operator or q.value is UNBOUND:
        return True                     # not filtered here: PostgreSQL rechecks
    if q.value is None:                 # IS NULL / IS NOT NULL
        return (row[q.field_name] is None) == (q.operator == "=")
    return holds(q.operator, row[q.field_name], q.value)


class Plain(ForeignDataWrapper):
    """A two-table wrapper without the join methods."""

    def __init__(self, options, columns):
        super(Plain, self).__init__(options, columns)
        self.options = options
        self.table = options["table"]

    def get_rel_size(self, quals, columns):
        return (len(DATA[self.table]), 100)

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        log_to_postgres("execute %s [%s]" % (self.table, ", ".join(qual_text(q) for q in quals)))
        for row in DATA[self.table]:
            yield dict(row)


class Joiner(Plain):
    """Plain plus get_join_estimate / execute_join / explain_join."""

    def _describe(self, other, clauses, quals, other_quals, columns, other_columns):
        return "%s JOIN %s on %s | quals %s | other_quals %s | columns %s | other_columns %s" % (
            self.table, other.table, sorted(clauses), [qual_text(q) for q in quals],
            [qual_text(q) for q in other_quals], sorted(columns), sorted(other_columns))

    def get_join_estimate(self, other, clauses, quals, other_quals, columns, other_columns):
        log_to_postgres("get_join_estimate " + self._describe(other, clauses, quals, other_quals,
                                                              columns, other_columns))
        if self.options.get("accept", "yes") != "yes":
            return None
        if self.options.get("estimate") == "raise":
            raise KeyError("no estimate today")
        if self.options.get("estimate") == "list":
            return [5, 1, 1]
        return {"rows": 5, "calls": int(self.options.get("calls", "1")),
                "rounds": int(self.options.get("rounds", "1"))}

    def execute_join(self, other, clauses, quals, other_quals, columns, other_columns):
        log_to_postgres("execute_join " + self._describe(other, clauses, quals, other_quals,
                                                         columns, other_columns))
        mode = self.options.get("mode", "exact")
        if mode == "raise":
            raise ValueError("the join went wrong")
        for row in DATA[self.table]:
            for other_row in DATA[other.table]:
                if mode == "badpair":
                    yield dict(row)
                    continue
                if mode == "badkey":
                    yield ({"nope": 1}, dict(other_row))
                    continue
                if mode == "exact" and not (
                        all(holds(op, row[c], other_row[oc]) for c, op, oc in clauses)
                        and all(qual_holds(q, row) for q in quals)
                        and all(qual_holds(q, other_row) for q in other_quals)):
                    continue
                yield ({k: v for k, v in row.items() if k in columns},
                       {k: v for k, v in other_row.items() if k in other_columns})

    def explain_join(self, other, clauses, quals, other_quals, columns, other_columns, verbose=False):
        yield "join of %s and %s on %s" % (self.table, other.table,
                                           ", ".join("%s %s %s" % c for c in sorted(clauses)))
        yield "quals: %s / %s" % ([qual_text(q) for q in quals], [qual_text(q) for q in other_quals])
        if verbose:
            yield "verbose"
