"""The Writer: one per foreign table, what InstagramFDW delegates its write
API to.  It owns the statement (rows in order, the first failure stops it,
the NOTICE of what was sent) and the commit queue of WriteMode on_commit
(sent at pre_commit, dropped on ROLLBACK and ROLLBACK TO SAVEPOINT); the
table's handler (`registry.handler_for`) turns each row into Graph calls."""

from ig_fdw import options
from ig_fdw import values as ig_values
from ig_fdw.graph.errors import GraphError
from ig_fdw.writes.errors import MaybeSent, WriteError, reason, sqlstate
from ig_fdw.writes.machinery import Context, plural, settable, shorten
from ig_fdw.writes.registry import handler_for

IMMEDIATE = "immediate"
ON_COMMIT = "on_commit"

VERBS = {"insert": "INSERT INTO", "update": "UPDATE", "delete": "DELETE FROM"}


def write_mode(fdw_options):
    """The WriteMode option, read through the option table (ig_fdw.options); default 'immediate'."""
    given = {k: v for k, v in (fdw_options or {}).items() if str(k).lower() == "writemode"}
    try:
        return options.resolve(given).write_mode
    except options.OptionError as exc:
        raise WriteError(exc.message, exc.sqlstate, exc.hint)


class _Statement(object):
    def __init__(self):
        self.kind = None
        self.rows = 0
        self.sent = []         # [(position, id)]
        self.queued = 0
        self.notes = []


class _Queued(object):
    """A row of WriteMode on_commit waiting for COMMIT: its label and its sender."""

    def __init__(self, kind, label, send):
        self.kind = kind
        self.label = label
        self.send = send


