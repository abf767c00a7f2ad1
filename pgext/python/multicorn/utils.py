"""Logging to PostgreSQL and interrupt checks, as in multicorn2's utils."""

from logging import CRITICAL, DEBUG, ERROR, INFO, WARNING

from . import PostgresError

try:
    from _multicorn_native import log_to_postgres as _log_to_postgres
    from _multicorn_native import check_interrupts as _check_interrupts
    from _multicorn_native import cancel_pending as _cancel_pending
except ImportError:  # outside PostgreSQL
    def _log_to_postgres(message, level=1, hint=None, detail=None):
        pass

    def _check_interrupts():
        pass

    def _cancel_pending():
        return False

REPORT_CODES = {DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4}

__all__ = ["log_to_postgres", "check_interrupts", "cancel_pending", "MulticornException",
           "PostgresError", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class MulticornException(Exception):
    """Raised by log_to_postgres(..., ERROR): becomes the statement's ERROR
    once the Python stack has unwound (finally blocks run)."""

    _is_multicorn_exception = True

    def __init__(self, message, code=3, hint=None, detail=None, sqlstate=None):
        super(MulticornException, self).__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        self.detail = detail
        if sqlstate is not None:
            self.sqlstate = sqlstate


def log_to_postgres(message, level=INFO, hint=None, detail=None, sqlstate=None):
    """Send a message to PostgreSQL: DEBUG, INFO (shown as NOTICE), WARNING;
    ERROR and CRITICAL raise MulticornException instead."""
    code = REPORT_CODES.get(level)
    if code is None:
        raise KeyError("Not a valid log level")
    if level in (ERROR, CRITICAL):
        raise MulticornException(message, code, hint, detail, sqlstate)
    _log_to_postgres(message, code, hint, detail)


def check_interrupts():
    """Raise PostgresError if PostgreSQL wants the statement cancelled.

    Call it between pages, in retry loops and while waiting; it costs next
    to nothing when no cancel is pending.  In worker threads it only checks.
    """
    _check_interrupts()


def cancel_pending():
    """True when a cancel or termination is pending; safe from any thread."""
    return _cancel_pending()
