"""The multicorn2 3.2 Python API, as provided by the ig_fdw runtime.

A foreign data wrapper is a Python class deriving from ForeignDataWrapper.
PostgreSQL creates one instance per foreign table and backend (rebuilt when
the table's options or columns change) and calls its methods while it plans
and runs queries.  The same class also runs on upstream multicorn2.

Extensions over upstream (feature-detect them with getattr):
  * multicorn.utils.check_interrupts() raises PostgresError when the statement
    is cancelled; long Python work should call it (it is cheap).
  * Exceptions may carry ``sqlstate`` (a 5-character SQLSTATE), ``hint`` and
    ``detail`` attributes; they become the ERROR's fields.
  * Qual values are typed (int, Decimal, bool, datetime, date, str, list).
"""

import importlib
from collections import namedtuple

__version__ = "3.2"

# Tells the C side that this package is the runtime's own.
_RUNTIME = "ig_fdw-multicorn-runtime"

ANY = object()
ALL = object()


class _Unbound(object):
    """The type of UNBOUND.  It prints as '?', as multicorn2 shows a value
    that is only known at execution (EXPLAIN of a join parameter)."""

    __slots__ = ()

    def __repr__(self):
        return "?"

    __str__ = __repr__

    def __reduce__(self):
        return "UNBOUND"


#: Value of a Qual whose value is not known yet (planning, plain EXPLAIN).
UNBOUND = _Unbound()

try:
    from _multicorn_native import PostgresError
except ImportError:  # outside PostgreSQL (unit tests, documentation)
    class PostgresError(BaseException):
        """A PostgreSQL error raised while Python called into PostgreSQL."""

        sqlstate = None


SortKey = namedtuple("SortKey", ["attname", "attnum", "is_reversed", "nulls_first", "collate"])
SortKey.__doc__ = """One column of a requested sort: name, position, DESC?, NULLS FIRST?, collation."""


class Qual(object):
    """A restriction ``field_name operator value`` from the WHERE clause.

    ``operator`` is a string ('=', '<', '~~', 'IS', ...) or, for
    ``col op ANY/ALL(array)`` (IN lists included), a tuple
    ``(operator, is_any)`` with ``value`` a list.
    """

    __slots__ = ("field_name", "operator", "value")

    def __init__(self, field_name, operator, value):
        self.field_name = field_name
        self.operator = operator
        self.value = value

    @property
    def is_list_operator(self):
        return isinstance(self.operator, tuple)

    @property
    def list_any_or_all(self):
        if not self.is_list_operator:
            return None
        return ANY if self.operator[1] else ALL

    def __repr__(self):
        # The same text as multicorn2's (wrappers log it and show it in EXPLAIN).
        if self.is_list_operator:
            kind = "ANY" if self.operator[1] else "ALL"
            return "%s %s %s(%s)" % (self.field_name, self.operator[0], kind, self.value)
        return "%s %s %s" % (self.field_name, self.operator, self.value)

    def __eq__(self, other):
        return (isinstance(other, Qual) and self.field_name == other.field_name
                and self.operator == other.operator and self.value == other.value)

    def __hash__(self):
        value = tuple(self.value) if isinstance(self.value, list) else self.value
        return hash((self.field_name, self.operator, value))


