"""GraphClient: the one object the FDW talks to.

It wires the pieces together -- token handling and retries
(:mod:`.transport`), paging (:mod:`.paging`), batches (:mod:`.batch`), the
shared rate-limit state (:mod:`.ratelimit`), the response cache
(:mod:`.cache`) and the worker pool (:mod:`.concurrency`) -- and keeps the
calling thread responsive to statement cancels: every HTTP request runs on a
worker while the caller waits in short slices.
"""

from urllib.parse import urlsplit

from . import apiclock, cache as cache_mod
from .batch import (AUTH, FAILED, MAX_BATCH, OK, BatchRequest, chunks, encode_batch, item_usage,
                    judge_item)
from .concurrency import Runner
from .errors import GraphError, InvalidParameter, NotFound, RateLimited, TokenExpired, TransportError
from .paging import iter_pages, page_size_for
from .ratelimit import RateState
from .redact import redact, redacting_logger
from .stats import CallStats
from .transport import RetryPolicy, TokenManager, Transport, credential_identity

log = redacting_logger("ig_fdw.graph")

DEFAULT_VERSION = "v22.0"


class StaticToken:
    """A token provider for a fixed token (no refresh possible)."""

    def __init__(self, token, identity=None):
        self._token = token
        if identity:
            self.identity = identity

    def token(self):
        return self._token

    def refresh(self, stale):
        raise TokenExpired("the access token expired and no refresh is configured")

    def __repr__(self):
        return "StaticToken(<redacted>)"


