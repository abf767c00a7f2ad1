"""CData's OAuth stored procedures as plain functions.

The FDW core exposes each as a foreign table whose WHERE clause carries the
inputs (CData's ``SELECT * FROM GetOAuthAccessToken WHERE Verifier = '...'``
form).  Each function takes the connection options, the inputs (a dict keyed
by the input column names, case-insensitive) and ``token_provider`` (the
connection's TokenProvider, or a factory ``opts -> TokenProvider``: it decides
where the settings file lives) and returns a list of row dicts keyed by the
lower-cased output column names.

An exchange must happen once per statement even if PostgreSQL rescans (a code
is single-use): the core creates one :class:`ProcedureCall` per statement and
passes it to :func:`run`, which memoizes on (procedure, options, inputs).

    call = ProcedureCall()                       # per statement (per scan)
    rows = call.run("get_oauth_access_token", opts, {"verifier": code}, provider_or_factory)
    rows = run("get_oauth_access_token", opts, {"verifier": code}, provider, call=call)
"""

import collections
import threading
import time

from ig_fdw.graph.redact import redact, register_secret
from ig_fdw.tables.procedures import SIGNATURES, Param as Column  # noqa: F401 (Column: the old name)

from . import auth
from .auth import oauth
from .auth.errors import AuthError

ProcedureSpec = collections.namedtuple("ProcedureSpec", "name cdata_name inputs outputs fn doc")


def _provider_for(opts, source):
    """A TokenProvider from ``source``: a TokenProvider, a factory ``opts -> TokenProvider``, or None."""
    if source is None or opts.initiate_oauth == "OFF":
        return None
    if hasattr(source, "settings") and hasattr(source, "token"):
        return source
    return source(opts)


def _inputs(raw, spec):
    """Inputs by lower-cased name; unknown names and missing required ones -> AuthError (22023)."""
    out = {}
    names = {c.name.lower(): c for c in spec.inputs}
    for k, v in (raw or {}).items():
        c = names.get(str(k).lower())
        if c is None:
            raise AuthError('%s has no input "%s"' % (spec.cdata_name, k),
                            "Inputs: %s." % ", ".join(c.name for c in spec.inputs), sqlstate="22023")
        if v is not None:
            out[c.name.lower()] = str(v)
    for c in spec.inputs:
        if c.required and not out.get(c.name.lower()):
            raise AuthError("%s needs %s" % (spec.cdata_name, c.name),
                            "SELECT * FROM %s WHERE %s = '...';" % (spec.name, c.name.lower()),
                            sqlstate="22023")
    if "verifier" in out:
        register_secret(out["verifier"])
    if "oauthrefreshtoken" in out:
        register_secret(out["oauthrefreshtoken"])
    return out


def _auth_mode(inputs):
    mode = (inputs.get("authmode") or "WEB").upper()
    if mode not in ("WEB", "APP"):
        raise AuthError('AuthMode must be WEB or APP, not "%s"' % inputs.get("authmode"), sqlstate="22023")
    return mode


def get_oauth_authorization_url(opts, inputs, token_provider=None):
    inp = _inputs(inputs, PROCEDURES["get_oauth_authorization_url"])
    url = oauth.authorization_url(opts, _auth_mode(inp), inp.get("callbackurl"), inp.get("scope"),
                                  inp.get("state"))
    return [{"url": url}]


def _expires_in(info):
    return -1 if info.expires_in < 0 else info.expires_in


def get_oauth_access_token(opts, inputs, token_provider=None):
    inp = _inputs(inputs, PROCEDURES["get_oauth_access_token"])
    mode = _auth_mode(inp)
    if mode == "APP":
        raise AuthError("AuthMode=APP (open a browser and listen for the redirect) cannot run inside the "
                        "database server",
                        "Run  ig-fdw login  on a machine with a browser, or use AuthMode=WEB: "
                        "SELECT url FROM get_oauth_authorization_url; then "
                        "SELECT * FROM get_oauth_access_token WHERE verifier = 'CODE';", sqlstate="0A000")
    verifier = inp.get("verifier")
    if not verifier:
        raise AuthError("GetOAuthAccessToken with AuthMode=WEB needs Verifier",
                        "SELECT * FROM get_oauth_access_token WHERE verifier = 'CODE';", sqlstate="22023")
    code, returned_state = oauth.parse_verifier(verifier)
    if inp.get("state") and returned_state and inp["state"] != returned_state:
        raise AuthError("the state returned with the code does not match State",
                        "Start the authorization again.", sqlstate="22023")
    provider = _provider_for(opts, token_provider)
    info = auth.exchange_verifier(opts, code, inp.get("callbackurl"), persist=provider is not None,
                                  provider=provider)
    return [{"oauthaccesstoken": info.access_token, "oauthrefreshtoken": info.access_token,
             "expiresin": _expires_in(info)}]


