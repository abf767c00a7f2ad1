"""An account's media read in full, in since/until windows fetched concurrently.

Paging an edge is sequential: each page waits for the previous page's
cursor, so the 1,800 media of an account are 18 round trips one after
another.  The media edge also filters by time (``since``/``until``), so a
read of the whole edge can be cut into time windows that are paged side by
side, each by its own cursor on a worker:

1. Round 1 (all accounts side by side): the account node with its
   ``media_count`` and the first page of media as a field expansion
   (``media.limit(n){...}``, with the scan's own since/until as modifiers):
   one call, as today's first page.  Its rows are given at once.
2. Only when rows beyond the first page are pulled: the rest of each
   account's span is cut into windows (how many: `plan`), and every window
   of every account is read in one worker pool (MaxConcurrency in flight),
   each window paged by cursor inside its worker so requests stay in
   flight.  Rows come in the API's order: an account's first page, then its
   windows newest to oldest.

Nothing is lost: the oldest window is open-ended (no ``since``, or the
scan's own), and window bounds overlap by a second, so whether the API's
bounds are inclusive or exclusive every media falls in some window; a media
seen twice at a boundary is given once (deduplicated by id).  Cost: each
window's last page is short, so a split read makes at most one call more per
window than paging in turn (ig_fdw.costs counts them); MaxConcurrency 1
never splits.

A read of a ``since`` range whose accounts' densities are known (a full
page of their media seen before in this backend: `Densities`, one per user
mapping) skips round 1: the range, up to ``until`` or the newest media
seen, is cut into windows at once (`direct`), the newest open above, and
every window is read in one pool, so the read is one round when the pool
holds every window.  Without a known density, or when a range fits one
page, it goes as above.

Window sizes come from the density of the first page and the remaining
count (media_count less the first page, or the density times the rest of a
``since`` range).  Every window but the oldest is sized to fill k - 1/2
pages (4/5 of a page when k is 1: `_fill`), k the fewest pages per
window that lets all accounts' windows run at once: windows of equal page counts end together (a window with one page more
than the others would page on alone, one round per page).
"""

import calendar
import math
import threading
import time
from collections import OrderedDict, namedtuple

#: the edges read in windows, and the field of the account node that counts their rows
COUNTED_EDGES = {"media": "media_count"}

#: one account's first page: its objects, the cursor after them (None: no more), media_count
Head = namedtuple("Head", "items after count how")

#: what round 1 says of an account's remaining rows (see `span`)
Span = namedtuple("Span", "newest oldest rate remaining since until")


class Densities:
    """Each account's media density as last seen, kept across statements
    (one per user mapping, ig_fdw.connection): account -> (media per
    second, newest timestamp seen).  Lets a later read of a ``since`` range
    be cut into windows before its first page (`AccountScan`).  Bounded:
    the accounts least recently seen are forgotten first."""

    MAX = 1000

    def __init__(self):
        self._known = OrderedDict()
        self._lock = threading.Lock()

    def get(self, acct):
        with self._lock:
            return self._known.get(acct)

    def note(self, acct, items, size):
        """Learn from one page of the account's media: a full page with two
        distinct timestamps or more; the rate of the newest such page wins."""
        if len(items) < size:
            return
        stamps = [t for t in (parse_ts(obj.get("timestamp")) for obj in items) if t is not None]
        if len(stamps) < 2 or max(stamps) <= min(stamps):
            return
        rate = (len(stamps) - 1) / float(max(stamps) - min(stamps))
        with self._lock:
            old = self._known.get(acct)
            if old is None or max(stamps) >= old[1]:
                self._known[acct] = (rate, max(stamps))
            self._known.move_to_end(acct)
            while len(self._known) > self.MAX:
                self._known.popitem(last=False)


def parse_ts(text):
    """A Graph API timestamp ('2024-05-01T12:00:00+0000') -> unix seconds, None if unreadable."""
    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        base = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    zone = text[19:].replace(":", "")
    if len(zone) == 5 and zone[0] in "+-" and zone[1:].isdigit():
        offset = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
        base -= offset if zone[0] == "+" else -offset
    return base


def bound(value):
    """A since/until parameter as whole unix seconds (the planner sends digits), None when absent."""
    if value is None or value == "":
        return None
    text = str(value)
    if not text.lstrip("-").isdigit():
        raise ValueError("since/until must be unix seconds, not %r" % (value,))
    return int(text)


