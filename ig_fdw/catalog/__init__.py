"""The catalog: every foreign table ig_fdw offers, as data.

The entries live in ig_fdw/tables/, one module per table family; adding a
table means adding an entry there and to ig_fdw.tables.ALL.  The FDW core
reaches a table only through the fields of its entry.  `docs/tables.md` is generated from these
entries (`python -m ig_fdw.catalog.docs`).
"""

from collections import OrderedDict

from ig_fdw.catalog.model import Column, InsightsSpec, KeyQual, Source, Table, Writes, EQ, IN, RANGE  # noqa: F401

__all__ = ["TABLES", "get", "names", "Column", "InsightsSpec", "KeyQual", "Source", "Table", "Writes", "EQ",
           "IN", "RANGE"]

_TABLES = None


def _all():
    """name -> Table, built on first use: the table modules import this package's model, so the
    package cannot import them while it loads (whichever of the two is imported first)."""
    global _TABLES
    if _TABLES is None:
        from ig_fdw import tables
        _TABLES = OrderedDict((t.name, t) for t in tables.ALL)
    return _TABLES


def __getattr__(name):
    if name == "TABLES":
        return _all()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def get(name):
    """The Table named `name`, or None."""
    return _all().get(name)


def names():
    return list(_all())


def join_key(parent, child):
    """(parent's id column, child's key column) when `child` declares that
    its rows hang off the rows of `parent` (its Source's ``fan_out`` names
    parent, its ``parent`` the key column) and parent is an edge of the
    account read page by page, both without fixed parameters: the joins
    ig_fdw answers as one stream of parent's pages with the child expanded
    on them (ig_fdw.joins, docs/queries.md); None otherwise."""
    src, psrc = child.source, parent.source
    if src.fan_out != parent.name or child.column(src.parent) is None or src.params or \
            psrc.kind != "edge" or psrc.parent != "account" or psrc.params:
        return None
    ids = [q.column for q in parent.quals if q.role == "id"]
    return (ids[0], src.parent) if ids else None
