"""OAuth calls of both login flavours (docs/oauth.md), as plain functions.

Facebook Login: dialog -> ``/oauth/access_token`` (code) -> ``fb_exchange_token``
(long-lived, ~60 days); refresh = ``fb_exchange_token`` again (a design
inference: Meta documents no other refresh for user tokens).  Instagram Login: authorize -> POST
``api.instagram.com/oauth/access_token`` -> ``ig_exchange_token`` (60 days);
refresh = ``ig_refresh_token`` (only for tokens at least 24 h old).

Nothing here keeps state: :mod:`.provider` persists results in the settings
file.  Every error text is redacted.
"""

import collections
import hashlib
import secrets as _secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from ig_fdw.graph import apiclock
from ig_fdw.graph.redact import register_secret

from .errors import AccountChoiceError, AuthError, NoClientId

Account = collections.namedtuple("Account", "ig_id username page_id page_name")

CREATE_APP_HINT = (
    "ig_fdw has no embedded Meta app: create one at https://developers.facebook.com/apps (type Business), add "
    "the Instagram product (API setup with Facebook Login, or with Instagram Login), add the CallbackURL "
    "(default http://localhost:33333) to the valid redirect URIs of the app, then set OAuthClientId and "
    "OAuthClientSecret (the app's id and secret) in the USER MAPPING (or --connection of ig-fdw). "
    "See docs/oauth.md.")


class TokenInfo:
    """The result of an exchange or refresh.  ``expires_in``: seconds, -1 = never."""

    __slots__ = ("access_token", "expires_in", "token_type", "user_id", "scopes", "obtained_at", "kind")

    def __init__(self, access_token, expires_in=-1, token_type="bearer", user_id=None, scopes=None,
                 obtained_at=None, kind=None):
        self.access_token = access_token
        self.expires_in = -1 if expires_in is None else int(expires_in)
        self.token_type = token_type or "bearer"
        self.user_id = None if user_id is None else str(user_id)
        self.scopes = list(scopes) if scopes else None
        self.obtained_at = obtained_at if obtained_at is not None else time.time()
        self.kind = kind
        register_secret(access_token)

    @property
    def expires_at(self):
        """Epoch seconds; 0 = never expires."""
        return 0 if self.expires_in < 0 else int(self.obtained_at + self.expires_in)

    def __repr__(self):
        return "TokenInfo(access_token=<redacted>, expires_in=%r, kind=%r)" % (self.expires_in, self.kind)

    __str__ = __repr__


def new_state():
    """A random ``state`` value for the authorization request (CSRF)."""
    return _secrets.token_urlsafe(24)


def require_client(opts, secret=True):
    if not opts.oauth_client_id:
        raise NoClientId("OAuthClientId is not set", CREATE_APP_HINT)
    if secret and not opts.oauth_client_secret:
        raise NoClientId("OAuthClientSecret is not set (needed with OAuthClientId %s)" % opts.oauth_client_id,
                         "Put the app secret in the USER MAPPING as OAuthClientSecret (or pass it to ig-fdw "
                         "with --client-secret / IG_FDW_OAUTHCLIENTSECRET). " + CREATE_APP_HINT)


# ---------------------------------------------------------------- HTTP
def _raise_for_body(resp, body, what):
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        code, sub = err.get("code"), err.get("error_subcode")
        msg = err.get("message") or "error"
        raise AuthError("%s failed: %s (code %s%s)" % (what, msg, code, ", subcode %s" % sub if sub else ""),
                        code=_int(code), subcode=_int(sub))
    if isinstance(body, dict) and body.get("error_message"):
        raise AuthError("%s failed: %s" % (what, body["error_message"]), code=_int(body.get("code")))
    if isinstance(body, dict) and isinstance(err, str):
        raise AuthError("%s failed: %s %s" % (what, err, body.get("error_description", "")))
    raise AuthError("%s failed: HTTP %s" % (what, resp.status_code))


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def http_json(method, url, what, opts=None, params=None, data=None, token=None):
    """One OAuth/Graph HTTP call -> parsed JSON; errors -> AuthError (redacted)."""
    headers = {"Accept": "application/json"}
    if token:
        register_secret(token)
        headers["Authorization"] = "Bearer " + token
    timeout = (opts.timeout or None) if opts is not None else 60
    try:
        resp = requests.request(method, url, params=params, data=data, headers=headers, timeout=timeout,
                                allow_redirects=False)
    except requests.RequestException as e:
        raise AuthError("%s failed: cannot reach %s: %s" % (what, _host(url), type(e).__name__),
                        "Check the network and the host options (graph_url, ig_graph_url, ig_api_url).",
                        sqlstate="08001") from None
    apiclock.observe(url, resp.headers.get("Date"))  # expiries are judged by the API's clock
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code >= 400 or body is None or (isinstance(body, dict) and ("error" in body
                                                                              or "error_message" in body)):
        _raise_for_body(resp, body, what)
    return body


