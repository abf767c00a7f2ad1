"""Typed errors of the Graph API client.

Every exception carries ``sqlstate``: the PostgreSQL runtime of ig_fdw turns
that attribute into the SQLSTATE of the error it raises, so SQL clients can
tell "wait and retry" from "re-authorize" from "fix your query".

=====================  ========  ==============================================
Exception              SQLSTATE  Why this code
=====================  ========  ==============================================
GraphError (other)     HV000     fdw_error: generic failure of the remote API
TransportError         HV00N     fdw_unable_to_establish_connection: network,
                                 timeout, 5xx or unreadable body after retries
AmbiguousWrite         40003     statement_completion_unknown: a POST/DELETE
                                 may or may not have been applied
TokenExpired           28000     invalid_authorization_specification
TokenInvalid           28000     invalid_authorization_specification
PermissionDenied       42501     insufficient_privilege (codes 10, 200-299)
RateLimited            53400     configuration_limit_exceeded (a quota of the
                                 API, not of this server)
NotFound               42704     undefined_object (id does not exist)
InvalidParameter       22023     invalid_parameter_value (code 100 and the
                                 "insights unavailable" subcode 2108006)
Cancelled              57014     query_canceled (statement cancel observed)
=====================  ========  ==============================================

All text is passed through :func:`~ig_fdw.graph.redact.redact` in ``__str__``
and ``__repr__``, whatever the server or a lower library put into it.
"""

from .redact import redact

# Graph error codes that are worth retrying after a backoff.
TRANSIENT_CODES = frozenset({1, 2})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 368, 613}) | frozenset(range(80000, 80015))
RETRYABLE_CODES = TRANSIENT_CODES | RATE_LIMIT_CODES
# Never retried, whatever ``is_transient`` says.
NEVER_RETRY_CODES = frozenset({10, 100, 190})
NEVER_RETRY_SUBCODES = frozenset({2108006})

TOKEN_EXPIRED_SUBCODES = frozenset({463})
AUTH_CODES = frozenset({102, 190})
NOT_FOUND_SUBCODES = frozenset({33, 2207013})
NOT_FOUND_CODES = frozenset({803})


class GraphError(Exception):
    """An error reported by, or while talking to, the Graph API."""

    sqlstate = "HV000"
    hint = "Check the query and the Graph API status; the error above comes from the Instagram Graph API."

    def __init__(self, message, code=None, subcode=None, type=None, fbtrace_id=None,
                 http_status=None, hint=None, retryable=False):
        self.message = redact(message)
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.retryable = retryable
        if hint is not None:
            self.hint = redact(hint)
        super().__init__(self.message)

    def __str__(self):
        parts = [self.message]
        details = []
        if self.code is not None:
            details.append("code %s" % self.code)
        if self.subcode is not None:
            details.append("subcode %s" % self.subcode)
        if self.http_status is not None:
            details.append("HTTP %s" % self.http_status)
        if self.fbtrace_id:
            details.append("fbtrace_id %s" % self.fbtrace_id)
        if details:
            parts.append("(" + ", ".join(details) + ")")
        if self.hint:
            parts.append("Hint: " + self.hint)
        return redact(" ".join(parts))

    def __repr__(self):
        return redact("%s(%r, code=%r, subcode=%r, http_status=%r)" % (
            type(self).__name__, self.message, self.code, self.subcode, self.http_status))

    def __reduce__(self):  # picklable without leaking or losing attributes
        return (rebuild_exception, (type(self), self.__dict__.copy()))


def rebuild_exception(cls, state):
    """Unpickle an exception whose attributes live in __dict__ (used by the
    auth layer's errors too)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    Exception.__init__(obj, state.get("message", ""))
    return obj


class TransportError(GraphError):
    sqlstate = "HV00N"
    hint = ("The Graph API could not be reached or answered badly after retries; "
            "check the network and try again later, or raise the timeout/retry settings.")


class AmbiguousWrite(TransportError):
    sqlstate = "40003"
    hint = ("The write may or may not have been applied (the request was sent but no answer came back); "
            "read the object back to check before repeating it.")


class Cancelled(GraphError):
    sqlstate = "57014"
    hint = "The statement was cancelled."


class TokenExpired(GraphError):
    sqlstate = "28000"
    hint = ("The access token has expired and could not be refreshed; re-authorize the account "
            "(run the ig_fdw OAuth login again) and retry.")


class TokenInvalid(TokenExpired):
    hint = ("The access token is not valid (revoked, password changed or app removed); "
            "re-authorize the account (run the ig_fdw OAuth login again) and retry.")


class PermissionDenied(GraphError):
    sqlstate = "42501"
    hint = ("The token lacks a permission for this object or field; grant the missing scope when "
            "re-authorizing (docs/tables.md lists each table's scopes), or stop selecting that column.")


class RateLimited(GraphError):
    sqlstate = "53400"
    hint = ("The Graph API rate limit is exhausted; wait and retry, lower the request volume "
            "(fewer rows/columns, enable the cache) or raise RateLimitMaxWait to wait automatically.")

    def __init__(self, message, retry_after=None, **kw):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class NotFound(GraphError):
    sqlstate = "42704"
    hint = "The object does not exist or is not visible to this token; check the id."


class InvalidParameter(GraphError):
    sqlstate = "22023"
    hint = ("The Graph API rejected a parameter (unknown field, unsupported metric for this media type "
            "or API version); remove it from the query.")


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_retryable_code(code, subcode=None, is_transient=False):
    """Whether a Graph error with this code is worth another attempt."""
    if code in NEVER_RETRY_CODES or subcode in NEVER_RETRY_SUBCODES:
        return False
    return code in RETRYABLE_CODES or bool(is_transient)


def from_error_body(body, http_status=None):
    """Build the typed exception for a Graph ``{"error": {...}}`` envelope."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = {"message": str(err) if err else "unknown Graph API error"}
    code = _int_or_none(err.get("code"))
    subcode = _int_or_none(err.get("error_subcode"))
    message = err.get("error_user_msg") or err.get("message") or "Graph API error"
    if err.get("error_user_msg") and err.get("message") and err["message"] != message:
        message = "%s: %s" % (err["message"], message)
    kw = dict(code=code, subcode=subcode, type=err.get("type"),
              fbtrace_id=err.get("fbtrace_id"), http_status=http_status,
              retryable=is_retryable_code(code, subcode, err.get("is_transient")))
    return error_class(code, subcode, http_status)(message, **kw)


def error_class(code, subcode=None, http_status=None):
    """Map (code, subcode, HTTP status) to the exception class."""
    if code in AUTH_CODES:
        if subcode in TOKEN_EXPIRED_SUBCODES or subcode is None:
            return TokenExpired
        return TokenInvalid
    if code in RATE_LIMIT_CODES or http_status == 429:
        return RateLimited
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionDenied
    if subcode in NOT_FOUND_SUBCODES or code in NOT_FOUND_CODES or (code == 110):
        return NotFound
    if code == 100 or subcode in NEVER_RETRY_SUBCODES:
        return InvalidParameter
    if http_status == 404:
        return NotFound
    return GraphError
