"""What every write handler builds on: the Handler base class, the Context a
handler works in (the table, the Graph client, the current row, the notes of
the statement) and the generic writes (a repeatable call, a DELETE).

A handler is a stateless object, one per table (the catalog's `writer`):
`prepare_<kind>(w, rowid, values)` checks one row against Instagram's rules,
without any call that changes anything, and returns the function that sends
it (or None when there is nothing to change).  Which columns each operation
may set, which an INSERT must give and the hint for the operations a table
does not offer are the table's declaration (`Table.writes`, in its
ig_fdw/tables/ module), read by `settable()`; a handler adds only the
Instagram rules and the Graph calls.
"""

import collections
import json
import time

from ig_fdw.graph.errors import NotFound
from ig_fdw.rows import build_row, coerce
from ig_fdw.values import segment
from ig_fdw.writes.ambiguous import send_once
from ig_fdw.writes.errors import WriteError

try:  # the runtime's cancel hook (feature-detected: absent on old multicorn2)
    from multicorn.utils import check_interrupts as _check_interrupts
except ImportError:  # pragma: no cover
    _check_interrupts = None

# Signed CDN URLs change on every read: compared only with the row the scan
# produced (when the FDW hands it over, see RecentRows), never with a fresh
# read.  Counters are compared with the fresh read: a like arriving between
# the scan and the UPDATE makes it fail with a hint saying so (rare, safe).
VOLATILE = frozenset({"media_url", "thumbnail_url"})
COUNTERS = frozenset({"like_count", "comments_count"})

POLL_SLICE = 0.05     # seconds between two cancel checks while waiting


def settable(table, kind):
    """The columns an INSERT or UPDATE of `table` may set (catalog: Table.writes)."""
    return tuple(getattr(table.writes, kind, None) or ()) if table.writes is not None else ()


def shorten(text, width=40):
    """The text as shown in an error: one line, at most `width` characters."""
    if text is None:
        return "NULL"
    one = " ".join(str(text).split())
    return one if len(one) <= width else one[:width - 1].rstrip() + "\u2026"


def plural(n):
    return "" if n == 1 else "s"


class Handler(object):
    """The write side of one table family (see the module doc)."""

    label_columns = ()     # columns naming an INSERTed row in errors

    def queued_result(self, kind, values):
        """What RETURNING gets for a row queued by WriteMode on_commit."""
        return {"id": None} if kind == "insert" else None

    def prepare_insert(self, w, rowid, values):
        raise NotImplementedError

    def prepare_update(self, w, rowid, newvalues):
        raise NotImplementedError

    def prepare_delete(self, w, rowid, values=None):
        raise NotImplementedError


def idempotent(call, what):
    """A write that repeating cannot duplicate: sent once more if its answer was lost."""
    return send_once(call, what, resend=True)


def delete(w, rowid, noun):
    """The sender of DELETE /{rowid}; a lost answer is settled by asking again
    ("does not exist" then means the first request landed)."""
    def landed(exc):
        return {"id": rowid} if isinstance(exc, NotFound) else None

    def send():
        try:
            send_once(lambda: w.client.delete(segment(rowid)), "the DELETE of %s %s" % (noun, rowid),
                      resend=True, landed=landed)
        except NotFound:
            raise WriteError("%s %s does not exist (any more)" % (noun, rowid), "42704")
        return {"id": rowid}
    return send


class RecentRows(object):
    """The last rows a scan produced, by id (bounded).  When the FDW feeds its
    scan rows through `wrap()` and hands the object to the writer
    (`writer.recent = ...`), UPDATE compares with the scanned row and needs
    no extra read."""

    def __init__(self, size=1000):
        self.size = size
        self._rows = collections.OrderedDict()

    def wrap(self, rows):
        for row in rows:
            if isinstance(row, dict) and row.get("id") is not None:
                self._rows[str(row["id"])] = row
                self._rows.move_to_end(str(row["id"]))
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
            yield row

    def get(self, rowid):
        return self._rows.get(str(rowid))


