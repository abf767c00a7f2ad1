"""Where the Writer finds a table's write handler.

A table's handler is its catalog entry's `writer` field when the entry has
one.  Until each table family's module declares its own, `_registered()` is
the single place that pairs the writable tables with their handlers; it is
meant to disappear once every writable table carries `writer`."""


def handler_for(table):
    """The write handler of `table` (a machinery.Handler), or None for a read-only table."""
    found = getattr(table, "writer", None)
    if found is not None:
        return found
    return _registered().get(table.name)


def _registered():
    from ig_fdw.writes import comments, publishing
    return {"comments": comments.COMMENTS, "replies": comments.REPLIES,
            "media": publishing.MEDIA, "ig_media": publishing.IG_MEDIA}