def span(head, since, until, size):
    """What the first page says of the rest of the account: a Span, or None
    when there is no more (or too little to be worth a split: one page)."""
    if head is None or head.after is None:
        return None
    stamps = [parse_ts(obj.get("timestamp")) for obj in head.items]
    stamps = [t for t in stamps if t is not None]
    if len(stamps) < 2 or max(stamps) <= min(stamps):
        return None                              # no density to cut by: paged in turn
    newest, oldest = max(stamps), min(stamps)
    rate = (len(stamps) - 1) / float(newest - oldest)       # media per second
    remaining = None
    if head.count is not None:
        remaining = max(0, int(head.count) - len(head.items))
    if since is not None:
        in_range = rate * max(0, oldest - since)
        remaining = in_range if remaining is None else min(remaining, in_range)
    if remaining is None:
        return None                              # neither a count nor a since: the span is unknown
    return Span(newest, oldest, rate, remaining, since, until)


def plan(spans, size, concurrency):
    """Per account, the windows [(since, until)] newest first (None:
    continue by the first page's cursor, in one worker), all of them
    together at most `concurrency`.

    k is the fewest pages per window for which the windows of every account
    fit in the pool at once; each window but the oldest is sized to hold
    `_fill(k)` pages, so that the estimate may be off and the windows still
    end together; the oldest window (open-ended)
    takes the rest, at most as much."""
    per, counts = window_counts([None if s is None else s.remaining for s in spans], size, concurrency)
    return [None if n <= 1 else _cut(s, per, n) for s, n in zip(spans, counts)]


def window_counts(remaining, size, concurrency):
    """(rows per window, windows of each account) for accounts with these
    rows left to read (None: none); 1 window: paged on by cursor."""
    counts = [0 if r is None else 1 for r in remaining]
    splittable = [r for r in remaining if r is not None and r > size]
    if concurrency <= 1 or not splittable or sum(counts) > concurrency:
        return None, counts
    top = int(math.ceil(max(splittable) / float(size))) + 1
    for k in range(1, top + 1):
        per = _fill(k) * size
        counts = [_count(r, size, per) for r in remaining]
        if sum(counts) <= concurrency:
            break
    return per, counts


def _fill(k):
    """Pages of rows a window of k pages is sized for: k - 1/2, so that the
    density may be off by half a page either way and the windows still end
    together; but 4/5 for one-page windows (the pool then holds every
    window at once, the whole read in 2 rounds), where half a page would
    double the calls for a margin a page rarely needs."""
    return 0.8 if k == 1 else k - 0.5


def estimate(rows, accounts, size, concurrency):
    """(calls, rounds) of reading `rows` media of each of `accounts` accounts
    in full (ig_fdw.costs): round 1, then the windows side by side (one
    round when their requests overlap all along), each window but the oldest
    about (k - 1/2) pages, so k pages with its short last one.  None when
    the read is not split (MaxConcurrency 1, more accounts than workers)."""
    if concurrency <= 1 or accounts > concurrency:
        return None             # paged in turn (the caller's own estimate)
    first = min(rows, size)
    rest = [max(0, rows - first)] * accounts
    per, counts = window_counts(rest, size, concurrency)
    calls = accounts
    for r, n in zip(rest, counts):
        if n <= 1:
            calls += int(math.ceil(r / float(size)))
            continue
        pages = int(math.ceil(per / size))
        calls += (n - 1) * pages + int(math.ceil(max(0.0, r - (n - 1) * per) / size))
    return calls, (2 if calls > accounts else 1)


def _count(r, size, per):
    """Windows of one account at `per` rows a window (0: nothing more to read)."""
    if r is None:
        return 0
    if r <= size:
        return 1
    return int(math.ceil(r / per))


def _cut(s, per, n):
    """n windows of `per` rows each (by the first page's density), newest
    first, the oldest open-ended.  Bounds overlap by one second."""
    width = per / s.rate
    top = s.oldest                      # the first page ends here; the windows go back from it
    windows = []
    for j in range(1, n):
        low = int(math.floor(s.oldest - j * width))
        if s.since is not None and low <= s.since:
            break
        windows.append((low, _min(s.until, top + 1)))
        top = low
    windows.append((s.since, _min(s.until, top + 1)))
    return windows


def direct(known, size, concurrency, since, until):
    """Per account the windows [(since, until)] newest first of a ``since``
    range read without its first page, from the densities `known` (per
    account (rate, newest) or None); None when there is no ``since``, any
    account's density is unknown or its range fits one page, or there are
    more accounts than the pool holds (the read is then as without
    densities: round 1, then windows).  The range is taken up to the newest
    media seen (or ``until``); media posted since go in the newest window,
    open above."""
    if since is None or not known or any(k is None for k in known):
        return None
    spans = []
    for rate, newest in known:
        top = newest if until is None else min(until, newest)
        spans.append(Span(top, top, rate, rate * max(0, top - since), since, until))
    per, counts = window_counts([s.remaining for s in spans], size, concurrency)
    if per is None or any(n <= 1 for n in counts):
        return None
    cuts = []
    for s, n in zip(spans, counts):
        ws = _cut(s, per, n)
        ws[0] = (ws[0][0], until)       # the newest window is open above: media since the newest seen
        cuts.append(ws)
    return cuts


