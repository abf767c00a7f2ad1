"""The errors a write reports: each carries the SQLSTATE, hint and detail
that the runtime hands to ereport()."""

from ig_fdw.graph.errors import GraphError


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
    """The request may or may not have been applied (SQLSTATE 40003)."""

    def __init__(self, message, hint=None):
        super().__init__(message, "40003", hint or (
            "Check on Instagram (or SELECT the table) whether it was applied before sending it again."))


def reason(exc):
    """What went wrong, for the sentence that names the failed row."""
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


def sqlstate(exc):
    return getattr(exc, "sqlstate", None) or "HV000"