class ForeignDataWrapper(object):
    """Base class of foreign data wrappers.  Override what you support."""

    #: Planner startup cost of a scan.
    _startup_cost = 20

    def __init__(self, fdw_options, fdw_columns):
        """fdw_options: merged table, server and user mapping options (dict of
        str; user mapping wins).  fdw_columns: {name: ColumnDefinition}."""

    def get_rel_size(self, quals, columns):
        """Estimate (rows, average row width in bytes) of a scan.

        The default is deliberately small (1,000 rows) so that plans over
        foreign tables do not cross PostgreSQL's JIT thresholds.
        """
        return (1000, len(columns) * 100)

    def can_sort(self, sortkeys):
        """Return the leading SortKeys whose order execute() will honour."""
        return []

    def can_limit(self, limit, offset):
        """Return True to receive LIMIT/OFFSET in execute().

        Asked only for single-table queries without WHERE, GROUP BY,
        DISTINCT or window functions whose ORDER BY (if any) is fully pushed.
        When it answers True, PostgreSQL no longer applies LIMIT and OFFSET:
        execute() must skip `offset` rows itself and return at most `limit`.
        """
        return False

    def get_path_keys(self):
        """Declare parameterized access paths: [((column, ...), rows), ...]."""
        return []

    def explain(self, quals, columns, sortkeys=None, verbose=False, limit=None, offset=None):
        """Lines to show under the scan in EXPLAIN."""
        return []

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        """Yield rows: dicts keyed by column name, or sequences with one
        value per table column (in table order)."""
        raise NotImplementedError("%s does not implement execute()" % type(self).__name__)

    # Join pushdown (our runtime only; multicorn2 never calls these).  A wrapper
    # may define the three optional methods below; this base class defines none of
    # them, so that the runtime can tell by hasattr() which wrappers take joins.
    # See docs/runtime.md, "Join pushdown".
    #
    # def get_join_estimate(self, other, clauses, quals, other_quals, columns, other_columns):
    #     Offer to run `self INNER JOIN other` (two foreign tables of one server,
    #     one user mapping) as one scan of self.  other: the other table's wrapper
    #     instance.  clauses: [(column, operator, other_column)], the join's
    #     clauses `self.column <op> other.other_column` between plain columns, in
    #     self's orientation (a clause written the other way round comes with the
    #     commutator operator); other join clauses are not given (PostgreSQL
    #     evaluates them).  quals / other_quals: each table's own Quals exactly
    #     as get_rel_size() gets them (UNBOUND when not known at planning).
    #     columns / other_columns: sets of the column names the query needs of
    #     each table (those of the clauses and quals included).
    #     Return None to decline, or {'rows': n, 'calls': c, 'rounds': r}
    #     (optionally 'width'): the joined rows, and the API calls and sequential
    #     rounds of one execute_join().  Asked for one ordering, then, if it
    #     declines, for the other (other.get_join_estimate(self, ...)).
    #
    # def execute_join(self, other, clauses, quals, other_quals, columns, other_columns):
    #     Yield (row, other_row) pairs, each row as execute() yields one.  Quals
    #     are bound (no UNBOUND).  PostgreSQL rechecks every join clause and every
    #     qual of both tables on each pair, so a superset is fine.
    #
    # def explain_join(self, other, clauses, quals, other_quals, columns, other_columns,
    #                  verbose=False):
    #     Lines for EXPLAIN under the join's Foreign Scan.

    @property
    def rowid_column(self):
        """Name of the column that identifies a row for UPDATE and DELETE.

        None (the default) makes the wrapper read-only: INSERT, UPDATE and
        DELETE fail before any write method is called.
        """
        return None

    @property
    def modify_batch_size(self):
        """Rows per bulk_insert() call; 1 disables batching."""
        return 1

    def insert(self, values):
        raise NotImplementedError("This FDW does not support the writable API")

    def bulk_insert(self, all_values):
        return [self.insert(values) for values in all_values]

    def update(self, oldvalues, newvalues):
        """oldvalues is the rowid column's value (as multicorn2 passes it)."""
        raise NotImplementedError("This FDW does not support the writable API")

    def delete(self, oldvalues):
        """oldvalues is the rowid column's value (as multicorn2 passes it)."""
        raise NotImplementedError("This FDW does not support the writable API")

    def begin(self, serializable):
        pass

    def pre_commit(self):
        pass

    def commit(self):
        pass

    def rollback(self):
        pass

    def sub_begin(self, level):
        pass

    def sub_commit(self, level):
        pass

    def sub_rollback(self, level):
        pass

    def end_scan(self):
        pass

    def end_modify(self):
        pass

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        """Return TableDefinitions for IMPORT FOREIGN SCHEMA."""
        raise NotImplementedError("This FDW does not support IMPORT FOREIGN SCHEMA")


class TransactionAwareForeignDataWrapper(ForeignDataWrapper):
    """Queues writes in ``current_transaction_state`` until the transaction
    ends; subclasses apply the queue in pre_commit().  rollback() drops it."""

    def __init__(self, fdw_options, fdw_columns):
        super(TransactionAwareForeignDataWrapper, self).__init__(fdw_options, fdw_columns)
        self._init_transaction_state()

    def _init_transaction_state(self):
        self.current_transaction_state = []

    def insert(self, values):
        self.current_transaction_state.append(("insert", values))

    def update(self, oldvalues, newvalues):
        self.current_transaction_state.append(("update", (oldvalues, newvalues)))

    def delete(self, oldvalues):
        self.current_transaction_state.append(("delete", oldvalues))

    def rollback(self):
        self._init_transaction_state()


def quote_identifier(value):
    return '"' + value.replace('"', '""') + '"'


def quote_option(value):
    return "'" + str(value).replace("'", "''") + "'"


def _options_clause(options):
    return ", ".join("%s %s" % (quote_identifier(k), quote_option(v))
                     for k, v in sorted(options.items()))


class ColumnDefinition(object):
    """A foreign table column: name, type OID and modifier, formatted type
    name (with modifier), base type name, and its column OPTIONS."""

    def __init__(self, column_name, type_oid=0, typmod=0, type_name="",
                 base_type_name="", options=None):
        self.column_name = column_name
        self.type_oid = type_oid
        self.typmod = typmod
        self.type_name = type_name
        self.base_type_name = base_type_name
        self.options = options or {}

    def __repr__(self):
        return "%s(%s, %s)" % (type(self).__name__, self.column_name, self.type_name)

    def to_statement(self):
        sql = "%s %s" % (quote_identifier(self.column_name), self.type_name)
        if self.options:
            sql += " OPTIONS (%s)" % _options_clause(self.options)
        return sql


class TableDefinition(object):
    """A foreign table to create on IMPORT FOREIGN SCHEMA."""

    def __init__(self, table_name, schema=None, columns=None, options=None):
        self.table_name = table_name
        self.schema = schema
        self.columns = columns or []
        self.options = options or {}

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self.table_name)

    def to_statement(self, schema_name, server_name):
        sql = "CREATE FOREIGN TABLE %s.%s (\n  %s\n) SERVER %s" % (
            quote_identifier(schema_name), quote_identifier(self.table_name),
            ",\n  ".join(c.to_statement() for c in self.columns),
            quote_identifier(server_name))
        if self.options:
            sql += " OPTIONS (%s)" % _options_clause(self.options)
        return sql


def _get_class(path):
    """Import 'package.module.Class' (called by the C side)."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError("wrapper %r must be a dotted path 'package.Class'" % path)
    return getattr(importlib.import_module(module_name), class_name)


#: multicorn2's public name for _get_class (some wrappers dispatch with it).
get_class = _get_class
