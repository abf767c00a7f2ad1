"""Writability is declared once, in the catalog: the writes package reads
which columns INSERT and UPDATE may set from Table.writes, and every table
that takes writes has a handler (and no read-only table has one)."""

from ig_fdw import catalog
from ig_fdw.writes import handler_for
from ig_fdw.writes.machinery import Handler, settable


def test_every_writable_table_has_a_handler_and_only_those():
    for table in catalog.TABLES.values():
        handler = handler_for(table)
        if table.writable:
            assert isinstance(handler, Handler), table.name
        else:
            assert handler is None, table.name


def test_settable_columns_belong_to_operations_the_table_takes():
    for table in catalog.TABLES.values():
        names = {c.name for c in table.columns}
        for kind in ("insert", "update"):
            assert set(settable(table, kind)) <= names, (table.name, kind)
        for kind in ("insert", "update"):
            assert bool(settable(table, kind)) == (kind in table.writable), (table.name, kind)


def test_required_insert_columns_are_settable():
    for table in catalog.TABLES.values():
        if table.writes is not None:
            assert set(table.writes.required) <= set(settable(table, "insert")), table.name


def test_the_declared_columns():
    assert settable(catalog.get("comments"), "insert") == ("media_id", "text")
    assert settable(catalog.get("comments"), "update") == ("hidden",)
    assert settable(catalog.get("ig_media"), "update") == ("is_comment_enabled",)
    assert set(settable(catalog.get("media"), "insert")) == {
        "image_url", "video_url", "cover_url", "children", "share_to_feed", "caption", "media_type",
        "business_account_id"}
