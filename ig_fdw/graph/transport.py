"""One Graph API request, done right: auth, pacing, retries, typed errors.

* Sessions are pooled per (base URL, credential identity) in a module
  registry; the key never holds the token itself.
* The token travels in ``Authorization: Bearer``; ``appsecret_proof`` (HMAC
  of the token keyed by the app secret) goes with the parameters.
* Retries are per request -- a page, a batch, one object -- never per scan,
  so rows already handed to PostgreSQL are never fetched again.
* Writes (POST/DELETE) are not repeated once they may have reached the
  server; :class:`AmbiguousWrite` says so instead.
"""

import hashlib
import hmac
import random
import threading
import time

import requests
import requests.auth
from requests.adapters import HTTPAdapter

from . import apiclock, errors
from .concurrency import current_cancel
from .errors import (AmbiguousWrite, Cancelled, GraphError, RateLimited, TokenExpired,
                     TransportError, from_error_body)
from .ratelimit import (BUC_MAX_ACCOUNTS, pacing_delay, parse_app_usage, parse_buc, parse_usage,
                        throttle_wait_allowed)
from .redact import redact, redacting_logger, register_secret

log = redacting_logger("ig_fdw.graph")

_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()


def session_for(base_url, identity, pool_size=16):
    """The shared :class:`requests.Session` for one backend and credential.

    ``identity`` is an opaque credential id (see :func:`credential_identity`),
    never a raw token, so the registry is safe to print.
    """
    key = (base_url.rstrip("/"), identity)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(16, pool_size), max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = "ig_fdw-graph/0.1"
            _SESSIONS[key] = session
        return session


def registered_sessions():
    """Keys of the session registry (safe to print)."""
    with _SESSIONS_LOCK:
        return list(_SESSIONS)


def credential_identity(token_provider, current_token):
    """A printable, stable id for the credential behind ``token_provider``.

    ``current_token`` is a callable, asked only when the provider has no
    ``identity``: building a client must not need a token yet (the OAuth
    procedures run before there is one)."""
    ident = getattr(token_provider, "identity", None)
    if ident:
        return redact(str(ident))
    return "cred-" + hashlib.sha256(current_token().encode("utf-8")).hexdigest()[:16]


