"""The catalog: every foreign table ig_fdw offers, as data.

Adding a table means adding an entry here (or in a module imported here);
the FDW core has no per-table code.  `docs/tables.md` is generated from these
entries (`python -m ig_fdw.catalog.docs`).
"""

from collections import OrderedDict

from ig_fdw.catalog.model import Column, InsightsSpec, KeyQual, Source, Table, EQ, IN, RANGE  # noqa: F401
from ig_fdw.catalog import tables as _tables

__all__ = ["TABLES", "get", "names", "Column", "InsightsSpec", "KeyQual", "Source", "Table", "EQ", "IN",
           "RANGE"]

TABLES = OrderedDict((t.name, t) for t in _tables.ALL)


def get(name):
    """The Table named `name`, or None."""
    return TABLES.get(name)


def names():
    return list(TABLES)
