"""A small per-process TTL cache of successful GET responses.

The key holds the credential identity, the base URL, the path and every
parameter -- ``fields`` and ``metric`` included -- so a narrow query never
answers a wide one and one account never sees another's data.  Off unless a
client is given ``cache_ttl > 0``.
"""

import copy
import threading
import time

_MAX_ENTRIES = 2048


class ResponseCache:
    def __init__(self, clock=time.monotonic, max_entries=_MAX_ENTRIES):
        self._clock = clock
        self._max = max_entries
        self._data = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(identity, base_url, path, params):
        pairs = params.items() if isinstance(params, dict) else (params or ())
        items = tuple(sorted((str(k), str(v)) for k, v in pairs))
        return (identity, base_url.rstrip("/"), "/" + path.lstrip("/"), items)

    def get(self, key):
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                del self._data[key]
                return None
        return copy.deepcopy(value)

    def put(self, key, value, ttl):
        if not ttl or ttl <= 0:
            return
        with self._lock:
            if len(self._data) >= self._max:
                self._evict()
            self._data[key] = (self._clock() + ttl, copy.deepcopy(value))

    def _evict(self):
        now = self._clock()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        while len(self._data) >= self._max:
            self._data.pop(next(iter(self._data)))

    def clear(self):
        with self._lock:
            self._data.clear()

    def __len__(self):
        with self._lock:
            return len(self._data)


#: The process-wide cache used by every GraphClient.
CACHE = ResponseCache()


def clear():
    """Drop every cached response of this process."""
    CACHE.clear()