def _host(url):
    u = urlsplit(url)
    return "%s://%s" % (u.scheme, u.netloc)


class _GivenToken:
    """The token of one OAuth-layer call, for the Graph client: when the API rejects it (code 190) there is
    nothing to refresh here; the caller (the token provider) decides what a rejection means."""

    def __init__(self, token):
        self._token = token

    def token(self):
        return self._token

    def refresh(self, stale):
        raise _Rejected("the token was rejected", "Authorize again (docs/oauth.md).", code=190)

    def __repr__(self):
        return "_GivenToken(<redacted>)"


class _Rejected(AuthError):
    """A 190 on a call of this module (the Graph client appends the API's reason to the message)."""


def graph_get(opts, path, params, token, what=None, app_secret=None, state_dir=None, base_url=None,
              versioned=True):
    """One GET on a Graph host through a :class:`ig_fdw.graph.GraphClient` (its retries, its rate state --
    shared with the FDW's client through ``state_dir`` -- and its redaction); errors -> AuthError with the
    API's code, as before (the token provider tells a revoked token, code 190, from a transient failure)."""
    from ig_fdw.graph import GraphClient
    from ig_fdw.graph.errors import GraphError, TransportError
    register_secret(token)
    what = what or "GET /%s" % path.lstrip("/")
    client = GraphClient(base_url or opts.api_base, opts.version, _GivenToken(token), app_secret=app_secret,
                         timeout=opts.timeout, max_concurrency=1, state_dir=state_dir)
    try:
        if versioned:
            return client.get(path.lstrip("/"), params=params)
        return client.get_unversioned(path, params=params)
    except _Rejected as e:
        raise AuthError("%s failed: %s (code 190)" % (what, e.message), code=190) from None
    except TransportError as e:
        raise AuthError("%s failed: %s" % (what, e.message),
                        "Check the network and the host options (graph_url, ig_graph_url, ig_api_url).",
                        sqlstate="08001", code=e.code, subcode=e.subcode) from None
    except GraphError as e:
        raise AuthError("%s failed: %s (code %s%s)" % (what, e.message, e.code,
                                                       ", subcode %s" % e.subcode if e.subcode else ""),
                        code=e.code, subcode=e.subcode) from None
    finally:
        client.close()


def graph_getter(opts, token, state_dir=None):
    """``http_get(path, params) -> dict`` on the flavour's Graph host with ``token`` (see :func:`graph_get`)."""
    secret = opts.oauth_client_secret if opts.login == "facebook" else None

    def http_get(path, params=None):
        return graph_get(opts, path, params, token, app_secret=secret, state_dir=state_dir)
    return http_get


# ---------------------------------------------------------------- authorization URL
def authorization_url(opts, auth_mode="WEB", callback_url=None, scope=None, state=None):
    """The URL the user opens to authorize the app (no secret in it)."""
    mode = (auth_mode or "WEB").upper()
    if mode not in ("WEB", "APP"):
        raise AuthError('AuthMode must be WEB or APP, not "%s"' % auth_mode, sqlstate="22023")
    require_client(opts, secret=False)
    if scope:
        scopes = [s.strip() for s in scope.replace(" ", ",").split(",") if s.strip()]
    else:
        scopes = opts.scopes
    q = [("client_id", opts.oauth_client_id), ("redirect_uri", callback_url or opts.callback_url),
         ("response_type", "code"), ("scope", ",".join(scopes))]
    if state:
        q.append(("state", state))
    base = opts.dialog
    return base + ("&" if "?" in base else "?") + urlencode(q)


def parse_verifier(verifier):
    """(code, state) from a bare code, a ``code#_=_`` copy or the whole redirected URL."""
    v = (verifier or "").strip()
    state = None
    if v.startswith("http://") or v.startswith("https://") or v.startswith("?") or "code=" in v:
        query = urlsplit(v).query if "://" in v else v.lstrip("?")
        qs = parse_qs(query.split("#", 1)[0])
        if "error" in qs:
            raise AuthError("the authorization was refused: %s" % (qs.get("error_description") or qs["error"])[0],
                            "Authorize again and approve the requested permissions.")
        v = (qs.get("code") or [""])[0]
        state = (qs.get("state") or [None])[0]
    v = v.split("#", 1)[0].strip()
    if not v:
        raise AuthError("no authorization code in the verifier", "Pass the code= value of the redirect URL.",
                        sqlstate="22023")
    register_secret(v)
    return v, state


