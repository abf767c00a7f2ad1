"""Where the Writer finds a table's write handler: the `writer` of its
catalog entry, a "module:NAME" reference resolved on the first write (so that
the catalog itself never loads the Graph client)."""

from ig_fdw.catalog.model import resolve


def handler_for(table):
    """The write handler of `table` (a machinery.Handler), or None for a read-only table."""
    return resolve(table.writer) if table.writer else None
