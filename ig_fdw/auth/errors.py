"""Errors of the OAuth layer.  Every text passes through ``redact``.

=====================  ========  ==============================================
Exception              SQLSTATE  When
=====================  ========  ==============================================
AuthError              28000     invalid_authorization_specification (generic)
NeedsAuthorization     28000     no usable token: the hint has the URL and the
                                 exact command / SQL that finishes the flow
NoClientId             28000     OAuthClientId missing (how to create an app)
SettingsFileError      28000     the settings file cannot be decrypted
                                 (wrong key, tampered, truncated)
                       58030     io_error: it cannot be read or written
AccountChoiceError     22023     BusinessAccountId needed (lists the accounts)
=====================  ========  ==============================================
"""

from ig_fdw.graph.errors import rebuild_exception
from ig_fdw.graph.redact import redact


class AuthError(Exception):
    sqlstate = "28000"
    hint = None

    def __init__(self, message, hint=None, sqlstate=None, code=None, subcode=None):
        self.message = redact(message)
        if hint is not None:
            self.hint = redact(hint)
        if sqlstate:
            self.sqlstate = sqlstate
        self.code = code
        self.subcode = subcode
        super().__init__(self.message)

    def __str__(self):
        return redact(self.message + ("\nHint: " + self.hint if self.hint else ""))

    def __repr__(self):
        return redact("%s(%r, sqlstate=%r)" % (type(self).__name__, self.message, self.sqlstate))

    def __reduce__(self):
        return (rebuild_exception, (type(self), self.__dict__.copy()))


class NeedsAuthorization(AuthError):
    """No usable token; ``authorization_url`` is the URL to open (no secret in it)."""

    def __init__(self, message, hint=None, authorization_url=None, **kw):
        self.authorization_url = authorization_url
        super().__init__(message, hint, **kw)


class NoClientId(AuthError):
    pass


class SettingsFileError(AuthError):
    def __init__(self, message, hint=None, path=None, **kw):
        self.path = path
        super().__init__(message, hint, **kw)


class AccountChoiceError(AuthError):
    sqlstate = "22023"

    def __init__(self, message, hint=None, accounts=(), **kw):
        self.accounts = list(accounts)
        super().__init__(message, hint, **kw)
