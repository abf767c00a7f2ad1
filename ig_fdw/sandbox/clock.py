"""The sandbox clock.

The sandbox never looks at the wall clock for anything that ends up in a
response: it has its own clock, starting at a fixed epoch, which tests move
forward with ``advance``.  Token expiry, authorization-code expiry, story
lifetime, publishing quotas, the hashtag 7-day window and the hourly rate
limit windows are all measured on this clock.  ``parse_time`` reads the
``since``/``until`` parameters that select ranges on it.
"""

import calendar
import datetime
import threading
import time

from .errors import param_error

EPOCH = 1793491200  # 2026-11-01T00:00:00Z

DAY = 86400


def fmt_ts(t):
    """Graph API timestamp style: 2019-04-05T07:56:32+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(t)))


def parse_time(value, name):
    """since/until: unix seconds or a few strtotime-like ISO forms."""
    if value is None or value == "":
        return None
    v = str(value).strip()
    if v.lstrip("-").isdigit():
        return int(v)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            if fmt.endswith("%z"):
                return int(datetime.datetime.strptime(v, fmt).timestamp())
            return calendar.timegm(time.strptime(v, fmt))
        except ValueError:
            continue
    raise param_error("The parameter %s must be a unix timestamp or a date string" % name)


def fmt_long(t):
    """Style used inside the token-expired message."""
    return time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(int(t)))


class Clock:
    def __init__(self, start=EPOCH):
        self._now = int(start)
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self._now

    def advance(self, seconds):
        seconds = int(seconds)
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, t):
        with self._lock:
            if int(t) < self._now:
                raise ValueError("the sandbox clock only moves forward")
            self._now = int(t)
            return self._now