def refresh_oauth_access_token(opts, inputs, token_provider=None):
    inp = _inputs(inputs, PROCEDURES["refresh_oauth_access_token"])
    provider = _provider_for(opts, token_provider)
    info = auth.refresh_access_token(opts, inp.get("oauthrefreshtoken"), persist=provider is not None,
                                     provider=provider)
    return [{"oauthaccesstoken": info.access_token, "oauthrefreshtoken": info.access_token,
             "expiresin": _expires_in(info)}]


def clear_cache(opts, inputs, token_provider_factory=None):
    """Drop this backend's cached Graph responses (CacheTTL); returns how many."""
    from ig_fdw.graph import cache
    _inputs(inputs, PROCEDURES["clear_cache"])
    n = len(cache.CACHE)
    cache.clear()
    return [{"cleared": n}]


FUNCTIONS = {
    "get_oauth_authorization_url": get_oauth_authorization_url,
    "get_oauth_access_token": get_oauth_access_token,
    "refresh_oauth_access_token": refresh_oauth_access_token,
    "clear_cache": clear_cache,
}

# The signatures (inputs, outputs, docs) are declared with the tables (ig_fdw/tables/procedures.py).
PROCEDURES = collections.OrderedDict(
    (sig.name, ProcedureSpec(sig.name, sig.cdata_name, sig.inputs, sig.outputs, FUNCTIONS[sig.name], sig.doc))
    for sig in SIGNATURES)


def by_name(name):
    """The spec for a snake_case or CData name (case-insensitive)."""
    low = str(name).lower()
    for spec in PROCEDURES.values():
        if low in (spec.name, spec.cdata_name.lower()):
            return spec
    raise KeyError(name)


class StatementProcedures:
    """What a scan's procedure plan calls: ``runner(name, inputs)`` -> rows.

    It holds what the executor needs (the statement's memo, the connection
    whose options and token provider the procedures use), so that the
    executor never calls back into the FDW object.  ``extra``: name -> a
    function giving rows, for procedures that are not Graph calls (the
    doctor's probe).
    """

    def __init__(self, memo, conn, extra=None):
        self.memo = memo
        self.conn = conn
        self.extra = extra or {}

    def __call__(self, name, inputs):
        if name in self.extra:
            return self.extra[name]()
        conn = self.conn
        return self.memo.run(name, conn.opts, inputs, lambda opts: conn.tokens)


class ProcedureCall:
    """Statement-scoped memo: each (procedure, inputs) runs at most once.

    A rescan of the same foreign table in one statement gets the same rows
    (or the same error) without a second exchange.  Thread-safe.
    """

    def __init__(self, ttl=None, clock=time.monotonic):
        self._memo = {}
        self._lock = threading.Lock()
        self.ttl = ttl          # None: for the object's whole life (one statement)
        self.clock = clock
        self.calls = 0  # how many times a procedure function actually ran

    def run(self, name, opts, inputs, token_provider=None):
        """Rows of procedure ``name``; ``token_provider``: a TokenProvider or a factory ``opts -> provider``."""
        spec = by_name(name)
        key = (spec.name, hash(opts), tuple(sorted((str(k).lower(), None if v is None else str(v))
                                                   for k, v in (inputs or {}).items())))
        now = self.clock()
        with self._lock:
            if self.ttl is not None:
                for k in [k for k, (t, _, _) in self._memo.items() if now - t > self.ttl]:
                    del self._memo[k]
            if key in self._memo:
                _, kind, value = self._memo[key]
            else:
                self.calls += 1
                try:
                    value = spec.fn(opts, inputs, token_provider)
                    kind = "rows"
                except Exception as e:  # remember failures too: never repeat a single-use exchange
                    kind, value = "error", e
                self._memo[key] = (now, kind, value)
        if kind == "error":
            raise value
        return [dict(r) for r in value]

    def __repr__(self):
        return redact("ProcedureCall(%d memoized)" % len(self._memo))


def run(name, opts, inputs, token_provider=None, call=None):
    """Run procedure ``name`` (snake_case or CData name) -> list of row dicts.

    ``token_provider``: the connection's TokenProvider (or a factory
    ``opts -> TokenProvider``); the settings file it uses receives the token.
    ``call``: the statement's :class:`ProcedureCall` -- create one when a scan
    starts and drop it in end_scan, so rescans within the statement reuse the
    rows and a new statement runs again.  Without ``call`` nothing is
    memoized (a module-wide memo could not tell statements apart).
    """
    return (call or ProcedureCall()).run(name, opts, inputs, token_provider)
