"""INSERT, UPDATE and DELETE on the Instagram tables (issue 7).

`Writer(table, conn, notice, fdw_options)` is what InstagramFDW delegates
its write API to (one per foreign table instance):

    insert(values) / update(rowid, newvalues) / delete(rowid)
    end_statement()             end of a modifying statement (end_modify)
    pre_commit() / rollback()   transaction hooks
    sub_begin(level) / sub_commit(level) / sub_rollback(level)   savepoints

What each table accepts is declared in `SPECS`; the Graph calls are in the
`_Comments`, `_Replies`, `_IgMedia` and `_Media` classes.

Semantics (docs/writes.md):

* Rows are sent in the order PostgreSQL hands them over, one call (or one
  publishing sequence) per row.  The first failing row stops the statement:
  the ERROR names the row (its position in the statement and its text) and
  says how many rows were already sent, and a NOTICE lists their ids.  The
  Graph API is not transactional: ROLLBACK cannot undo calls already made.
* WriteMode 'on_commit' (table, server or user mapping option) queues the
  rows instead and sends them at pre_commit, in order; nothing is sent on
  ROLLBACK; RETURNING gets NULL ids.
* A POST that may have landed (AmbiguousWrite) is never repeated blindly:
  comments and replies are looked up (same text, by the account, newest
  first); idempotent writes (hide, comment_enabled, DELETE, media_publish of
  one container) are repeated once, since repeating them cannot duplicate.
"""

import collections
import json
import re
import time

from ig_fdw import comment_rules
from ig_fdw import values as ig_values
from ig_fdw.values import segment
from ig_fdw.comment_rules import shorten
from ig_fdw.graph.errors import AmbiguousWrite, GraphError, NotFound
from ig_fdw.rows import build_row, coerce
from ig_fdw.catalog.model import resolve

try:  # the runtime's cancel hook (feature-detected: absent on old multicorn2)
    from multicorn.utils import check_interrupts as _check_interrupts
except ImportError:  # pragma: no cover
    _check_interrupts = None

WRITE_MODE_OPTION = "WriteMode"
IMMEDIATE = "immediate"
ON_COMMIT = "on_commit"
WRITE_MODES = (IMMEDIATE, ON_COMMIT)

# Signed CDN URLs change on every read: compared only with the row the scan
# produced (when the FDW hands it over, see RecentRows), never with a fresh
# read.  Counters are compared with the fresh read: a like arriving between
# the scan and the UPDATE makes it fail with a hint saying so (rare, safe).
VOLATILE = frozenset({"media_url", "thumbnail_url"})
COUNTERS = frozenset({"like_count", "comments_count"})

# Publishing: polling the container (Meta: poll up to ~5 minutes).
POLL_DELAYS = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
POLL_MAX_DELAY = 10.0
POLL_TIMEOUT = 300.0
POLL_SLICE = 0.05
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")

# How deep to look for a comment that may have landed (newest first).
RECOVERY_WINDOW = 25

VERBS = {"insert": "INSERT INTO", "update": "UPDATE", "delete": "DELETE FROM"}


