"""What the database server itself sees: the probe behind ``ig-fdw doctor --dsn``.

``ig-fdw doctor`` run on its own checks this shell's Python and files, which
are not the server's: another PYTHONPATH, another user, ``~/.config/ig_fdw``
instead of the data directory.  With a connection string it asks the server
instead: inside a transaction it rolls back, it creates a foreign table
with the option ``table 'ig_fdw_server_check'`` on the server (this table is
not in IMPORT FOREIGN SCHEMA) and reads one row, a JSON report computed in
the backend with the server's and the user mapping's options: the Python and
runtime the backend imports, the settings file it would use and whether it
decrypts, the token, the business account.
"""

import json
import sys

from ig_fdw.graph.redact import redact

PROBE_TABLE = "ig_fdw_server_check"


def probe_table():
    """The catalog entry of the probe (a one-column procedure table)."""
    from ig_fdw.catalog.model import Column, Source, Table
    return Table(PROBE_TABLE, "ig-fdw doctor --dsn: what the server sees (one JSON row; not imported)",
                 Source("procedure", procedure=PROBE_TABLE), (Column("report", "text"),), rows_estimate=1)


def _check(name, ok, detail, fix=""):
    return {"name": name, "ok": bool(ok), "detail": redact(str(detail)), "fix": redact(fix or "")}


def _python_check(runtime_is_ours):
    import ig_fdw
    import multicorn
    return _check("server Python imports ig_fdw", True, "Python %s imports ig_fdw from %s and multicorn from %s "
                  "(%s)" % (sys.version.split()[0], ig_fdw.__file__, multicorn.__file__,
                            "ig_fdw runtime" if runtime_is_ours else "upstream multicorn2"))


# The connection checks: made by the backend for ``ig-fdw doctor --dsn`` (report), and by ``ig-fdw doctor`` in
# its own shell (ig_fdw.doctor.run), on a connection of ig_fdw.connection.  ``local``: the words of the latter.
def settings_check(provider, local=False):
    """(check, readable): the settings file exists and decrypts (or is not needed)."""
    from ig_fdw.auth import AuthError
    if provider.mode == "OFF":
        return _check("settings file", True, "not used (InitiateOAuth=OFF)"), True
    path = provider.settings_path
    who = "ig-fdw" if local else "the server"
    if not provider.settings.exists():
        opts = provider.opts
        if opts.oauth_access_token or opts.oauth_verifier:
            return _check("settings file", True, "%s does not exist yet: the first query creates it from %s"
                          % (path, "OAuthAccessToken" if opts.oauth_access_token else "OAuthVerifier")), False
        fix = ("Authorize first: `ig-fdw login`, or `ig-fdw auth-url` then `ig-fdw exchange --verifier CODE` (see "
               "docs/oauth.md); or set OAuthSettingsLocation." if local else
               "Authorize as the database server's OS user with OAuthSettingsLocation=%s (ig-fdw login / "
               "ig-fdw exchange), or set OAuthSettingsLocation in the SERVER options to the file you "
               "have (docs/oauth.md)." % path)
        return _check("settings file", False, "%s would use %s, which does not exist" % (who, path), fix), False
    try:
        provider.load()
    except AuthError as e:
        return _check("settings file", False, "%s: %s" % (path, e.message),
                      e.hint or "Check OAuthClientSecret / the settings key."), False
    return _check("settings file", True, "%s uses %s; it decrypts (key: %s)"
                  % (who, path, provider.settings.describe_key())), True


def token_check(provider):
    """(check, ok): a token is there and, when the app id and secret allow asking debug_token, valid."""
    from ig_fdw.auth import AuthError, debug_token
    from ig_fdw.graph.errors import GraphError
    try:
        token = provider.token()
    except (AuthError, GraphError) as e:
        return _check("token valid", False, e.message, getattr(e, "hint", "") or ""), False
    opts = provider.opts
    scopes = ""
    if opts.oauth_client_id and opts.oauth_client_secret and opts.login == "facebook":
        try:
            data = debug_token(opts, token, provider.state_dir)
        except AuthError as e:
            return _check("token valid", False, e.message, e.hint or ""), False
        if not data.get("is_valid"):
            return _check("token valid", False, (data.get("error") or {}).get("message", "invalid"),
                          "Authorize again: `ig-fdw login` (docs/oauth.md)."), False
        scopes = "; scopes: %s" % (", ".join(data.get("scopes") or []) or "none")
    exp = (provider.status() or {}).get("expires_at") if provider.mode != "OFF" else None
    if exp:
        left = (exp - provider.clock()) / 86400.0
        return _check("token valid", True, "expires in %.1f days (by the API's clock)%s" % (left, scopes)), True
    return _check("token valid", True, ("present (used as given)" if provider.mode == "OFF" else "never expires")
                  + scopes), True


def account_check(conn):
    """The business account the connection reads answers (else: which id to use)."""
    from ig_fdw.auth import AuthError
    from ig_fdw.graph.errors import GraphError
    try:
        acct = conn.accounts()[0]
        body = conn.client.get(acct, fields=["id", "username"])
    except (AuthError, GraphError) as e:
        better = None
        if isinstance(e, GraphError) and conn.opts.business_account_id:
            better = conn.check_account(conn.opts.business_account_id, e)
        e = better or e
        return _check("business account reachable", False, e.message, getattr(e, "hint", "") or
                      "Check BusinessAccountId (`ig-fdw accounts` lists those the token sees) and the scopes "
                      "instagram_basic, pages_show_list, pages_read_engagement.")
    return _check("business account reachable", True, "%s (@%s)" % (body.get("id"), body.get("username", "?")))


def connection_checks(conn, local=False):
    """Settings file, token, business account, in order (later ones skipped when one they need failed)."""
    settings, readable = settings_check(conn.tokens, local)
    checks = [settings]
    if readable:
        token, ok = token_check(conn.tokens)
        checks.append(token)
        if ok:
            checks.append(account_check(conn))
    return checks


def _connections_check():
    """What this backend built so far (one of each per user mapping: ig_fdw.connection); ``built`` has the counts."""
    from ig_fdw import connection
    built = {k: connection.BUILT.get(k, 0) for k in ("token_providers", "graph_clients", "account_resolvers")}
    check = _check("connections of this backend", True, "%(token_providers)d token provider(s), %(graph_clients)d "
                   "Graph client(s), %(account_resolvers)d account resolver(s) built" % built)
    check["built"] = built
    return check


def report(connection_factory, runtime_is_ours):
    """The checks, in order, as a JSON list (later ones skipped when one they need failed)."""
    checks = [_python_check(runtime_is_ours)]
    try:
        conn = connection_factory()
    except Exception as e:   # bad options: the message says which
        checks.append(_check("options", False, getattr(e, "message", None) or str(e), getattr(e, "hint", "")))
        return json.dumps(checks)
    checks.extend(connection_checks(conn))
    checks.append(_connections_check())
    return json.dumps(checks)
