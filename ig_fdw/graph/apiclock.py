"""The API's clock: "now" as the Graph API's ``Date`` header says it is.

Token lifetimes come from the API (``expires_in`` of an exchange,
``expires_at`` of debug_token), so deciding when a token needs refreshing by
this machine's wall clock goes wrong as soon as the two clocks disagree (a
skewed server, a VM resumed after a week, the sandbox's own clock).  Every
response of a Graph or OAuth host carries ``Date``; we keep, per host, the
offset between that header and the local clock at the moment the response
arrived, and :func:`now` adds it to the local clock.

The offset is what the last response said: the first response after the
API's clock jumps teaches the new offset, and every later decision (the
next request of the same scan, the next query) uses it.  Before any
response from a host the local clock is used as is.
"""

import email.utils
import threading
import time
from urllib.parse import urlsplit

_OFFSETS = {}
_LOCK = threading.Lock()


def _host(url):
    u = urlsplit(url or "")
    return ("%s://%s" % (u.scheme, u.netloc)).lower()


def observe(url, date_header, local_now=None):
    """Record the ``Date`` header of a response from ``url``; malformed or missing headers are ignored."""
    if not date_header:
        return
    try:
        api_now = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return
    local = time.time() if local_now is None else local_now
    with _LOCK:
        _OFFSETS[_host(url)] = api_now - local


def offset(url):
    """Seconds to add to the local clock to get the API's clock for ``url``'s host (0 when unknown)."""
    with _LOCK:
        return _OFFSETS.get(_host(url), 0.0)


def now(url):
    """Epoch seconds by the clock of ``url``'s host."""
    return time.time() + offset(url)


def clock_for(url):
    """A ``clock()`` callable (epoch seconds) following the API host of ``url``."""
    def clock():
        return now(url)
    clock.api_url = url
    return clock


def reset():
    """Forget every offset (tests: sandboxes reuse ports and move their clocks)."""
    with _LOCK:
        _OFFSETS.clear()