class WriteError(Exception):
    """An error of a write; `sqlstate`, `hint`, `detail` go to ereport()."""

    def __init__(self, message, sqlstate="HV000", hint=None, detail=None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.hint = hint
        self.detail = detail

    def __str__(self):
        return self.message


class RuleViolation(WriteError):
    """An Instagram rule the row breaks; nothing was sent for it."""

    def __init__(self, rule, why, sqlstate="23514", hint=None):
        super().__init__('breaks the rule "%s": %s' % (rule, why), sqlstate, hint)
        self.rule = rule


class MaybeSent(WriteError):
    """The request may or may not have been applied."""

    def __init__(self, message, hint=None):
        super().__init__(message, "40003", hint or (
            "Check on Instagram (or SELECT the table) whether it was applied before sending it again."))


def write_mode(fdw_options):
    """The WriteMode option (case-insensitive name and value); default 'immediate'."""
    for key, value in (fdw_options or {}).items():
        if str(key).lower() == WRITE_MODE_OPTION.lower():
            v = str(value).strip().lower().replace("-", "_")
            if v in WRITE_MODES:
                return v
            raise WriteError('invalid value for option "%s": "%s"' % (WRITE_MODE_OPTION, value), "22023",
                             hint="%s must be one of: %s." % (WRITE_MODE_OPTION, ", ".join(WRITE_MODES)))
    return IMMEDIATE


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


# ------------------------------------------------------------------ writer

class _Statement(object):
    def __init__(self):
        self.kind = None
        self.rows = 0
        self.sent = []         # [(position, id)]
        self.queued = 0
        self.notes = []


class _Queued(object):
    def __init__(self, kind, statement_no, position, label, send):
        self.kind = kind
        self.statement_no = statement_no
        self.position = position
        self.label = label
        self.send = send


class Writer(object):
    """The write side of one foreign table (see the module doc)."""

    def __init__(self, table, conn, notice, fdw_options):
        self.table = table
        self.conn = conn
        self.notice = notice
        self.mode = write_mode(fdw_options)
        self.spec = table.writes      # what the table accepts, declared with it (ig_fdw/tables/)
        self.handler = resolve(table.writer)(self) if table.writer else None
        self.recent = None
        self._stmt = _Statement()
        self._statement_no = 0
        self._queue = []
        self._marks = {}
        self._txn_sent = []      # immediate mode: ids sent by finished statements of this transaction
        self.created = set()     # ids this writer created (never mistaken for a recovered write)

    # -- the runtime's write API
    def insert(self, values):
        return self._row("insert", None, values)

    def update(self, rowid, newvalues):
        return self._row("update", rowid, newvalues)

    def delete(self, rowid):
        return self._row("delete", rowid, None)

    def end_statement(self):
        st, self._stmt = self._stmt, _Statement()
        self._statement_no += 1 if st.rows else 0
        for note in st.notes:
            self.notice(note)
        if st.queued:
            self.notice("ig_fdw: %s %s: %d row%s queued, to be sent at COMMIT (WriteMode on_commit; "
                        "nothing is sent on ROLLBACK)" % (VERBS[st.kind], self.table.name, st.queued,
                                                          _s(st.queued)))
        elif st.sent:
            self.notice("ig_fdw: %s %s: %d row%s sent; %s" % (
                VERBS[st.kind], self.table.name, len(st.sent), _s(len(st.sent)), _ids_phrase(st.kind, st.sent)))
            self._txn_sent.extend(i for _, i in st.sent)

    def pre_commit(self):
        self._txn_sent = []
        self._statement_no = 0
        if not self._queue:
            return
        queue, self._queue, self._marks = self._queue, [], {}
        sent = []
        for n, q in enumerate(queue, 1):
            try:
                result = q.send()
            except (WriteError, GraphError) as exc:
                self._raise_failure(
                    "COMMIT stopped while sending the writes queued for %s (WriteMode on_commit): queued row %d "
                    "of %d, %s, was not applied" % (self.table.name, n, len(queue), q.label),
                    exc, sent, q.kind, tail="The COMMIT is aborted; the %d queued row%s after it %s not sent." % (
                        len(queue) - n, _s(len(queue) - n), "were" if len(queue) - n != 1 else "was"))
            sent.append((n, _result_id(result, q)))
        kinds = set(q.kind for q in queue)
        self.notice("ig_fdw: COMMIT sent the %d queued write%s of %s; %s" % (
            len(sent), _s(len(sent)), self.table.name,
            _ids_phrase(kinds.pop() if len(kinds) == 1 else "mixed", sent)))

    def rollback(self):
        pending, self._queue, self._marks = len(self._queue), [], {}
        # finished statements, plus a statement interrupted after sending rows (a cancel)
        done = self._txn_sent + [i for _, i in self._stmt.sent if i is not None]
        self._txn_sent = []
        self._stmt = _Statement()
        self._statement_no = 0
        try:
            if done:
                self.notice("ig_fdw: ROLLBACK cannot undo the %d write%s to Instagram already sent through %s "
                            "in this transaction (ids: %s)" % (len(done), _s(len(done)), self.table.name,
                                                               ", ".join(str(i) for i in done)))
            elif pending:
                self.notice("ig_fdw: ROLLBACK: the %d queued write%s for %s %s not sent" % (
                    pending, _s(pending), self.table.name, "were" if pending != 1 else "was"))
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
            send = getattr(self.handler, "prepare_" + kind)(rowid, values)
        except (WriteError, GraphError, ig_values.InvalidValue) as exc:
            self._fail(pos, label, kind, exc, checked=True)
        if send is None:    # nothing to change (UPDATE that sets the same values)
            return None
        if self.mode == ON_COMMIT:
            self._queue.append(_Queued(kind, self._statement_no + 1, pos, label, send))
            st.queued += 1
            return self.handler.queued_result(kind, values)
        try:
            result = send()
        except (WriteError, GraphError) as exc:
            self._fail(pos, label, kind, exc)
        rid = _result_id(result, None) or rowid
        st.sent.append((pos, rid))
        return result

    def _check_operation(self, kind, values):
        spec = self.spec
        allowed = getattr(spec, kind) if spec is not None and kind != "delete" else None
        can = spec is not None and kind in self.table.writable and (kind == "delete" or allowed is not None)
        if not can:
            ops = [VERBS[k].split()[0] for k in ("insert", "update", "delete") if k in self.table.writable]
            raise WriteError("%s is not supported on %s" % (VERBS[kind].split()[0], self.table.name), "0A000",
                             hint=" ".join(x for x in [
                                 "%s supports %s." % (self.table.name, ", ".join(ops)) if ops else None,
                                 spec.other if spec is not None else None] if x))
        if kind == "insert":
            extra = [c.name for c in self.table.columns
                     if values.get(c.name) is not None and c.name not in allowed]
            if extra:
                raise WriteError("column%s %s cannot be set by INSERT INTO %s" % (
                    _s(len(extra)), ", ".join(extra), self.table.name), "0A000",
                    hint="INSERT INTO %s sets only: %s." % (self.table.name, ", ".join(allowed)))
            missing = [c for c in spec.required if values.get(c) is None]
            if missing:
                raise WriteError("INSERT INTO %s needs %s" % (self.table.name, " and ".join(missing)), "23502",
                                 hint="Give %s." % ", ".join(spec.required))

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
            head = "%s %s: %s was not queued: %s." % (VERBS[kind], self.table.name, label, _reason(exc))
            tail = "Nothing was sent: %d earlier row%s of this statement %s queued and will not be sent " \
                   "(the statement fails)." % (st.queued, _s(st.queued), "were" if st.queued != 1 else "was") \
                if st.queued else "Nothing was sent."
            # the failed statement's queued rows go away with the statement
            del self._queue[len(self._queue) - st.queued:]
            raise WriteError("%s %s" % (head, tail), _sqlstate(exc), getattr(exc, "hint", None),
                             getattr(exc, "detail", None))
        self._raise_failure("%s %s: %s %s" % (
            VERBS[kind], self.table.name, label,
            "was not sent" if checked or not isinstance(exc, MaybeSent) else "may or may not have been sent"),
            exc, st.sent, kind)

    def _raise_failure(self, head, exc, sent, kind, tail=""):
        if sent:
            self.notice("ig_fdw: %s %s: before the failure %d row%s %s sent; %s" % (
                VERBS.get(kind, "writing"), self.table.name, len(sent), _s(len(sent)),
                "were" if len(sent) != 1 else "was", _ids_phrase(kind, sent)))
            done = "%d earlier row%s %s already sent and stay%s sent (ROLLBACK cannot undo them): %s." % (
                len(sent), _s(len(sent)), "were" if len(sent) != 1 else "was", "" if len(sent) != 1 else "s",
                _ids_phrase(kind, sent))
        else:
            done = "No earlier row was sent."
        msg = "%s: %s. %s%s" % (head, _reason(exc), done, (" " + tail) if tail else "")
        raise WriteError(msg, _sqlstate(exc), getattr(exc, "hint", None), getattr(exc, "detail", None))

    # -- shared helpers for the handlers
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
        from ig_fdw.planner import graph_fields
        cols = [c for c in columns if c not in VOLATILE and self._fetchable(c)]
        fields = graph_fields(self.table, cols)
        try:
            obj = self.client.get(segment(rowid), fields=list(dict.fromkeys(fields + ["id"])))
        except NotFound:
            raise WriteError("%s %s does not exist (any more) or is not visible to this token" % (
                self.table.name, rowid), "42704")
        return build_row(self.table, cols, obj, {}), False

    def _fetchable(self, name):
        col = self.table.column(name)
        return col is not None and (col.origin == "field" or (col.origin == "context" and col.path))

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
        """The changed writable columns; an error naming any other changed column."""
        allowed = self.spec.update
        changed = self.changed_columns(rowid, newvalues)
        bad = [c for c in changed if c not in allowed]
        if bad:
            hint = "UPDATE %s can change only: %s." % (self.table.name, ", ".join(allowed))
            if any(c in COUNTERS for c in bad):
                hint += " (If you did not set %s, it changed on Instagram since the row was read: run the " \
                        "UPDATE again.)" % ", ".join(c for c in bad if c in COUNTERS)
            raise WriteError("column%s %s of %s cannot be changed" % (_s(len(bad)), ", ".join(bad), self.table.name),
                             "0A000", hint=hint)
        for c in changed:
            if newvalues[c] is None:
                raise WriteError("column %s of %s cannot be set to NULL" % (c, self.table.name), "23502",
                                 hint="Set it to true or false.")
        return changed

    def note(self, message):
        self._stmt.notes.append(message)

    def account_for(self, values):
        acct = values.get("business_account_id")
        if acct:
            return str(acct)
        accounts = self.conn.accounts()
        if len(accounts) != 1:
            raise WriteError("the token sees several business accounts; say which one publishes", "22023",
                             hint="Set business_account_id in the INSERT, or the BusinessAccountId option.")
        return str(accounts[0])

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


# ------------------------------------------------------------------ tables

class _Handler(object):
    label_columns = ()

    def __init__(self, writer):
        self.w = writer

    def queued_result(self, kind, values):
        return {"id": None} if kind == "insert" else None

    def prepare_update(self, rowid, newvalues):
        raise NotImplementedError

    def prepare_insert(self, rowid, values):
        raise NotImplementedError

    def prepare_delete(self, rowid, values=None):
        raise NotImplementedError

    def _idempotent(self, call, what):
        """A write that repeating cannot duplicate: repeat once if ambiguous."""
        try:
            return call()
        except AmbiguousWrite:
            try:
                return call()
            except AmbiguousWrite as exc:
                raise MaybeSent("%s may or may not have been applied (the connection failed twice after "
                                "the request was sent: %s)" % (what, exc.message))

    def _delete(self, rowid, noun):
        def send():
            try:
                self.w.client.delete(segment(rowid))
            except NotFound:
                raise WriteError("%s %s does not exist (any more)" % (noun, rowid), "42704")
            except AmbiguousWrite:
                # repeating a DELETE cannot duplicate anything; "does not exist"
                # now means the first request landed
                try:
                    self.w.client.delete(segment(rowid))
                except NotFound:
                    pass
                except AmbiguousWrite as exc:
                    raise MaybeSent("the DELETE of %s %s may or may not have been applied (the connection failed "
                                    "twice after the request was sent: %s)" % (noun, rowid, exc.message))
            return {"id": rowid}
        return send


class _CommentLike(_Handler):
    noun = "comment"

    def prepare_update(self, rowid, newvalues):
        changed = self.w.check_update(rowid, newvalues)
        if "hidden" not in changed:
            return None
        hide = bool(newvalues["hidden"])

        def send():
            self._idempotent(lambda: self.w.client.post(segment(rowid), {"hide": "true" if hide else "false"}),
                             "hiding %s %s" % (self.noun, rowid))
            return {"id": rowid, "hidden": hide}
        return send

    def prepare_delete(self, rowid, values=None):
        return self._delete(rowid, self.noun)

    def _rules(self, values):
        bad = comment_rules.comment_violation(values.get("text"))
        if bad:
            raise RuleViolation(*bad, hint="Instagram comments and replies: at most 300 characters, 4 hashtags "
                                           "and 1 URL, and not all in capitals.")

    def _post(self, path, text, recover, what):
        try:
            body = self.w.client.post(path, {"message": text})
        except AmbiguousWrite as exc:
            found = recover()
            if found is None:
                raise MaybeSent("the %s may or may not have been posted: the connection failed after the request "
                                "was sent (%s), and no %s with this text by the account was found afterwards"
                                % (what, exc.message, what))
            self.w.note("ig_fdw: %s: the connection failed after posting a %s; %s %s with the same text by the "
                        "account was found and taken as the result (not posted again)" % (
                            self.w.table.name, what, what, found))
            body = {"id": found}
        cid = str(body["id"])
        self.w.created.add(cid)
        return cid

    def _own_ids(self):
        """ids the posting account is known by (from.id of its comments)."""
        try:
            return set(str(a) for a in self.w.conn.accounts())
        except Exception:
            return set()

    def _match(self, items, text):
        own = self._own_ids()
        for it in items:
            cid = str(it.get("id"))
            if it.get("text") != text or cid in self.w.created:
                continue
            who = str((it.get("from") or {}).get("id") or "")
            if own and who and who not in own:
                continue
            return cid
        return None


class _Comments(_CommentLike):
    label_columns = ("media_id", "text")

    def prepare_insert(self, rowid, values):
        self._rules(values)
        media_id, text = str(values["media_id"]), str(values["text"])

        def recover():
            body = self.w.client.get("%s/comments" % segment(media_id), params={"limit": RECOVERY_WINDOW},
                                     fields=["id", "text", "from{id}", "timestamp"])
            return self._match(body.get("data") or [], text)    # newest first

        def send():
            cid = self._post("%s/comments" % segment(media_id), text, recover, "comment")
            return {"id": cid, "media_id": media_id, "text": text}
        return send


class _Replies(_CommentLike):
    noun = "reply"
    label_columns = ("comment_id", "text")

    def prepare_insert(self, rowid, values):
        self._rules(values)
        parent, text = str(values["comment_id"]), str(values["text"])
        try:
            obj = self.w.client.get(segment(parent), fields=["id", "hidden", "parent_id"])
        except NotFound:
            raise WriteError("comment %s does not exist or is not visible to this token" % parent, "23503")
        if obj.get("parent_id"):
            raise RuleViolation("no replies to replies",
                                "comment %s is itself a reply (to %s); Instagram would attach the reply to the "
                                "top-level comment" % (parent, obj["parent_id"]),
                                hint="Reply to the top-level comment: comment_id = '%s'." % obj["parent_id"])
        if obj.get("hidden"):
            raise RuleViolation("no replies to hidden comments", "comment %s is hidden" % parent,
                                hint="Unhide it first (UPDATE comments SET hidden = false WHERE id = '%s')." % parent)

        def recover():
            items = list(self.w.client.paginate("%s/replies" % segment(parent), fields=["id", "text", "from{id}"]))
            return self._match(list(reversed(items))[:RECOVERY_WINDOW], text)   # oldest first -> newest first

        def send():
            rid = self._post("%s/replies" % segment(parent), text, recover, "reply")
            return {"id": rid, "comment_id": parent, "text": text}
        return send


class _IgMedia(_Handler):
    def prepare_update(self, rowid, newvalues):
        changed = self.w.check_update(rowid, newvalues)
        if "is_comment_enabled" not in changed:
            return None
        on = bool(newvalues["is_comment_enabled"])

        def send():
            self._idempotent(lambda: self.w.client.post(segment(rowid), {"comment_enabled": "true" if on else "false"}),
                             "setting comment_enabled of media %s" % rowid)
            return {"id": rowid, "is_comment_enabled": on}
        return send

    def prepare_delete(self, rowid, values=None):
        return self._delete(rowid, "media")


# ------------------------------------------------------------------ publishing

# 2207xxx subcodes of the publishing API (reference §3.2): message, hint.
PUBLISH_ERRORS = {
    2207001: ("Instagram's server could not process the media", "Try again later."),
    2207003: ("downloading the media from its URL took too long", "Host the file on a faster public server."),
    2207004: ("the image is too large (at most 8 MiB)", "Send a smaller JPEG."),
    2207005: ("the media format is not supported", "Images must be JPEG; videos MP4/MOV (H.264, AAC)."),
    2207006: ("the media container was not found", "Create the post again (a new INSERT)."),
    2207008: ("the media container was already published", "Look for the post in media; do not publish twice."),
    2207009: ("the image's aspect ratio is not allowed (between 4:5 and 1.91:1)", "Crop the image."),
    2207010: ("the caption is too long (at most 2,200 characters, 30 hashtags, 20 @tags)", "Shorten the caption."),
    2207020: ("the media container expired before it was published (24 hours)", "Create the post again."),
    2207023: ("the media type is not supported", "media_type is IMAGE (or NULL), CAROUSEL, REELS or STORIES."),
    2207026: ("the video format is not supported", "Use MP4/MOV, H.264, AAC, within the duration limits."),
    2207027: ("the media is not ready to be published yet", "Try again in a moment."),
    2207028: ("the carousel is not valid (2 to 10 image or video items of this account)",
              "Give children 2 to 10 URLs."),
    2207032: ("creating the media container failed", "Try again later."),
    2207042: ("the publishing quota of the account is used up (posts per 24 hours)",
              "Wait until older posts leave the 24-hour window; SELECT * FROM content_publishing_limit shows it."),
    2207050: ("the Instagram account is restricted or inactive", "Log in to the Instagram app and resolve it."),
    2207051: ("Instagram flagged the post as spam", "Change the content; do not repeat identical posts."),
    2207052: ("Instagram could not fetch the media from its URL", "The URL must be public, direct and reachable."),
    2207053: ("an unknown upload error occurred", "Create the post again."),
}
_SUBCODE_RE = re.compile(r"\b(2207\d{3})\b")


def publish_error(subcode, fallback, where):
    msg, hint = PUBLISH_ERRORS.get(subcode, (fallback, "See the Graph API publishing error codes."))
    return WriteError("publishing failed %s: %s (subcode %s)" % (where, msg, subcode) if subcode else
                      "publishing failed %s: %s" % (where, msg),
                      "53400" if subcode == 2207042 else "22023" if subcode in (
                          2207004, 2207005, 2207009, 2207010, 2207023, 2207026, 2207028) else "HV000",
                      hint=hint)


class _Media(_Handler):
    label_columns = ("media_type", "image_url", "video_url", "caption")

    def queued_result(self, kind, values):
        return {"id": None, "permalink": None}

    def prepare_insert(self, rowid, values):
        v = dict(values)
        children = v.get("children")
        if isinstance(children, str):
            children = [c.strip() for c in children.strip("{}").split(",") if c.strip()]
        mtype = (v.get("media_type") or "").strip().upper() or None
        if mtype in ("CAROUSEL_ALBUM", "CAROUSEL") or (mtype is None and children):
            mtype = "CAROUSEL"
        elif mtype in ("REEL", "REELS") or (mtype == "VIDEO" and v.get("video_url")) or (
                mtype is None and v.get("video_url")):
            mtype = "REELS"
        elif mtype in ("STORY", "STORIES"):
            mtype = "STORIES"
        elif mtype in (None, "IMAGE"):
            mtype = "IMAGE"
        else:
            raise WriteError("media_type %s cannot be published" % v.get("media_type"), "22023",
                             hint="media_type is IMAGE (or NULL), CAROUSEL, REELS or STORIES.")
        image, video = v.get("image_url"), v.get("video_url")
        if mtype == "CAROUSEL":
            if image or video:
                raise WriteError("a carousel takes its items in children, not image_url/video_url", "22023",
                                 hint="children => ARRAY['https://.../1.jpg', 'https://.../2.mp4']")
            if not children or not 2 <= len(children) <= 10:
                raise RuleViolation("carousel of 2 to 10 items", "children has %d item%s" % (
                    len(children or []), _s(len(children or []))), hint="Give children 2 to 10 image or video URLs.")
        elif children:
            raise WriteError("children is only for carousels (media_type CAROUSEL)", "22023")
        elif mtype == "IMAGE" and not image:
            raise WriteError("an image post needs image_url", "23502",
                             hint="Set image_url, or video_url with media_type REELS, or children for a carousel.")
        elif mtype == "REELS" and not video:
            raise WriteError("a reel needs video_url", "23502")
        elif mtype == "STORIES" and (not (image or video) or (image and video)):
            raise WriteError("a story needs exactly one of image_url and video_url", "23502")
        elif mtype in ("IMAGE", "REELS") and image and video:
            raise WriteError("give image_url or video_url, not both", "22023")
        bad = comment_rules.caption_violation(v.get("caption"))
        if bad:
            raise RuleViolation(*bad)
        acct = self.w.account_for(v)
        return lambda: self.publish(acct, mtype, v, children or [])

    # -- the publishing sequence
    def publish(self, acct, mtype, v, children):
        client = self.w.client
        self._check_quota(acct)
        params = {}
        if mtype == "CAROUSEL":
            kids = []
            for url in children:
                if _is_video(url):
                    kid = {"media_type": "VIDEO", "video_url": url, "is_carousel_item": "true"}
                else:
                    kid = {"image_url": url, "is_carousel_item": "true"}
                kids.append((url, self._create(acct, kid, "carousel item %s" % shorten(url, 60))))
            for url, cid in kids:
                self._wait(cid, "carousel item %s" % shorten(url, 60))
            params = {"media_type": "CAROUSEL", "children": ",".join(cid for _, cid in kids)}
        elif mtype == "REELS":
            params = {"media_type": "REELS", "video_url": v["video_url"]}
            if v.get("share_to_feed") is not None:
                params["share_to_feed"] = "true" if v["share_to_feed"] else "false"
        elif mtype == "STORIES":
            params = {"media_type": "STORIES"}
            params["video_url" if v.get("video_url") else "image_url"] = v.get("video_url") or v.get("image_url")
        else:
            params = {"image_url": v["image_url"]}
        if v.get("cover_url"):
            params["cover_url"] = v["cover_url"]
        if v.get("caption") is not None and mtype != "STORIES":
            params["caption"] = v["caption"]
        cid = self._create(acct, params, "the container")
        self._wait(cid, "container %s" % cid)
        media_id = self._publish(acct, cid, v)
        self.w.created.add(media_id)
        row = {"id": media_id, "business_account_id": acct}
        try:
            obj = client.get(media_id, fields=["id", "permalink", "shortcode", "timestamp", "media_type",
                                               "media_product_type", "caption"])
            for name in ("permalink", "shortcode", "timestamp", "media_type", "media_product_type", "caption"):
                col = self.w.table.column(name)
                if col is not None and obj.get(name) is not None:
                    row[name] = coerce(obj.get(name), col.type)
        except GraphError:
            pass    # published; only the read-back failed
        return row

    def _check_quota(self, acct):
        try:
            body = self.w.client.get("%s/content_publishing_limit" % acct, fields=["quota_usage", "config"])
        except GraphError:
            return  # the quota is checked again by media_publish itself
        data = (body.get("data") or [{}])[0]
        usage = data.get("quota_usage")
        total = (data.get("config") or {}).get("quota_total")
        if usage is not None and total is not None and int(usage) >= int(total):
            hours = int((data.get("config") or {}).get("quota_duration") or 86400) // 3600
            raise WriteError("the publishing quota of account %s is used up: %s of %s posts in the last %d hours"
                             " (nothing was sent)" % (acct, usage, total, hours), "53400",
                             hint="Wait until older posts leave the window; SELECT * FROM content_publishing_limit "
                                  "shows the usage.")

    def _create(self, acct, params, what):
        # An orphan container is harmless (never published, expires in 24 h),
        # so a container creation that may have landed is simply repeated.
        try:
            try:
                body = self.w.client.post("%s/media" % segment(acct), params)
            except AmbiguousWrite:
                body = self.w.client.post("%s/media" % segment(acct), params)
        except GraphError as exc:
            if exc.subcode and 2207000 <= exc.subcode < 2208000:
                raise publish_error(exc.subcode, exc.message, "creating %s" % what)
            raise
        return str(body["id"])

    def _wait(self, cid, what):
        """Poll the container until FINISHED (bounded; cancellable)."""
        start = time.monotonic()
        n = 0
        while True:
            delay = POLL_DELAYS[n] if n < len(POLL_DELAYS) else POLL_MAX_DELAY
            if time.monotonic() - start + delay > POLL_TIMEOUT:
                raise WriteError("publishing failed: %s is still being processed after %d seconds; nothing was "
                                 "published (the container expires unpublished after 24 hours)" % (
                                     what, POLL_TIMEOUT), "57014",
                                 hint="Try again later, or with a smaller file.")
            self.w.sleep(delay)
            n += 1
            body = self.w.client.get(cid, fields=["status_code", "status"])
            code = (body.get("status_code") or "").upper()
            if code in ("FINISHED", "PUBLISHED"):
                return code
            if code == "ERROR":
                m = _SUBCODE_RE.search(body.get("status") or "")
                sub = int(m.group(1)) if m else None
                raise publish_error(sub, body.get("status") or "processing failed",
                                    "(%s went to status ERROR; nothing was published)" % what)
            if code == "EXPIRED":
                raise publish_error(2207020, "expired", "(%s went to status EXPIRED; nothing was published)" % what)

    def _publish(self, acct, cid, v):
        path = "%s/media_publish" % acct
        try:
            try:
                body = self.w.client.post(path, {"creation_id": cid})
            except AmbiguousWrite:
                # a container is published at most once: asking again cannot
                # duplicate the post (2207008 says the first call landed)
                try:
                    body = self.w.client.post(path, {"creation_id": cid})
                except GraphError as exc:
                    if exc.subcode != 2207008:
                        raise
                    found = self._find_published(acct, v)
                    if found is None:
                        raise MaybeSent("the post was published (container %s), but its id could not be found "
                                        "after the connection failed" % cid,
                                        hint="SELECT id, permalink FROM media ORDER BY timestamp DESC LIMIT 5.")
                    body = {"id": found}
        except AmbiguousWrite as exc:
            raise MaybeSent("the post may or may not have been published (container %s): %s" % (cid, exc.message))
        except GraphError as exc:
            if exc.subcode and 2207000 <= exc.subcode < 2208000:
                raise publish_error(exc.subcode, exc.message, "at media_publish")
            raise
        return str(body["id"])

    def _find_published(self, acct, v):
        body = self.w.client.get("%s/media" % segment(acct), params={"limit": 5}, fields=["id", "caption"])
        for obj in body.get("data") or []:
            if (obj.get("caption") or None) == (v.get("caption") or None) and str(obj["id"]) not in self.w.created:
                return str(obj["id"])
        return None


# ------------------------------------------------------------------ helpers

def _is_video(url):
    path = str(url).split("?", 1)[0].lower()
    return path.endswith(VIDEO_EXTENSIONS)


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


def _result_id(result, queued):
    if isinstance(result, dict) and result.get("id") is not None:
        return result["id"]
    return None


def _ids_phrase(kind, sent):
    ids = [str(i) for _, i in sent if i is not None]
    word = {"insert": "created ids", "update": "updated ids", "delete": "deleted ids"}.get(kind, "ids")
    return "%s: %s" % (word, ", ".join(ids) if ids else "(none)")


def _reason(exc):
    if isinstance(exc, GraphError):
        bits = [exc.message]
        det = []
        if exc.code is not None:
            det.append("code %s" % exc.code)
        if exc.subcode is not None:
            det.append("subcode %s" % exc.subcode)
        if det:
            bits.append("(%s)" % ", ".join(det))
        return "the Graph API answered: " + " ".join(bits)
    return str(exc)


def _sqlstate(exc):
    return getattr(exc, "sqlstate", None) or "HV000"


def _s(n):
    return "" if n == 1 else "s"
