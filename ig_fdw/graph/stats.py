"""Per-statement accounting, for EXPLAIN ANALYZE and for tests.

The FDW takes a fresh :class:`CallStats` per statement
(``client.reset_stats()``) and prints :meth:`CallStats.explain_lines`.
Counters are updated from worker threads, hence the lock.
"""

import json
import threading

#: A usage header naming more accounts than this is about the token's accounts
#: in general (e.g. a batch envelope), not about the objects of the call.
BUC_MAX_ENTRIES = 10

FIELDS = (
    "calls",             # HTTP requests sent (each batch counts once)
    "batches",           # batch API calls
    "batch_items",       # requests carried inside batches
    "pages",             # pages of an edge read
    "retries",           # attempts after the first, all causes
    "refreshes",         # token refreshes after code 190
    "throttled_waits",   # waits because the API said "throttled"
    "throttled_seconds",
    "paced_seconds",     # extra delay added because usage was high
    "bytes_received",
    "cache_hits",
    "errors",            # errors raised or returned per item
)


class CallStats:
    def __init__(self):
        self._lock = threading.Lock()
        for name in FIELDS:
            setattr(self, name, 0)
        self.usage_max = None  # highest usage share (percent) the responses reported
        self.buc = {}          # business id -> highest X-Business-Use-Case-Usage share seen

    def note_usage(self, percent):
        """Keep the highest X-App-Usage / X-Business-Use-Case-Usage share seen by
        this statement: ig_sync paces each account from it (docs/sync.md)."""
        if percent is None:
            return
        with self._lock:
            self.usage_max = percent if self.usage_max is None else max(self.usage_max, percent)

    def add(self, name, amount=1):
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def as_dict(self):
        with self._lock:
            return {name: getattr(self, name) for name in FIELDS}

    def note_buc(self, raw):
        """Keep, per business account, the highest share an X-Business-Use-Case-Usage
        header value (``{id: [{call_count, total_cputime, total_time, ...}]}``) gave."""
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            return
        if not isinstance(data, dict) or len(data) > BUC_MAX_ENTRIES:
            return
        with self._lock:
            for business_id, entries in data.items():
                for e in entries if isinstance(entries, list) else [entries]:
                    if not isinstance(e, dict):
                        continue
                    pct = max(_num(e.get(k)) for k in ("call_count", "total_cputime", "total_time"))
                    if pct > self.buc.get(business_id, -1):
                        self.buc[str(business_id)] = pct

    def explain_lines(self):
        d = self.as_dict()
        return [
            "Graph API: %(calls)d calls (%(batches)d batches, %(batch_items)d batch items), "
            "%(pages)d pages, %(bytes_received)d bytes" % d,
            "Graph API: %(retries)d retries, %(refreshes)d token refreshes, %(cache_hits)d cache hits, "
            "%(throttled_waits)d throttled waits (%(throttled_seconds).1f s), paced %(paced_seconds).1f s" % d,
        ] + (["Graph API: usage %.0f%% (highest share reported by the usage headers)" % self.usage_max]
             if self.usage_max is not None else []) + \
            (["Graph API: business use case usage: " + ", ".join(
                "%s %.0f%%" % kv for kv in sorted(self.buc.items()))] if self.buc else [])

    def __repr__(self):
        return "CallStats(%s)" % ", ".join("%s=%s" % kv for kv in self.as_dict().items())


def _num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
