"""CData's OAuth stored procedures as tables: the WHERE clause carries the
inputs (``SELECT * FROM get_oauth_access_token WHERE verifier = '...'``).

Only their signatures live here; the functions that run them are in
ig_fdw.procedures (which needs ig_fdw.auth, and the catalog must not).
"""

import collections

from ig_fdw.catalog.model import Column as C, KeyQual as Q, Source, Table, EQ

Param = collections.namedtuple("Param", "name type required")
Signature = collections.namedtuple("Signature", "name cdata_name inputs outputs doc")

SIGNATURES = (
    Signature(
        "get_oauth_authorization_url", "GetOAuthAuthorizationURL",
        [Param("AuthMode", "text", False), Param("CallbackURL", "text", False), Param("Scope", "text", False),
         Param("State", "text", False)],
        [Param("URL", "text", True)],
        "The URL to open to authorize the app (AuthMode WEB|APP; CallbackURL, Scope default to the options)."),
    Signature(
        "get_oauth_access_token", "GetOAuthAccessToken",
        [Param("AuthMode", "text", False), Param("Verifier", "text", False), Param("CallbackURL", "text", False),
         Param("Scope", "text", False), Param("State", "text", False)],
        [Param("OAuthAccessToken", "text", True), Param("OAuthRefreshToken", "text", True),
         Param("ExpiresIn", "integer", True)],
        "Exchange the code (Verifier) for a long-lived token and store it in the settings file. "
        "ExpiresIn: seconds, -1 = never."),
    Signature(
        "refresh_oauth_access_token", "RefreshOAuthAccessToken",
        [Param("OAuthRefreshToken", "text", False)],
        [Param("OAuthAccessToken", "text", True), Param("OAuthRefreshToken", "text", True),
         Param("ExpiresIn", "integer", True)],
        "Refresh the stored token now (or the given OAuthRefreshToken, which for Meta is the long-lived "
        "access token itself)."),
    Signature(
        "clear_cache", "ClearCache", [], [Param("Cleared", "integer", True)],
        "Empty the response cache (CacheTTL) of the current backend; returns the number of entries dropped. "
        "Other backends keep theirs until it expires."),
)


def procedure_table(sig):
    """One procedure as a table; output column names are the lower-cased CData names."""
    inputs = tuple(C(c.name.lower(), "text", "context", doc="input", kind="text") for c in sig.inputs)
    # An output named like an input (RefreshOAuthAccessToken's OAuthRefreshToken) is left out: the
    # column must echo the filter for PostgreSQL's recheck; for Meta the new refresh token is the
    # new access token anyway.
    outputs = tuple(C(c.name.lower(), c.type, doc="output") for c in sig.outputs
                    if c.name.lower() not in {i.name for i in inputs})
    return Table(sig.name, sig.doc, Source("procedure", procedure=sig.name), inputs + outputs,
                 tuple(Q(c.name, EQ, "param") for c in inputs), reference=sig.cdata_name, rows_estimate=1)


PROCEDURE_TABLES = tuple(procedure_table(sig) for sig in SIGNATURES)