class Writer(object):
    """The write side of one foreign table:

        insert(values) / update(rowid, newvalues) / delete(rowid)
        end_statement()             end of a modifying statement (end_modify)
        pre_commit() / rollback()   transaction hooks
        sub_begin(level) / sub_commit(level) / sub_rollback(level)   savepoints
    """

    def __init__(self, table, conn, notice, fdw_options):
        self.table = table
        self.notice = notice
        self.mode = write_mode(fdw_options)
        self.handler = handler_for(table)
        self.ctx = Context(table, conn, lambda message: self._stmt.notes.append(message))
        self._stmt = _Statement()
        self._queue = []
        self._marks = {}
        self._txn_sent = []      # immediate mode: ids sent by finished statements of this transaction

    @property
    def recent(self):
        return self.ctx.recent

    @recent.setter
    def recent(self, rows):
        """The FDW's RecentRows: UPDATE compares with the scanned row."""
        self.ctx.recent = rows

    # -- the runtime's write API
    def insert(self, values):
        return self._row("insert", None, values)

    def update(self, rowid, newvalues):
        return self._row("update", rowid, newvalues)

    def delete(self, rowid):
        return self._row("delete", rowid, None)

    def end_statement(self):
        st, self._stmt = self._stmt, _Statement()
        for note in st.notes:
            self.notice(note)
        if st.queued:
            self.notice("ig_fdw: %s %s: %d row%s queued, to be sent at COMMIT (WriteMode on_commit; "
                        "nothing is sent on ROLLBACK)" % (VERBS[st.kind], self.table.name, st.queued,
                                                          plural(st.queued)))
        elif st.sent:
            self.notice("ig_fdw: %s %s: %d row%s sent; %s" % (
                VERBS[st.kind], self.table.name, len(st.sent), plural(len(st.sent)), _ids_phrase(st.kind, st.sent)))
            self._txn_sent.extend(i for _, i in st.sent)

    def pre_commit(self):
        self._txn_sent = []
        if not self._queue:
            return
        queue, self._queue, self._marks = self._queue, [], {}
        sent = []
        for n, q in enumerate(queue, 1):
            try:
                result = q.send()
            except (WriteError, GraphError) as exc:
                left = len(queue) - n
                self._raise_failure(
                    "COMMIT stopped while sending the writes queued for %s (WriteMode on_commit): queued row %d "
                    "of %d, %s, was not applied" % (self.table.name, n, len(queue), q.label),
                    exc, sent, q.kind, tail="The COMMIT is aborted; the %d queued row%s after it %s not sent." % (
                        left, plural(left), "were" if left != 1 else "was"))
            sent.append((n, _result_id(result)))
        kinds = set(q.kind for q in queue)
        self.notice("ig_fdw: COMMIT sent the %d queued write%s of %s; %s" % (
            len(sent), plural(len(sent)), self.table.name,
            _ids_phrase(kinds.pop() if len(kinds) == 1 else "mixed", sent)))

    def rollback(self):
        pending, self._queue, self._marks = len(self._queue), [], {}
        # finished statements, plus a statement interrupted after sending rows (a cancel)
        done = self._txn_sent + [i for _, i in self._stmt.sent if i is not None]
        self._txn_sent = []
        self._stmt = _Statement()
        try:
            if done:
                self.notice("ig_fdw: ROLLBACK cannot undo the %d write%s to Instagram already sent through %s "
                            "in this transaction (ids: %s)" % (len(done), plural(len(done)), self.table.name,
                                                               ", ".join(str(i) for i in done)))
            elif pending:
                self.notice("ig_fdw: ROLLBACK: the %d queued write%s for %s %s not sent" % (
                    pending, plural(pending), self.table.name, "were" if pending != 1 else "was"))
        except Exception:   # never fail an abort
            pass

    def sub_begin(self, level):
        self._marks[level] = len(self._queue)

    def sub_commit(self, level):
        self._marks.pop(level, None)

    def sub_rollback(self, level):
        if level in self._marks:
            cut = self._marks[level]
        elif not self._marks:
            cut = 0
        else:
            cut = len(self._queue)
        del self._queue[cut:]
        for lv in [lv for lv in self._marks if lv >= level]:
            del self._marks[lv]
        self._stmt = _Statement()

    # -- one row
    def _row(self, kind, rowid, values):
        st = self._stmt
        st.kind = st.kind or kind
        st.rows += 1
        pos = st.rows
        label = self._label(pos, rowid, values)
        try:
            self._check_operation(kind, values)
            ig_values.check_write(self.table, rowid, values)   # ids go into paths: digits only
            send = getattr(self.handler, "prepare_" + kind)(self.ctx, rowid, values)
        except (WriteError, GraphError, ig_values.InvalidValue) as exc:
            self._fail(pos, label, kind, exc, checked=True)
        if send is None:    # nothing to change (UPDATE that sets the same values)
            return None
        if self.mode == ON_COMMIT:
            self._queue.append(_Queued(kind, label, send))
            st.queued += 1
            return self.handler.queued_result(kind, values)
        try:
            result = send()
        except (WriteError, GraphError) as exc:
            self._fail(pos, label, kind, exc)
        st.sent.append((pos, _result_id(result) or rowid))
        return result

    def _check_operation(self, kind, values):
        """The operation is one the table does, and an INSERT sets only columns it may set."""
        handler, table = self.handler, self.table
        allowed = settable(table, kind) if kind != "delete" else ()
        if handler is None or kind not in table.writable or (kind != "delete" and not allowed):
            ops = [VERBS[k].split()[0] for k in ("insert", "update", "delete") if k in table.writable]
            raise WriteError("%s is not supported on %s" % (VERBS[kind].split()[0], table.name), "0A000",
                             hint=" ".join(x for x in [
                                 "%s supports %s." % (table.name, ", ".join(ops)) if ops else None,
                                 table.writes.other if table.writes is not None else None] if x))
        if kind == "insert":
            extra = [c.name for c in table.columns if values.get(c.name) is not None and c.name not in allowed]
            if extra:
                raise WriteError("column%s %s cannot be set by INSERT INTO %s" % (
                    plural(len(extra)), ", ".join(extra), table.name), "0A000",
                    hint="INSERT INTO %s sets only: %s." % (table.name, ", ".join(allowed)))
            missing = [c for c in table.writes.required if values.get(c) is None]
            if missing:
                raise WriteError("INSERT INTO %s needs %s" % (table.name, " and ".join(missing)), "23502",
                                 hint="Give %s." % ", ".join(table.writes.required))

    def _label(self, pos, rowid, values):
        bits = []
        if rowid is not None:
            bits.append("id %s" % shorten(rowid))
        if values and self.handler is not None and rowid is None:
            for name in self.handler.label_columns:
                v = values.get(name)
                if v is not None:
                    bits.append('%s "%s"' % (name, shorten(v)) if name in ("text", "caption") or
                                isinstance(v, str) and not v.isdigit() else "%s %s" % (name, shorten(v)))
        return "row %d%s" % (pos, " (%s)" % ", ".join(bits) if bits else "")

    def _fail(self, pos, label, kind, exc, checked=False):
        st = self._stmt
        self._stmt = _Statement()
        if self.mode == ON_COMMIT:
            head = "%s %s: %s was not queued: %s." % (VERBS[kind], self.table.name, label, reason(exc))
            tail = "Nothing was sent: %d earlier row%s of this statement %s queued and will not be sent " \
                   "(the statement fails)." % (st.queued, plural(st.queued), "were" if st.queued != 1 else "was") \
                if st.queued else "Nothing was sent."
            # the failed statement's queued rows go away with the statement
            del self._queue[len(self._queue) - st.queued:]
            raise WriteError("%s %s" % (head, tail), sqlstate(exc), getattr(exc, "hint", None),
                             getattr(exc, "detail", None))
        self._raise_failure("%s %s: %s %s" % (
            VERBS[kind], self.table.name, label,
            "was not sent" if checked or not isinstance(exc, MaybeSent) else "may or may not have been sent"),
            exc, st.sent, kind)

    def _raise_failure(self, head, exc, sent, kind, tail=""):
        n = len(sent)
        if sent:
            self.notice("ig_fdw: %s %s: before the failure %d row%s %s sent; %s" % (
                VERBS.get(kind, "writing"), self.table.name, n, plural(n), "were" if n != 1 else "was",
                _ids_phrase(kind, sent)))
            done = "%d earlier row%s %s already sent and stay%s sent (ROLLBACK cannot undo them): %s." % (
                n, plural(n), "were" if n != 1 else "was", "" if n != 1 else "s", _ids_phrase(kind, sent))
        else:
            done = "No earlier row was sent."
        msg = "%s: %s. %s%s" % (head, reason(exc), done, (" " + tail) if tail else "")
        raise WriteError(msg, sqlstate(exc), getattr(exc, "hint", None), getattr(exc, "detail", None))


def _result_id(result):
    if isinstance(result, dict) and result.get("id") is not None:
        return result["id"]
    return None


def _ids_phrase(kind, sent):
    ids = [str(i) for _, i in sent if i is not None]
    word = {"insert": "created ids", "update": "updated ids", "delete": "deleted ids"}.get(kind, "ids")
    return "%s: %s" % (word, ", ".join(ids) if ids else "(none)")
