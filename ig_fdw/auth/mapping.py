"""Credentials belong to a user mapping (docs/security.md).

Inside PostgreSQL the wrapper sees one merged dict of options: the foreign
table's, the server's, then the user mapping's (the current role's, else
PUBLIC's), on upstream multicorn2 as on our runtime.  It is not told which
role runs, nor which mapping was used.  What it can rely on is where each
option may be set: the secrets (OAuthClientSecret, OAuthAccessToken,
OAuthVerifier, OAuthSettingsKey) only in a USER MAPPING, the settings file's
place and key file (OAuthSettingsLocation, OAuthSettingsKeyFile) only on the
SERVER.  So the secrets present are exactly the credentials of the mapping
in use, and they decide:

* no credential at all (an empty mapping, or no mapping): nothing is read
  or sent; the error says which mapping to create;
* a settings file records the fingerprints of the credentials of the
  mapping that created it (``owners``); a mapping shares none of them (another
  role's own token, another app's secret) may neither use nor replace it;
* a file without ``owners`` (written before this rule, or copied from
  elsewhere) is adopted only by a mapping that holds a key credential
  (OAuthClientSecret or OAuthSettingsKey), never by a token alone.

A fingerprint is a SHA-256 of the credential's name and value; it is stored
inside the encrypted file only.
"""

import hashlib

from .errors import AuthError

#: the user-mapping-only options that make a credential, key credentials first
CREDENTIALS = ("oauth_client_secret", "oauth_settings_key", "oauth_access_token", "oauth_verifier")
KEY_CREDENTIALS = ("oauth_client_secret", "oauth_settings_key")

NO_MAPPING_HINT = (
    "Each role uses the credentials of its own user mapping, or of the PUBLIC one if it has none. Create "
    "yours with your own token:  CREATE USER MAPPING FOR CURRENT_USER SERVER <server> OPTIONS "
    "(InitiateOAuth 'OFF', OAuthAccessToken '...');  or ask the server's owner to give you the shared "
    "connection:  CREATE USER MAPPING FOR <role> SERVER <server> OPTIONS (OAuthClientSecret '...')  (or FOR "
    "PUBLIC), and drop an empty mapping of yours, which takes precedence over PUBLIC's.")

OTHER_OWNER_HINT = (
    "The settings file is the server administrator's: only the user mapping that created it (or one with "
    "the same OAuthClientSecret / OAuthSettingsKey, such as an administrator's PUBLIC mapping) uses or "
    "replaces it. To use a token of your own, set InitiateOAuth 'OFF' and OAuthAccessToken in your own "
    "user mapping; or ask the server's owner for a user mapping with the shared credentials.")


class MappingError(AuthError):
    """The user mapping in use may not use this credential (SQLSTATE 28000)."""

    def __init__(self, message, hint=None):
        super().__init__(message, hint, sqlstate="28000")


def fingerprint(name, value):
    return hashlib.sha256(("ig_fdw-mapping-credential|%s|%s" % (name, value)).encode()).hexdigest()[:32]


def fingerprints(opts, names=CREDENTIALS):
    """The fingerprints of the credentials the mapping in use carries."""
    out = []
    for name in names:
        value = getattr(opts, name, None)
        if value:
            out.append(fingerprint(name, value))
    return out


def require_credentials(opts):
    """An empty mapping (or none) gets nothing: raise before any file or call."""
    if not fingerprints(opts):
        raise MappingError("the user mapping in use for this server holds no ig_fdw credentials "
                           "(no OAuthAccessToken, OAuthVerifier, OAuthClientSecret or OAuthSettingsKey)",
                           NO_MAPPING_HINT)


def check_owner(opts, state, path):
    """Raise unless the mapping in use may use (and so write) the file whose
    state is ``state``; returns True when the file has no owners yet and this
    mapping may adopt it."""
    if state is None:
        return False
    owners = state.get("owners")
    if owners:
        if set(owners) & set(fingerprints(opts)):
            return False
        raise MappingError("the token settings file %s belongs to another user mapping's credentials; this "
                           "role's user mapping may not use or replace it" % path, OTHER_OWNER_HINT)
    if fingerprints(opts, KEY_CREDENTIALS):
        return True
    raise MappingError("the token settings file %s records no owner, and the user mapping in use holds no "
                       "OAuthClientSecret or OAuthSettingsKey to claim it with" % path,
                       "Add the app's OAuthClientSecret (or OAuthSettingsKey) to the administrator's user "
                       "mapping; the first query through it records the file's owner. " + OTHER_OWNER_HINT)


def owned(opts, state):
    """``state`` with this mapping's credentials recorded as its owners (kept
    when the file already has owners)."""
    st = dict(state)
    if not st.get("owners"):
        st["owners"] = fingerprints(opts)
    return st
