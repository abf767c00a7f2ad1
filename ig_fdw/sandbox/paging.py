"""Cursor paging shared by every edge.

Cursors are opaque (base64 of the item's sort key) and robust to inserts and
deletes: ``after`` means "items strictly after this key", ``before`` means
"items strictly before this key".  Edges hand in their items already sorted
in output order with a sort key that increases along that order.
"""

import base64
import bisect
import json

from .errors import GraphError


def encode_cursor(key):
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(b"QVFI" + raw).decode().rstrip("=")


def decode_cursor(c, name):
    try:
        pad = "=" * (-len(c) % 4)
        raw = base64.urlsafe_b64decode(c + pad)
        if not raw.startswith(b"QVFI"):
            raise ValueError
        key = json.loads(raw[4:].decode())
        if not isinstance(key, list):
            raise ValueError
        return tuple(key)
    except Exception:
        # [U] message of the real API for a garbage cursor
        raise GraphError("(#100) The %s parameter is not a valid cursor" % name, 100)


def parse_limit(value, default, maximum):
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise GraphError("(#100) Param limit must be a number", 100)
    if n < 0:
        raise GraphError("(#100) Param limit must be a non-negative number", 100)
    if maximum is not None and n > maximum:
        n = maximum
    return n


class Page:
    __slots__ = ("items", "before", "after", "has_prev", "has_next")

    def __init__(self, items, before, after, has_prev, has_next):
        self.items = items
        self.before = before
        self.after = after
        self.has_prev = has_prev
        self.has_next = has_next


def paginate(items, sortkey, limit, after=None, before=None):
    keys = [sortkey(i) for i in items]
    if after:
        ck = decode_cursor(after, "after")
        start = bisect.bisect_right(keys, ck)
        sl = items[start:start + limit]
    elif before:
        ck = decode_cursor(before, "before")
        end = bisect.bisect_left(keys, ck)
        start = max(0, end - limit)
        sl = items[start:end]
    else:
        start = 0
        sl = items[:limit]
    if sl:
        b = encode_cursor(sortkey(sl[0]))
        a = encode_cursor(sortkey(sl[-1]))
    else:
        b = a = None
    return Page(sl, b, a, start > 0, start + len(sl) < len(items))