class Context(object):
    """What a handler works with for one foreign table: the table, the
    connection (Graph client, accounts), the scanned rows, the ids created so
    far, and the notes of the current statement (`note`)."""

    def __init__(self, table, conn, note):
        self.table = table
        self.conn = conn
        self.note = note
        self.recent = None
        self.created = set()     # ids this writer created (never mistaken for a recovered write)

    @property
    def client(self):
        return self.conn.client

    def current_row(self, rowid, columns):
        """{column: value} of the object as it is now: the scanned row when the
        FDW remembered it, else one GET of the comparable columns."""
        if self.recent is not None:
            row = self.recent.get(rowid)
            if row is not None:
                return dict(row), True
        cols = [c for c in columns if c not in VOLATILE and self._fetchable(c)]
        try:
            obj = self.client.get(segment(rowid), fields=list(dict.fromkeys(self.fields(cols) + ["id"])))
        except NotFound:
            raise WriteError("%s %s does not exist (any more) or is not visible to this token" % (
                self.table.name, rowid), "42704")
        return build_row(self.table, cols, obj, {}), False

    def fields(self, columns):
        """The Graph fields of these columns (nested paths as a{b})."""
        top = collections.OrderedDict()
        for name in columns:
            path = self.table.column(name).source_path.split(".")
            top.setdefault(path[0], set()).update(path[1:2])
        return [("%s{%s}" % (f, ",".join(sorted(subs))) if subs else f) for f, subs in top.items()]

    def _fetchable(self, name):
        col = self.table.column(name)
        return col is not None and (col.origin == "field" or (col.origin == "context" and col.path))

    def read_back(self, obj, names):
        """{column: value} of the given columns found in a Graph object."""
        row = {}
        for name in names:
            col = self.table.column(name)
            if col is not None and obj.get(name) is not None:
                row[name] = coerce(obj.get(name), col.type)
        return row

    def changed_columns(self, rowid, newvalues):
        """The columns whose new value differs from the current one."""
        changed = []
        if "id" in newvalues and newvalues["id"] is not None and str(newvalues["id"]) != str(rowid):
            changed.append("id")
        names = [c.name for c in self.table.columns if c.name != "id" and c.name in newvalues]
        current, _scanned = self.current_row(rowid, names)
        for name in names:
            if name not in current:
                continue
            col = self.table.column(name)
            if not _same(newvalues[name], current[name], col.type):
                changed.append(name)
        return changed

    def check_update(self, rowid, newvalues):
        """The changed settable columns; an error naming any other changed column."""
        allowed = settable(self.table, "update")
        changed = self.changed_columns(rowid, newvalues)
        bad = [c for c in changed if c not in allowed]
        if bad:
            hint = "UPDATE %s can change only: %s." % (self.table.name, ", ".join(allowed))
            if any(c in COUNTERS for c in bad):
                hint += " (If you did not set %s, it changed on Instagram since the row was read: run the " \
                        "UPDATE again.)" % ", ".join(c for c in bad if c in COUNTERS)
            raise WriteError("column%s %s of %s cannot be changed" % (
                plural(len(bad)), ", ".join(bad), self.table.name), "0A000", hint=hint)
        for c in changed:
            if newvalues[c] is None:
                raise WriteError("column %s of %s cannot be set to NULL" % (c, self.table.name), "23502",
                                 hint="Set it to true or false.")
        return changed

    def account_for(self, values):
        """The business account a new object belongs to: the row's, else the only one."""
        acct = values.get("business_account_id")
        if acct:
            return str(acct)
        accounts = self.conn.accounts()
        if len(accounts) != 1:
            raise WriteError("the token sees several business accounts; say which one publishes", "22023",
                             hint="Set business_account_id in the INSERT, or the BusinessAccountId option.")
        return str(accounts[0])

    def own_ids(self):
        """ids the posting account is known by (from.id of its comments); empty when unknown."""
        try:
            return set(str(a) for a in self.conn.accounts())
        except Exception:
            return set()

    def sleep(self, seconds):
        """Wait in short slices, letting a cancel or statement_timeout through."""
        end = time.monotonic() + seconds
        while True:
            if _check_interrupts is not None:
                _check_interrupts()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(POLL_SLICE, left))


def _same(new, old, pgtype):
    if new is None or old is None:
        return new is None and old is None
    if pgtype == "jsonb":
        if isinstance(new, str):
            try:
                new = json.loads(new)
            except ValueError:
                pass
        if isinstance(old, str):
            try:
                old = json.loads(old)
            except ValueError:
                pass
        return new == old
    old = coerce(old, pgtype)
    if pgtype in ("text",):
        return str(new) == str(old)
    try:
        return new == old
    except TypeError:
        return str(new) == str(old)