class GraphClient:
    """Instagram Graph API client.

    Options map to CData-style connection properties: ``timeout``
    (Timeout, seconds), ``pagesize`` (Pagesize), ``rate_limit_max_wait``
    (RateLimitMaxWait, seconds).  ``sleep`` and ``clock`` replace the
    waiting function and the epoch clock of the rate-limit state (tests pass
    ones driven by the sandbox clock instead of the wall clock); ``rate_state``
    an existing :class:`RateState` to share.
    """

    def __init__(self, base_url, version=DEFAULT_VERSION, token_provider=None, app_secret=None,
                 timeout=60, pagesize=100, max_concurrency=4, retry=None, rate_limit_max_wait=60,
                 state_dir=None, cache_ttl=0, interrupt_check=None, sleep=None,
                 slow_down_at=80.0, slow_down_max_delay=2.0, clock=None, rate_state=None):
        if token_provider is None:
            raise ValueError("token_provider is required")
        if isinstance(token_provider, str):
            token_provider = StaticToken(token_provider)
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.pagesize = int(pagesize)
        self.cache_ttl = float(cache_ttl or 0)
        self.retry = retry or RetryPolicy()
        self.tokens = TokenManager(token_provider, app_secret)
        self.identity = credential_identity(token_provider, self.tokens.current)
        self.runner = Runner(max_concurrency, interrupt_check)
        # clients of one user mapping share one (ig_fdw.connection); blocks and usage readings are
        # judged by the API's clock (its Date header), as its regain estimates are
        self.rate_state = rate_state or RateState(state_dir, clock=clock or apiclock.clock_for(self.base_url))
        self._stats = CallStats()
        self.transport = Transport(
            self.tokens, self.identity, self.base_url, timeout=timeout, retry=self.retry,
            rate_state=self.rate_state, rate_limit_max_wait=rate_limit_max_wait, stats=self._stats,
            runner=self.runner, sleep=sleep, slow_down_at=slow_down_at,
            slow_down_max_delay=slow_down_max_delay, pool_size=max_concurrency)

    # -- housekeeping ------------------------------------------------------
    @property
    def stats(self):
        """Counters of the current statement (see :class:`CallStats`)."""
        return self._stats

    def reset_stats(self):
        """Start counting a new statement; returns the finished one."""
        return self.count_into(CallStats())

    def count_into(self, stats):
        """Count into ``stats`` from now on (a CallStats, or an object with its methods that shares them out
        between the scans of one connection: ig_fdw.connection); returns the previous one."""
        old, self._stats = self._stats, stats
        self.transport.stats = stats
        return old

    @property
    def max_concurrency(self):
        return self.runner.max_concurrency

    def close(self):
        self.runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return redact("GraphClient(%r, %r, identity=%r)" % (self.base_url, self.version, self.identity))

    def _url(self, path):
        return "%s/%s/%s" % (self.base_url, self.version, path.lstrip("/"))

    # -- plain reads -------------------------------------------------------
    def get(self, path, params=None, fields=None):
        """GET one node or edge page; returns the parsed JSON body."""
        return self.runner.run(self._get, self._url(path), _with_fields(params, fields))

    def get_unversioned(self, path, params=None):
        """GET a path of the host without the version (graph.instagram.com's ``access_token`` and
        ``refresh_access_token`` endpoints)."""
        return self.runner.run(self._get, "%s/%s" % (self.base_url, path.lstrip("/")), params)

    def _get(self, url, params):
        """GET with the cache in front (runs on a worker)."""
        key = None
        if self.cache_ttl > 0:
            path = url[len(self.base_url):]
            key = cache_mod.ResponseCache.key(self.identity, self.base_url, path, params)
            hit = cache_mod.CACHE.get(key)
            if hit is not None:
                self._stats.add("cache_hits")
                return hit
        body, _headers = self.transport.request("GET", url, params=params)
        if key is not None:
            cache_mod.CACHE.put(key, body, self.cache_ttl)
        return body

    def paginate(self, path, params=None, fields=None, limit=None, page_size=None):
        """Yield the rows of an edge, page after page, until there is no ``next``.

        ``limit`` (rows wanted) stops early and shrinks the page size; the page
        size is ``page_size`` (a table's own cap) or the client's ``pagesize``, at most 100.
        """
        size = page_size_for(page_size or self.pagesize, limit)
        first_params = _with_fields(params, fields)
        first_params["limit"] = size

        def first():
            return self.runner.run(self._get, self._url(path), first_params)

        def following(next_path, query):
            return self.runner.run(self._get, self._next_url(next_path), query)

        return iter_pages(first, following, size, limit, on_page=lambda: self._stats.add("pages"))

    def _next_url(self, next_path):
        """A ``paging.next`` path on this client's host.  The path already carries
        the base URL's own path prefix when the API is served under one (the
        sandbox's Instagram host, /ig): it is not added twice."""
        prefix = urlsplit(self.base_url).path.rstrip("/")
        if prefix and (next_path == prefix or next_path.startswith(prefix + "/")):
            next_path = next_path[len(prefix):]
        return self.base_url + next_path

    # -- multi-object reads ------------------------------------------------
    def get_many(self, ids, fields=None, params=None, on_error="return"):
        """Read many objects with ``?ids=`` (50 per call, calls in parallel).

        Returns one entry per input id, in input order: the object dict, or
        the exception for that id (``on_error="return"``); ``"raise"``
        raises the first one instead.  Failures of a whole call (network,
        throttling past the budget) always raise: they are not item errors.
        """
        ids = [str(i) for i in ids]
        unique = list(dict.fromkeys(ids))
        base = _with_fields(params, fields)
        parts = self.runner.map(lambda chunk: self._get_chunk(chunk, base), chunks(unique, MAX_BATCH))
        found = {}
        for part in parts:
            found.update(part)
        return _finish([found[i] for i in ids], on_error, self._stats)

    def _get_chunk(self, chunk, base):
        params = dict(base)
        params["ids"] = ",".join(chunk)
        try:
            body = self._get(self._url(""), params)
        except (NotFound, InvalidParameter):
            # One bad id fails an ids= call as a whole: ask per item instead.
            reqs = [BatchRequest("GET", i, base) for i in chunk]
            return dict(zip(chunk, self._run_batch(reqs)))
        body = body if isinstance(body, dict) else {}
        out = {}
        for i in chunk:
            obj = body.get(i)
            out[i] = obj if isinstance(obj, dict) else NotFound("object %s was not returned by the Graph API" % i)
        return out

    def batch(self, items, on_error="return"):
        """Run requests through the batch API, 50 per call, calls in parallel.

        ``items`` are :class:`BatchRequest`, relative URL strings or dicts;
        results come back in input order (parsed bodies, or per-item
        exceptions -- see :meth:`get_many` for ``on_error``).  Items the
        server did not run (``null``) or that failed transiently are sent
        again, a bounded number of rounds.
        """
        reqs = [BatchRequest.coerce(i) for i in items]
        return _finish(self._run_batch(reqs), on_error, self._stats)

    def _run_batch(self, reqs):
        results = [None] * len(reqs)
        last = {}
        pending = []
        for i, req in enumerate(reqs):
            hit = self._cache_get_item(req)
            if hit is not None:
                results[i] = hit
            else:
                pending.append(i)
        refreshed = False
        rounds = 0
        while pending:
            rounds += 1
            stale = self.tokens.current()
            groups = chunks(pending, MAX_BATCH)
            answers = self.runner.map(lambda g: self._send_batch([reqs[i] for i in g]), groups)
            retry, auth, waits = [], [], []
            for group, answer in zip(groups, answers):
                for pos, i in enumerate(group):
                    item = answer[pos] if pos < len(answer) else None
                    kind, value = judge_item(item)
                    if kind == OK:
                        results[i] = value
                        self._cache_put_item(reqs[i], value)
                    elif kind == FAILED:
                        results[i] = value
                    elif kind == AUTH:
                        auth.append(i)
                        last[i] = value
                    else:
                        retry.append(i)
                        last[i] = value
                        if isinstance(value, RateLimited):
                            waits.append(item_usage(item)[1] or 0.0)
            if auth:
                if refreshed:
                    for i in auth:
                        results[i] = last[i]
                else:
                    refreshed = True
                    # on a worker: the provider may do HTTP, the caller keeps checking for cancels
                    self.runner.run(self.tokens.refresh, stale, self._stats,
                                    getattr(last[auth[0]], "message", None))
                    retry.extend(auth)
            pending = sorted(retry)
            if not pending:
                break
            if rounds >= self.retry.batch_rounds:
                for i in pending:
                    err = last[i]
                    results[i] = type(err)("%s (gave up after %d batch rounds)" % (err.message, rounds),
                                           code=err.code, subcode=err.subcode, http_status=err.http_status)
                break
            self._stats.add("retries", len(pending))
            log.info("ig_fdw.graph: re-sending %d batch items (round %d)", len(pending), rounds + 1)
            wait = max(waits) if waits else 0.0
            if wait > 0:
                try:   # the block's estimate, counted against the statement's RateLimitMaxWait
                    self.transport._throttle_wait(wait, last[pending[0]])
                except RateLimited:
                    for i in pending:
                        results[i] = self.transport._rate_limited(wait, last[i])
                    break
            else:
                self.transport.sleep(self.retry.delay(rounds))
        return results

    def _send_batch(self, reqs):
        """One batch HTTP call (runs on a worker); returns the raw item list."""
        data = {"batch": encode_batch(reqs), "include_headers": "true"}
        self._stats.add("batches")
        self._stats.add("batch_items", len(reqs))
        body, _headers = self.transport.request("POST", self._url(""), data=data,
                                                idempotent=all(r.idempotent for r in reqs))
        if not isinstance(body, list):
            raise TransportError("the Graph API answered a batch with something else than a list")
        self._record_item_usage(body, reqs)
        return body

    def _record_item_usage(self, items, reqs):
        """Each batch item carries its own usage headers: shared per account by the transport."""
        for item in items:
            for h in (item.get("headers") or []) if isinstance(item, dict) else []:
                if isinstance(h, dict) and str(h.get("name", "")).lower() == "x-business-use-case-usage":
                    self._stats.note_buc(h.get("value"))
        self.transport.record_items(items, [r.path for r in reqs])

    def _item_cache_key(self, req):
        if self.cache_ttl <= 0 or not req.idempotent or req.body:
            return None
        path = "/%s/%s" % (self.version, req.path.split("?", 1)[0])
        params = dict(req.params)
        if "?" in req.path:
            from urllib.parse import parse_qsl
            params.update(parse_qsl(req.path.split("?", 1)[1], keep_blank_values=True))
        return cache_mod.ResponseCache.key(self.identity, self.base_url, path, params)

    def _cache_get_item(self, req):
        key = self._item_cache_key(req)
        if key is None:
            return None
        hit = cache_mod.CACHE.get(key)
        if hit is not None:
            self._stats.add("cache_hits")
        return hit

    def _cache_put_item(self, req, value):
        key = self._item_cache_key(req)
        if key is not None:
            cache_mod.CACHE.put(key, value, self.cache_ttl)

    # -- writes ------------------------------------------------------------
    def post(self, path, data=None):
        """POST (a write).  Not repeated once it may have reached the server:
        raises :class:`AmbiguousWrite` then, so the caller can check."""
        body, _ = self.runner.run(self.transport.request, "POST", self._url(path), None, data, False)
        return body

    def delete(self, path, params=None):
        """DELETE an object; treated like a write (see :meth:`post`)."""
        body, _ = self.runner.run(self.transport.request, "DELETE", self._url(path), params, None, False)
        return body

    # -- concurrency -------------------------------------------------------
    def map_concurrent(self, fn, items, return_exceptions=False):
        """``[fn(x) for x in items]`` on the worker pool (``max_concurrency``),
        results in input order; ``fn`` may call this client's methods."""
        return self.runner.map(fn, items, return_exceptions=return_exceptions)


def _with_fields(params, fields):
    out = dict(params or {})
    if fields:
        out["fields"] = fields if isinstance(fields, str) else ",".join(fields)
    return out


def _finish(results, on_error, stats):
    if on_error not in ("return", "raise"):
        raise ValueError("on_error must be 'return' or 'raise'")
    errors = [r for r in results if isinstance(r, GraphError)]
    if errors:
        stats.add("errors", len(errors))
        if on_error == "raise":
            raise errors[0]
    return results