def _min(a, b):
    return b if a is None else min(a, b)


class AccountScan:
    """The rows of one edge of several accounts, in account order, read in
    windows (see the module docstring).

    head(acct) -> Head: round 1 for one account.  page(acct, query, expand)
    -> (body, how): one page of the edge with since/until/after in `query`;
    `how` True when the page carries the caller's expansion, 'rest' when
    the rest of the window must be read without it (see
    executor.expanded_parent_rows).  Items are yielded as (object, how)."""

    def __init__(self, client, accounts, head, page, size, since=None, until=None):
        self.client = client
        self.accounts = list(accounts)
        self.head = head
        self.page = page
        self.size = size
        self.since, self.until = bound(since), bound(until)
        self.heads = None
        self.rest = None            # per account: its windows' results, once pulled
        self.densities = getattr(client, "densities", None)

    def accounts_rows(self):
        """(account, iterator of its (object, how)): each iterator raises the
        account's own error (round 1 or a window) when it is reached."""
        cuts = None
        if self.densities is not None and self.accounts:
            cuts = direct([self.densities.get(a) for a in self.accounts], self.size,
                          self.client.max_concurrency, self.since, self.until)
        if cuts is not None:            # the density is known: every window at once, no first page
            self.heads = [Head([], "", None, True) for _ in self.accounts]
            self.rest = self._read_windows([(i, (lo, hi, None, True)) for i, ws in enumerate(cuts)
                                            for lo, hi in ws])
        elif len(self.accounts) > 1:
            self.heads = self.client.map_concurrent(self.head, self.accounts, return_exceptions=True)
        for i, acct in enumerate(self.accounts):
            yield acct, self._rows(i)

    def _rows(self, i):
        if self.heads is None:
            self.heads = [self.head(self.accounts[0])]
        head = self.heads[i]
        if isinstance(head, BaseException):
            raise head
        if self.densities is not None:
            self.densities.note(self.accounts[i], head.items, self.size)
        seen = set()
        for obj in head.items:
            seen.add(obj.get("id"))
            yield obj, head.how
        if head.after is None:
            return
        if self.rest is None:
            self.rest = self._read_rest()
        for part in self.rest[i]:
            if isinstance(part, BaseException):
                raise part
            for obj, how in part:
                oid = obj.get("id")
                if oid in seen:
                    continue            # at a window boundary: already given
                seen.add(oid)
                yield obj, how

    def _read_rest(self):
        """Every window of every account in one pool; per account the list of its windows' items."""
        heads = [None if isinstance(h, BaseException) else h for h in self.heads]
        spans = [span(h, self.since, self.until, self.size) for h in heads]
        windows = plan(spans, self.size, self.client.max_concurrency)
        jobs = []
        for i, (h, ws) in enumerate(zip(heads, windows)):
            if h is None or h.after is None:
                continue
            if ws is None:          # by the first page's cursor, as a sequential read does
                jobs.append((i, (self.since, self.until, h.after, h.how)))
            else:
                jobs.extend((i, (lo, hi, None, h.how)) for lo, hi in ws)
        return self._read_windows(jobs)

    def _read_windows(self, jobs):
        """Every job (account index, window) in one pool; per account the list of its windows' items."""
        results = self.client.map_concurrent(lambda job: self._window(self.accounts[job[0]], job[1]),
                                             jobs, return_exceptions=True)
        rest = [[] for _ in self.accounts]
        for (i, _), result in zip(jobs, results):
            rest[i].append(result)
        return rest

    def _window(self, acct, window):
        """All items of one window, paged by cursor (runs on a worker)."""
        since, until, after, how = window
        expand = how not in ("rest", False)     # 'rest': the account's pages go without the expansion
        items = []
        while True:
            query = {"limit": str(self.size)}
            if since is not None:
                query["since"] = str(since)
            if until is not None:
                query["until"] = str(until)
            if after:
                query["after"] = after
            body, how = self.page(acct, query, expand)
            items.extend((obj, how) for obj in body.get("data", []))
            if self.densities is not None:
                self.densities.note(acct, body.get("data", []), self.size)
            if how == "rest":
                expand = False
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                return items
