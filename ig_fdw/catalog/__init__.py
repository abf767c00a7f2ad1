"""The catalog: every foreign table ig_fdw offers, as data.

The entries live in ig_fdw/tables/, one module per table family; adding a
table means adding an entry there and to ig_fdw.tables.ALL.  The FDW core
reaches a table only through the fields of its entry.  `docs/tables.md` is generated from these
entries (`python -m ig_fdw.catalog.docs`).
"""

from collections import OrderedDict

from ig_fdw.catalog.model import Column, InsightsSpec, KeyQual, Source, Table, Writes, EQ, IN, RANGE  # noqa: F401
from ig_fdw import tables as _tables

__all__ = ["TABLES", "get", "names", "Column", "InsightsSpec", "KeyQual", "Source", "Table", "Writes", "EQ",
           "IN", "RANGE"]

TABLES = OrderedDict((t.name, t) for t in _tables.ALL)


def get(name):
    """The Table named `name`, or None."""
    return TABLES.get(name)


def names():
    return list(TABLES)
