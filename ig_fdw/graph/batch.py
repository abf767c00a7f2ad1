"""Batch API encoding and per-item results.

One ``POST /vX/`` with ``batch=[{"method", "relative_url", "body"}, ...]``
carries up to 50 requests; the answer is a list in the same order whose
items are ``{"code", "headers", "body": "<json string>"}`` or ``null`` when
the server did not run that request (safe to send again).  Each item is
judged on its own: one bad id does not fail its 49 neighbours.
"""

import json
from urllib.parse import urlencode

from .errors import TransportError, error_class, from_error_body
from .ratelimit import parse_usage

MAX_BATCH = 50


class BatchRequest:
    """One request inside a batch (``path`` is relative to the API version)."""

    __slots__ = ("method", "path", "params", "body")

    def __init__(self, method="GET", path="", params=None, body=None):
        self.method = method.upper()
        self.path = path.lstrip("/")
        self.params = params or {}
        self.body = body

    @classmethod
    def coerce(cls, item):
        """Accept a BatchRequest, a path string, or a dict in Graph batch shape."""
        if isinstance(item, cls):
            return item
        if isinstance(item, str):
            return cls("GET", item)
        if isinstance(item, dict):
            if "relative_url" in item:
                return cls(item.get("method", "GET"), item["relative_url"], None, item.get("body"))
            return cls(item.get("method", "GET"), item.get("path", ""), item.get("params"),
                       item.get("body"))
        raise TypeError("batch items must be BatchRequest, str or dict, not %s" % type(item).__name__)

    def relative_url(self):
        if not self.params:
            return self.path
        sep = "&" if "?" in self.path else "?"
        return self.path + sep + urlencode(sorted((str(k), str(v)) for k, v in self.params.items()))

    def encode(self):
        entry = {"method": self.method, "relative_url": self.relative_url()}
        if self.body:
            entry["body"] = self.body if isinstance(self.body, str) else urlencode(self.body)
        return entry

    @property
    def idempotent(self):
        return self.method in ("GET", "HEAD")


def chunks(seq, size=MAX_BATCH):
    return [seq[i:i + size] for i in range(0, len(seq), size)]


def chunked(iterable, size=MAX_BATCH):
    """Lists of up to `size` items from any iterable, lazily (so a LIMIT
    upstream stops the work early)."""
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def encode_batch(requests):
    return json.dumps([r.encode() for r in requests], separators=(",", ":"))


# Outcome kinds of one item.
OK, RETRY, FAILED, AUTH = "ok", "retry", "failed", "auth"


def item_usage(item):
    """(usage, regain) from the headers of one batch item, if it carries any."""
    if not isinstance(item, dict):
        return None, None
    headers = {}
    for h in item.get("headers") or []:
        if isinstance(h, dict) and "name" in h:
            headers[h["name"]] = h.get("value")
    return parse_usage(_Caseless(headers))


def judge_item(item):
    """Classify one batch answer: ``(kind, value)``.

    ``OK`` -> parsed body; ``RETRY`` -> exception (null item, transient or
    throttling error, 5xx); ``AUTH`` -> token error (refresh, then retry);
    ``FAILED`` -> exception for this item only.
    """
    if item is None:
        return RETRY, TransportError("batch item was not executed by the Graph API", retryable=True)
    if not isinstance(item, dict):
        return RETRY, TransportError("batch item has an unexpected shape", retryable=True)
    status = item.get("code")
    raw = item.get("body")
    try:
        body = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return RETRY, TransportError("batch item body is malformed JSON (HTTP %s)" % status,
                                     http_status=status, retryable=True)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = from_error_body(body, status)
        if err.code in (102, 190):
            return AUTH, err
        return (RETRY if err.retryable else FAILED), err
    if isinstance(status, int) and status >= 400:
        if status >= 500 or status == 429:
            return RETRY, TransportError("batch item failed with HTTP %s" % status,
                                         http_status=status, retryable=True)
        cls = error_class(None, None, status)
        return FAILED, cls("batch item failed with HTTP %s" % status, http_status=status)
    return OK, body


class _Caseless(dict):
    def get(self, key, default=None):
        for k, v in self.items():
            if k.lower() == key.lower():
                return v
        return default


__all__ = ["BatchRequest", "MAX_BATCH", "chunks", "encode_batch", "judge_item", "item_usage",
           "OK", "RETRY", "FAILED", "AUTH"]
