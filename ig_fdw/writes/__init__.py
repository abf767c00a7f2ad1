"""INSERT, UPDATE and DELETE on the Instagram tables (docs/writes.md).

InstagramFDW delegates its write API to a `Writer(table, conn, notice,
fdw_options)`, one per foreign table instance.  The package:

    statement.py   the Writer: the rows of a statement, the commit queue of
                   WriteMode on_commit, the transaction and savepoint hooks
    errors.py      WriteError, RuleViolation, MaybeSent (SQLSTATE, hint)
    ambiguous.py   send_once: a write whose answer was lost is looked up or
                   repeated (when repeating cannot duplicate) before it is
                   reported
    machinery.py   the Handler base class and the Context a handler works in
    registry.py    which handler a table has (its catalog `writer`)
    comments.py    comments and replies
    publishing.py  media (publishing) and ig_media

Semantics:

* Rows are sent in the order PostgreSQL hands them over, one call (or one
  publishing sequence) per row.  The first failing row stops the statement:
  the ERROR names the row (its position in the statement and its text) and
  says how many rows were already sent, and a NOTICE lists their ids.  The
  Graph API is not transactional: ROLLBACK cannot undo calls already made.
* WriteMode 'on_commit' (table, server or user mapping option) queues the
  rows instead and sends them at pre_commit, in order; nothing is sent on
  ROLLBACK; RETURNING gets NULL ids.
* Which operations a table takes, which columns INSERT and UPDATE may set and
  which an INSERT must give are declared once, with the table
  (`Table.writes` in its ig_fdw/tables/ module); its `writer` names the
  handler here.
"""

from ig_fdw.writes.errors import MaybeSent, RuleViolation, WriteError
from ig_fdw.writes.machinery import Handler, RecentRows
from ig_fdw.writes.registry import handler_for
from ig_fdw.writes.statement import IMMEDIATE, ON_COMMIT, Writer, write_mode

__all__ = ["Writer", "RecentRows", "Handler", "handler_for", "WriteError", "RuleViolation", "MaybeSent",
           "write_mode", "IMMEDIATE", "ON_COMMIT"]
