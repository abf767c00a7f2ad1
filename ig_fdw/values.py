"""Values from SQL on their way into Graph API requests.

Every value a query or a write gives (a WHERE clause, a join parameter, an
INSERT/UPDATE/DELETE id) that ends up in a request path, a batch
``relative_url``, an ``ids=`` list or a field expansion is checked here for
its *kind* first.  The kind of a column is declared in the catalog
(``Column.kind``, see ig_fdw/catalog/model.py); this module is the only place
that knows what each kind accepts, so that a value that is not what its
column stands for (``'me/accounts?x=#'`` as a media id, ``'x){id},name{'``
as a username) is an ERROR before any call, not a request to somewhere else.

Errors use SQLSTATE 22023 (invalid_parameter_value), name the table, the
column and the expected form, and quote at most a short prefix of the value
(docs/troubleshooting.md).
"""

import re
from urllib.parse import quote

try:    # the runtime's "value not known yet" (planning, plain EXPLAIN); bound before execute()
    from multicorn import UNBOUND
except ImportError:  # pragma: no cover (upstream multicorn2 before 3.2, unit tests)
    UNBOUND = object()

SQLSTATE = "22023"      # invalid_parameter_value

#: kind -> (pattern the whole value must match, what the user should give)
KINDS = {
    # Graph and Instagram object ids are decimal digits (media, comments, accounts, pages, hashtags).
    "graph_id": (re.compile(r"[0-9]{1,32}\Z"), "a Graph API object id: decimal digits only, e.g. '17895695668004550'"),
    # Instagram usernames: letters, digits, '.' and '_', at most 30 characters.
    "username": (re.compile(r"(?!\.)(?!.*\.\.)(?!.*\.\Z)[A-Za-z0-9._]{1,30}\Z"),
                 "an Instagram username: 1 to 30 letters, digits, '_' or single '.' inside (without '@')"),
    # Hashtag names: letters (any script), digits and '_'; sent as the q= value, percent-encoded.
    "hashtag": (re.compile(r"\w{1,100}\Z", re.UNICODE),
                "a hashtag name without '#': letters, digits or '_', at most 100 characters"),
    # Insights metric names, periods, metric types, timeframes.
    "name": (re.compile(r"[a-z][a-z0-9_]{0,63}\Z"),
             "a name of lower-case letters, digits and '_' (e.g. 'reach', 'day', 'total_value')"),
    # Breakdowns: one or more names separated by commas ('age,gender').
    "names": (re.compile(r"[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63}){0,7}\Z"),
              "names of lower-case letters, digits and '_' separated by commas (e.g. 'age,gender')"),
}

#: kinds whose values are free text handled by their own code (OAuth procedure inputs)
FREE = ("text",)


class InvalidValue(Exception):
    """A value that is not of its column's kind (SQLSTATE 22023)."""

    sqlstate = SQLSTATE

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.hint = hint


def shown(value, size=40):
    """A short, printable quotation of a (possibly huge or hostile) value."""
    text = str(value)
    cut = text[:size]
    return repr(cut) + ("... (%d characters)" % len(text) if len(text) > size else "")


def check(kind, value, table, column):
    """``value`` as text when it is of ``kind``; InvalidValue naming the
    column and the expected form otherwise."""
    if value is None or value is UNBOUND or kind is None or kind in FREE:
        return value
    text = _text(value)
    pattern, expected = KINDS[kind]
    if not pattern.match(text):
        raise InvalidValue("invalid value for column %s.%s: %s is not %s" % (table, column, shown(text), expected),
                           hint="ig_fdw puts %s.%s into Graph API requests and accepts only that form; "
                                "nothing was sent." % (table, column))
    return text


def check_column(table, column_name, value):
    """Check one value against the kind the catalog declares for the column
    and, for a control column (period, metric_type, ...), its allowed values."""
    col = table.column(column_name)
    text = check(col.kind if col is not None else None, value, table.name, column_name)
    if col is not None and col.origin == "control" and col.choices and value is not UNBOUND \
            and value not in col.choices:
        raise _not_a_choice(table, col, value)
    return text


def _not_a_choice(table, column, value):
    """Refused when the query is planned, before any call to the API; the hint offers the closest value."""
    import difflib
    near = difflib.get_close_matches(value, column.choices, n=1, cutoff=0.5)
    return InvalidValue("invalid value for column %s of table %s: '%s'" % (column.name, table.name, value),
                        hint="%s%s must be one of: %s (see docs/tables.md)." % (
                            "Perhaps you meant '%s'. " % near[0] if near else "", column.name,
                            ", ".join(column.choices)))


def check_filters(table, filters):
    """Every '=' / IN value of every pushed filter (planner Filter objects)."""
    for name, f in filters.items():
        for value in f.values or ():
            check_column(table, name, value)


def check_write(table, rowid, values):
    """The row id of an UPDATE/DELETE and the key columns an INSERT sets."""
    if rowid is not None:
        check_column(table, "id", rowid)
    for name, value in (values or {}).items():
        col = table.column(name)
        if col is not None and col.kind is not None and not isinstance(value, (list, tuple, dict)):
            check(col.kind, value, table.name, name)


def segment(value):
    """One path segment, percent-encoded (a checked id is unchanged): nothing
    in a value can add a segment, a query or a fragment."""
    return quote(str(value), safe="")


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