def appsecret_proof(token, app_secret):
    """hex HMAC-SHA256 of the token, keyed by the app secret (Graph ``appsecret_proof``)."""
    proof = hmac.new(app_secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()
    register_secret(proof)
    return proof


class RetryPolicy:
    """How hard to try one request.

    ``max_attempts`` counts every attempt (first included); ``max_elapsed``
    bounds the total seconds spent on backoff for one request.  Delays grow
    as ``base_delay * 2**n`` up to ``max_delay`` with ``jitter`` (fraction
    taken off at random) so that parallel workers do not retry in lockstep.
    """

    def __init__(self, max_attempts=5, base_delay=0.5, max_delay=20.0, max_elapsed=120.0,
                 jitter=0.5, batch_rounds=None):
        self.max_attempts = max(1, int(max_attempts))
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.max_elapsed = float(max_elapsed)
        self.jitter = min(1.0, max(0.0, float(jitter)))
        self.batch_rounds = int(batch_rounds) if batch_rounds else self.max_attempts

    def delay(self, failures, rng=random):
        """Backoff before the attempt following ``failures`` failed ones."""
        raw = min(self.max_delay, self.base_delay * (2 ** max(0, failures - 1)))
        return raw * (1.0 - self.jitter * rng.random())

    def __repr__(self):
        return "RetryPolicy(max_attempts=%d, base_delay=%s, max_delay=%s, max_elapsed=%s)" % (
            self.max_attempts, self.base_delay, self.max_delay, self.max_elapsed)


class TokenManager:
    """Hands out the current token and refreshes it at most once per stale token.

    Several workers can hit code 190 at the same moment; only the first calls
    ``token_provider.refresh``, the others pick up the new token.
    """

    def __init__(self, provider, app_secret=None):
        self.provider = provider
        self.app_secret = app_secret
        self._lock = threading.Lock()
        self._replaced = {}  # stale token -> its replacement
        register_secret(app_secret)

    def current(self):
        with self._lock:
            token = self.provider.token()
            while token in self._replaced:
                token = self._replaced[token]
        if not token:
            raise errors.TokenInvalid("no access token is configured")
        register_secret(token)
        return token

    def refresh(self, stale, stats=None, reason=None):
        """Return a fresh token; calls the provider only if ``stale`` is still current.

        ``reason``: the API's message rejecting ``stale`` ("Session has expired on ..."), added to the
        provider's error when it cannot refresh, so that the user sees Meta's reason too."""
        with self._lock:
            if stale in self._replaced:
                return self._replaced[stale]
            try:
                fresh = self.provider.refresh(stale)
            except GraphError:
                raise
            except Exception as exc:
                if getattr(exc, "sqlstate", None) and getattr(exc, "hint", None):
                    _add_reason(exc, reason)
                    raise     # the auth layer's own error already says what to do
                raise errors.TokenExpired(
                    "the access token expired and refreshing it failed: %s" % redact(exc)) from None
            if not fresh or fresh == stale:
                raise errors.TokenExpired("the access token expired and the refresh returned no new token")
            register_secret(fresh)
            self._replaced[stale] = fresh
            if stats is not None:
                stats.add("refreshes")
            return fresh

    def auth(self, token):
        """(requests auth object, extra params) authenticating one request."""
        params = {}
        secret = self.app_secret or getattr(self.provider, "app_secret", None)  # a later connection: from the file
        if secret:
            params["appsecret_proof"] = appsecret_proof(token, secret)
        return BearerAuth(token), params


def _add_reason(exc, reason):
    """Append the API's reason to an auth error's message (once)."""
    message = getattr(exc, "message", None)
    if not reason or not isinstance(message, str) or reason in message:
        return
    exc.message = redact("%s (the Graph API said: %s)" % (message, reason))
    exc.args = (exc.message,)


class BearerAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer``.  Passed as ``auth=`` so that requests
    never replaces it with credentials from ``~/.netrc``; prints redacted."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer " + self._token
        return request

    def __repr__(self):
        return "BearerAuth(<redacted>)"


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another attempt."""

    def __init__(self, error, wait=None, throttled=False):
        super().__init__(str(error))
        self.error = error
        self.wait = wait
        self.throttled = throttled


class Transport:
    """Sends single requests with retries; shared by every part of a client."""

    def __init__(self, tokens, identity, base_url, timeout=60.0, retry=None, rate_state=None,
                 rate_limit_max_wait=60.0, stats=None, runner=None, sleep=None,
                 slow_down_at=80.0, slow_down_max_delay=2.0, pool_size=16):
        self.tokens = tokens
        self.identity = identity
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.retry = retry or RetryPolicy()
        self.rate_state = rate_state
        self.rate_limit_max_wait = float(rate_limit_max_wait)
        self.stats = stats
        self.runner = runner
        self._sleep_hook = sleep
        self.slow_down_at = slow_down_at
        self.slow_down_max_delay = slow_down_max_delay
        self.session = session_for(self.base_url, identity, pool_size)
        self._rng = random.Random()

    # -- helpers -----------------------------------------------------------
    def sleep(self, seconds):
        if seconds <= 0:
            return
        if self._sleep_hook is not None:
            self._check_cancel()
            self._sleep_hook(seconds)
            self._check_cancel()
        elif self.runner is not None:
            self.runner.sleep(seconds)
        else:
            time.sleep(seconds)

    @staticmethod
    def _check_cancel():
        cancel = current_cancel()
        if cancel is not None and cancel.is_set():
            raise Cancelled("request cancelled")

    def _count(self, name, amount=1):
        if self.stats is not None:
            self.stats.add(name, amount)

    # -- the request loop --------------------------------------------------
    def request(self, method, url, params=None, data=None, idempotent=None):
        """Send one request and return ``(json_body, response_headers)``.

        ``url`` is absolute (the client builds it from ``base_url``).  GETs
        are idempotent; POST/DELETE are not unless the caller says so (a batch
        of GETs is a POST that may be repeated).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD")
        started = time.monotonic()
        failures = 0
        refreshed = False
        token = self.tokens.current()
        objects = _objects_of(url, params)
        just_waited = False
        while True:
            self._check_cancel()
            if not just_waited:  # right after a throttle wait old usage figures are stale
                self._pace(objects)
            just_waited = False
            try:
                return self._attempt(method, url, params, data, idempotent, token, objects)
            except TokenExpired as exc:
                if refreshed:
                    raise type(exc)(
                        "the access token was refreshed but the Graph API still rejects it: %s" % exc.message,
                        code=exc.code, subcode=exc.subcode, type=exc.type, fbtrace_id=exc.fbtrace_id,
                        http_status=exc.http_status) from None
                refreshed = True
                log.info("ig_fdw.graph: token rejected (code %s), refreshing once", exc.code)
                token = self.tokens.refresh(token, self.stats, exc.message)
                self._count("retries")
            except _Retry as retry:
                failures += 1
                error = retry.error
                if failures >= self.retry.max_attempts:
                    raise self._exhausted(error, failures) from None
                if retry.throttled:
                    # No regain estimate (or 0): back off as for any transient error.
                    wait = retry.wait or self.retry.delay(failures, self._rng)
                    self._throttle_wait(wait, error)
                    just_waited = True
                else:
                    wait = self.retry.delay(failures, self._rng)
                    if time.monotonic() - started + wait > self.retry.max_elapsed:
                        raise self._exhausted(error, failures) from None
                    log.info("ig_fdw.graph: %s %s failed (%s); retry %d in %.2fs", method,
                             redact(_path_only(url)), redact(error), failures, wait)
                    self.sleep(wait)
                self._count("retries")

    def _exhausted(self, error, attempts):
        """The error to raise when the retry budget is spent."""
        cls = type(error)
        msg = "%s (gave up after %d attempts)" % (error.message, attempts)
        kw = dict(code=error.code, subcode=error.subcode, type=error.type,
                  fbtrace_id=error.fbtrace_id, http_status=error.http_status)
        if isinstance(error, RateLimited):
            return RateLimited(msg + "; the Graph API keeps throttling this app. Wait a few minutes "
                               "before retrying, or raise RateLimitMaxWait.", retry_after=error.retry_after, **kw)
        if (error.http_status or 0) >= 500 and not isinstance(error, errors.TransportError):
            return errors.TransportError(msg, **kw)     # HV00N, as docs/troubleshooting.md says
        return cls(msg, **kw)

    def waited_for_throttles(self):
        """Seconds this statement has already spent waiting for throttles."""
        return float(self.stats.throttled_seconds) if self.stats is not None else 0.0

    def _throttle_wait(self, wait, error, account=None):
        if not throttle_wait_allowed(wait, self.waited_for_throttles(), self.rate_limit_max_wait):
            raise self._rate_limited(wait, error, account)
        log.info("ig_fdw.graph: throttled by the Graph API, waiting %.1fs", wait)
        self._count("throttled_waits")
        self._count("throttled_seconds", wait)
        self.sleep(wait)

    def _rate_limited(self, wait, error=None, account=None):
        minutes = max(1, int(-(-wait // 60)))
        detail = (": " + error.message) if error is not None else ""
        if account is not None and error is None:
            detail = (" for business account %s (its Business Use Case share is spent; calls about other "
                      "accounts are not delayed)" % account)
        kw = {}
        if error is not None:
            kw = dict(code=error.code, subcode=error.subcode, type=error.type,
                      fbtrace_id=error.fbtrace_id, http_status=error.http_status)
        waited = self.waited_for_throttles()
        spent = (", and this scan has already waited %.0f s for throttling" % waited) if waited else ""
        return RateLimited(
            "Graph API rate limit reached%s. Access should be back in about %d minute(s) (%.0f s)%s; "
            "RateLimitMaxWait lets a scan wait %.0f s in all: wait that long and run the query again, "
            "or raise RateLimitMaxWait to let ig_fdw wait." % (detail, minutes, wait, spent,
                                                               self.rate_limit_max_wait),
            retry_after=wait, **kw)

    def _pace(self, objects=()):
        """Wait before a call if the shared state says the app, or the business
        account the call is about, is blocked or busy.  Another account's block
        or share never delays this call."""
        if self.rate_state is None:
            return
        snapshot = self.rate_state.read()
        accounts = self.rate_state.accounts_of(objects)
        blocked = self.rate_state.blocked_for(snapshot)
        if blocked > 0:
            # Calling while throttled extends the block: wait or give up, never call.
            self._throttle_wait(blocked, None)
            return
        own = self.rate_state.blocked_account(snapshot, accounts)
        if own is not None:
            self._throttle_wait(own[1], None, account=own[0])
            return
        delay = pacing_delay(self.rate_state.current_usage(snapshot, accounts), self.slow_down_at,
                             self.slow_down_max_delay)
        if delay > 0:
            self._count("paced_seconds", delay)
            self.sleep(delay)

    def _attempt(self, method, url, params, data, idempotent, token, objects=()):
        auth, auth_params = self.tokens.auth(token)
        if method in ("GET", "HEAD", "DELETE"):
            params = _merge(params, auth_params)
        else:
            data = _merge(data, auth_params)
        try:
            response = self.session.request(method, url, params=params, data=data,
                                            auth=auth, timeout=self.timeout)
            body_bytes = response.content  # reads the body: slow bodies time out here
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            # ChunkedEncodingError: the connection broke while the body was read.
            self._count("calls")
            raise self._network_error(exc, method, url, idempotent) from None
        except requests.RequestException as exc:
            self._count("calls")
            raise TransportError("request to the Graph API failed: %s" % redact(exc)) from None
        self._count("calls")
        self._count("bytes_received", len(body_bytes))
        return self._interpret(response, body_bytes, method, url, idempotent, objects)

    def _network_error(self, exc, method, url, idempotent):
        never_sent = _never_sent(exc)
        what = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        text = "%s %s %s: %s" % (method, _path_only(url), what, _short(exc))
        if idempotent or never_sent:
            return _Retry(TransportError(text, retryable=True))
        return AmbiguousWrite(text + "; the write may have been applied")

    def _interpret(self, response, body_bytes, method, url, idempotent, objects=()):
        status = response.status_code
        apiclock.observe(url, response.headers.get("Date"))   # token expiry is judged by the API's clock
        usage, regain = parse_usage(response.headers)
        if self.stats is not None:
            self.stats.note_buc(response.headers.get("X-Business-Use-Case-Usage"))
        try:
            body = response.json() if body_bytes else None
        except ValueError:
            body = _MALFORMED
        error = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = from_error_body(body, status)
        throttled = isinstance(error, RateLimited) or status == 429
        self._record_usage(usage, regain, throttled, success=error is None and status < 400,
                           headers=response.headers, error=error, objects=objects)
        if error is not None:
            if status >= 500 and not idempotent and not isinstance(error, (RateLimited, TokenExpired)):
                # the server failed after receiving a write: it may have been applied (sending it again
                # could post twice); the caller looks it up first (ig_fdw.writes)
                raise AmbiguousWrite("%s; the write may have been applied (HTTP %s)" % (error.message, status),
                                     code=error.code, subcode=error.subcode, http_status=status)
            return self._on_graph_error(error, regain, method, url)
        if body is _MALFORMED or (body is None and status < 400):
            err = TransportError("%s %s returned a malformed JSON body (HTTP %s)" % (
                method, _path_only(url), status), http_status=status, retryable=True)
            return self._fail_unreadable(err, idempotent, status)
        if status == 429:
            raise _Retry(RateLimited("HTTP 429 Too Many Requests", http_status=status),
                         wait=regain, throttled=True)
        if status >= 400:
            cls = errors.error_class(None, None, status) if status < 500 else TransportError
            err = cls("%s %s failed with HTTP %s" % (method, _path_only(url), status),
                      http_status=status, retryable=status >= 500)
            return self._fail_unreadable(err, idempotent, status)
        return body, response.headers

    def _fail_unreadable(self, err, idempotent, status):
        """A 5xx or unreadable answer: retry reads; a write may have happened.

        A 4xx without a Graph error body is a plain rejection: raised as is.
        """
        if 400 <= status < 500:
            raise err
        if not idempotent:
            raise AmbiguousWrite(err.message + "; the write may have been applied", http_status=status)
        raise _Retry(err)

    def _on_graph_error(self, error, regain, method, url):
        if isinstance(error, TokenExpired):
            raise error
        if isinstance(error, RateLimited):
            raise _Retry(error, wait=regain, throttled=True)
        if error.retryable:
            raise _Retry(error)
        raise error

    def _record_usage(self, usage, regain, throttled, success, headers=None, error=None, objects=()):
        """Share what this response said about usage (a success lifts the blocks
        it proves over).  A Business Use Case throttle blocks the accounts its
        header names; only an app-level throttle (codes 4, 17, 32, 341, 368, 613, or a 429
        naming no account) blocks every call."""
        if self.stats is not None:
            self.stats.note_usage(usage)
        if self.rate_state is None:
            return
        app_usage, app_regain = parse_app_usage(headers)
        buc = parse_buc(headers)
        blocked = {b for b, (_u, r) in buc.items() if r}
        app_throttle = throttled and (getattr(error, "code", None) in APP_THROTTLE_CODES
                                      or (error is None and not blocked))
        if len(buc) > BUC_MAX_ACCOUNTS:      # about the token's accounts in general: keep the blocks only
            buc = {b: v for b, v in buc.items() if b in blocked}
        accounts = self.rate_state.accounts_of(objects)
        if not (app_usage is not None or app_throttle or app_regain or buc) and not self._blocks_to_lift(
                success, accounts):
            return                          # nothing to record: no write of the shared file
        if len(buc) == 1 and objects:
            self.rate_state.learn_owner(objects, next(iter(buc)))
            accounts = self.rate_state.accounts_of(objects)
        clear = [b for b in buc if b not in blocked] + (accounts if success else [])
        app_regain = regain if app_throttle else app_regain
        self.rate_state.update(usage=app_usage, regain_seconds=app_regain, throttled=app_throttle,
                               accounts=buc, clear_accounts=clear,
                               clear_app=success and not app_regain)

    def _blocks_to_lift(self, success, accounts):
        """Whether a success has app-wide or own-account blocks to lift."""
        if not success:
            return False
        snapshot = self.rate_state.read()
        return (self.rate_state.blocked_for(snapshot) > 0
                or self.rate_state.blocked_account(snapshot, accounts) is not None)

    def record_items(self, items, paths):
        """Share the usage headers of batch items (each names its own account);
        ``paths`` are the items' relative URLs, in order."""
        highest = None
        for item, path in zip(items, paths):
            if not isinstance(item, dict):
                continue
            headers = _Caseless({h["name"]: h.get("value") for h in item.get("headers") or []
                                 if isinstance(h, dict) and "name" in h})
            usage, regain = parse_usage(headers)
            if usage is not None:
                highest = usage if highest is None else max(highest, usage)
            if self.rate_state is not None and (usage is not None or regain):
                self._record_usage(None, regain, False, item.get("code") == 200, headers,
                                   objects=_objects_of("/" + str(path or "").split("?", 1)[0], None))
        if self.stats is not None:
            self.stats.note_usage(highest)


#: Throttles of the app, user or Page as a whole (the 80000-80014 range is per business object).
APP_THROTTLE_CODES = (4, 17, 32, 341, 368, 613)


class _Caseless(dict):
    """Header lookup by any case (batch items list headers as name/value pairs)."""

    def get(self, name, default=None):
        for k, v in self.items():
            if k.lower() == name.lower():
                return v
        return default


def _objects_of(url, params):
    """Ids of the objects a request is about: the first path segment after the
    version, and the ``ids=`` of a multi-object read (digits only)."""
    from urllib.parse import urlsplit
    segments = [x for x in urlsplit(url).path.split("/") if x]
    if segments and segments[0][:1] == "v" and segments[0][1:].replace(".", "").isdigit():
        segments = segments[1:]
    out = [segments[0]] if segments and segments[0].isdigit() else []
    ids = params.get("ids") if isinstance(params, dict) else None
    if isinstance(ids, str):
        out.extend(i.strip() for i in ids.split(",") if i.strip().isdigit())
    return out


_MALFORMED = object()


def _merge(a, b):
    if not b:
        return a
    if a is None:
        return dict(b)
    if isinstance(a, dict):
        merged = dict(a)
        merged.update(b)
        return merged
    return list(a) + list(b.items())


def _path_only(url):
    """The URL without host and query, for messages."""
    from urllib.parse import urlsplit
    return urlsplit(url).path or "/"


def _short(exc):
    text = redact(exc)
    return text if len(text) <= 300 else text[:300] + "..."


def _never_sent(exc):
    """True when the failure proves the request never left (connect refused/timed out)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    try:
        from urllib3.exceptions import NewConnectionError, MaxRetryError
    except ImportError:  # pragma: no cover
        return False
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (NewConnectionError, ConnectionRefusedError)):
            return True
        if isinstance(e, MaxRetryError):
            stack.append(e.reason)
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        stack.append(e.__cause__)
        stack.append(e.__context__)
    return False