# ---------------------------------------------------------------- exchanges
def exchange_code(opts, code, callback_url=None, clock=time.time):
    """Code -> long-lived token (both flavours).  No persistence."""
    require_client(opts)
    redirect = callback_url or opts.callback_url
    register_secret(code)
    if opts.login == "instagram":
        body = http_json("POST", opts.ig_api_url + "/oauth/access_token", "Instagram code exchange", opts, data={
            "client_id": opts.oauth_client_id, "client_secret": opts.oauth_client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect, "code": code})
        if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
            body = body["data"][0]  # [U] business-login response shape
        short = body.get("access_token")
        if not short:
            raise AuthError("Instagram code exchange returned no access token")
        register_secret(short)
        info = ig_exchange(opts, short, clock)
        info.user_id = str(body.get("user_id")) if body.get("user_id") is not None else None
        if body.get("permissions"):
            info.scopes = list(body["permissions"]) if isinstance(body["permissions"], list) else \
                str(body["permissions"]).split(",")
        return info
    body = http_json("GET", "%s/%s/oauth/access_token" % (opts.graph_url, opts.version), "code exchange", opts,
                     params={"client_id": opts.oauth_client_id, "redirect_uri": redirect,
                             "client_secret": opts.oauth_client_secret, "code": code})
    short = body.get("access_token")
    if not short:
        raise AuthError("code exchange returned no access token")
    register_secret(short)
    return fb_exchange(opts, short, clock)


# The exchanges of a token for a token are Graph GETs (retried: asking twice only mints one more token) and go
# through the Graph client; the code exchanges above stay single plain requests: a code is single-use, and a
# retry after a lost answer would spend it and report "code has been used" instead of the real outcome.
def fb_exchange(opts, token, clock=time.time, state_dir=None):
    """``fb_exchange_token``: a (short- or long-lived) user token -> a fresh long-lived one."""
    require_client(opts)
    body = graph_get(opts, "oauth/access_token", {
        "grant_type": "fb_exchange_token", "client_id": opts.oauth_client_id,
        "client_secret": opts.oauth_client_secret, "fb_exchange_token": token}, token,
        "long-lived token exchange (fb_exchange_token)", state_dir=state_dir, base_url=opts.graph_url)
    return _info(body, clock(), "user_long")  # clock() after the answer: it has taught the API's Date


def ig_exchange(opts, token, clock=time.time, state_dir=None):
    """``ig_exchange_token``: short-lived Instagram token -> long-lived (60 days)."""
    require_client(opts)
    body = graph_get(opts, "access_token", {"grant_type": "ig_exchange_token",
                                            "client_secret": opts.oauth_client_secret, "access_token": token},
                     token, "long-lived token exchange (ig_exchange_token)", state_dir=state_dir,
                     base_url=opts.ig_graph_url, versioned=False)
    return _info(body, clock(), "ig_long")


def ig_refresh(opts, token, clock=time.time, state_dir=None):
    """``ig_refresh_token``: long-lived Instagram token (>= 24 h old) -> new 60 days."""
    body = graph_get(opts, "refresh_access_token", {"grant_type": "ig_refresh_token", "access_token": token},
                     token, "token refresh (ig_refresh_token)", state_dir=state_dir, base_url=opts.ig_graph_url,
                     versioned=False)
    return _info(body, clock(), "ig_long")


def refresh_token_once(opts, token, clock=time.time, state_dir=None):
    """Refresh ``token`` with the flavour's grant (no persistence)."""
    if opts.login == "instagram":
        return ig_refresh(opts, token, clock, state_dir)
    return fb_exchange(opts, token, clock, state_dir)


def _info(body, now, kind):
    tok = body.get("access_token") if isinstance(body, dict) else None
    if not tok:
        raise AuthError("the token endpoint returned no access token")
    exp = body.get("expires_in")
    perms = body.get("permissions")
    if isinstance(perms, str):
        perms = perms.split(",")
    return TokenInfo(tok, -1 if exp in (None, 0) else int(exp), body.get("token_type"), body.get("user_id"),
                     perms, now, kind)


