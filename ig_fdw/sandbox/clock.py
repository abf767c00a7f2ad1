"""The sandbox clock.

The sandbox never looks at the wall clock for anything that ends up in a
response: it has its own clock, starting at a fixed epoch, which tests move
forward with ``advance``.  Token expiry, authorization-code expiry, story
lifetime, publishing quotas, the hashtag 7-day window and the hourly rate
limit windows are all measured on this clock.
"""

import threading
import time

EPOCH = 1793491200  # 2026-11-01T00:00:00Z

DAY = 86400


def fmt_ts(t):
    """Graph API timestamp style: 2019-04-05T07:56:32+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(t)))


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