def debug_token(opts, token, state_dir=None):
    """``/debug_token`` data (needs the app id and secret): expires_at, scopes, type, user_id, is_valid."""
    require_client(opts)
    app_token = "%s|%s" % (opts.oauth_client_id, opts.oauth_client_secret)
    register_secret(app_token)
    body = graph_get(opts, "debug_token", {"input_token": token}, app_token, "debug_token", state_dir=state_dir,
                     base_url=opts.graph_url)
    return body.get("data") or {}


# ---------------------------------------------------------------- accounts
def _pages(opts, http_get):
    """Pages of /me/accounts with their token and linked IG business account (all pages)."""
    out = []
    params = {"fields": "id,name,access_token,instagram_business_account{id,username}", "limit": 100}
    for _ in range(100):
        body = http_get("me/accounts", params)
        for p in body.get("data") or []:
            out.append(p)
            if p.get("access_token"):
                register_secret(p["access_token"])
        after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
        if not (body.get("paging") or {}).get("next") or not after:
            break
        params = dict(params, after=after)
    return out


def discover_business_accounts(opts, http_get):
    """[(ig_id, username, page_id, page_name)] the token sees.

    Facebook Login: the Pages of ``/me/accounts`` that have an
    ``instagram_business_account``; a Page token sees its own Page only
    (``/me``).  Instagram Login: the token's own account (``/me``).
    ``http_get(path, params) -> dict`` is relative to the Graph host and
    version (e.g. ``GraphClient.get``).
    """
    if opts.login == "instagram":
        me = http_get("me", {"fields": "user_id,username"})
        return [Account(str(me.get("user_id") or me.get("id")), me.get("username"), None, None)]
    from ig_fdw.graph.errors import GraphError
    try:
        pages = _pages(opts, http_get)
    except (AuthError, GraphError) as e:    # http_get may be a GraphClient's (GraphError) or graph_getter's
        if e.code != 2500:  # "Unknown path components: /accounts": a Page token
            raise
        me = http_get("me", {"fields": "id,name,instagram_business_account{id,username}"})
        pages = [me]
    out = []
    for p in pages:
        ig = p.get("instagram_business_account")
        if ig and ig.get("id"):
            out.append(Account(str(ig["id"]), ig.get("username"), str(p.get("id")), p.get("name")))
    return out


def describe_accounts(accounts):
    """'id (@username, Page id name); ...' for messages that list the accounts a token sees."""
    return "; ".join("%s (@%s%s)" % (a[0], a[1], ", Page %s %s" % (a[2], a[3]) if a[2] else "")
                     for a in accounts)


def choose_business_account(opts, accounts):
    """BusinessAccountId if set; else the only account; else AccountChoiceError listing them."""
    if opts.business_account_id:
        return opts.business_account_id
    accounts = list(accounts)
    if len(accounts) == 1:
        return accounts[0][0]
    listing = describe_accounts(accounts)
    if not accounts:
        raise AccountChoiceError(
            "the token sees no Instagram business account",
            "Link an Instagram professional account to a Facebook Page you manage, and authorize with the "
            "pages_show_list and instagram_basic permissions (or use Login=instagram).", accounts=accounts)
    raise AccountChoiceError(
        "the token sees %d Instagram business accounts; set BusinessAccountId to one of them: %s"
        % (len(accounts), listing),
        "ALTER SERVER ... OPTIONS (ADD businessaccountid '%s') (or BusinessAccountId=... in --connection)."
        % accounts[0][0], accounts=accounts)


def page_token(opts, http_get, business_account_id):
    """(page_id, page_token) for AuthenticateAsPage: 'true' = the Page linked to the account,
    otherwise a Page id or name."""
    pages = _pages(opts, http_get)
    want = (opts.authenticate_as_page or "").strip()
    chosen = None
    if want.lower() in ("true", "yes", "1", "on"):
        for p in pages:
            if (p.get("instagram_business_account") or {}).get("id") == business_account_id:
                chosen = p
                break
        if chosen is None and len(pages) == 1:
            chosen = pages[0]
    else:
        for p in pages:
            if str(p.get("id")) == want or (p.get("name") or "").lower() == want.lower():
                chosen = p
                break
    if chosen is None or not chosen.get("access_token"):
        names = ", ".join("%s (%s)" % (p.get("id"), p.get("name")) for p in pages) or "none"
        raise AuthError("AuthenticateAsPage=%s: no such Page among the token's Pages (%s)" % (want, names),
                        "Set AuthenticateAsPage to true (the Page linked to BusinessAccountId) or to one of the "
                        "Page ids above.", sqlstate="22023")
    return str(chosen["id"]), chosen["access_token"]
