"""How ig_fdw.windows cuts the rest of an account's media into since/until windows."""

from ig_fdw import windows
from ig_fdw.windows import Head

DAY = 86400
NOW = 1793491200


def head(n, step, count, after="cursor"):
    """A first page of n media, one every `step` seconds back from NOW."""
    items = [{"id": str(i), "timestamp": "2026-11-01T00:00:00+0000"} for i in range(n)]
    for i, obj in enumerate(items):
        obj["timestamp"] = _fmt(NOW - i * step)
    return Head(items, after, count, True)


def _fmt(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def test_timestamps_are_read_with_their_offset():
    assert windows.parse_ts("2026-11-01T00:00:00+0000") == NOW
    assert windows.parse_ts("2026-11-01T02:00:00+0200") == NOW
    assert windows.parse_ts("garbage") is None


def test_the_rest_of_an_account_is_cut_into_windows_that_cover_it_all():
    first = head(100, 3600, 1800)
    span = windows.span(first, None, None, 100)
    assert span.remaining == 1700
    (cut,) = windows.plan([span], 100, 4)
    assert 2 <= len(cut) <= 4
    assert cut[-1][0] is None                                   # the oldest window is open-ended
    assert cut[0][1] == span.oldest + 1                         # the newest starts where the first page ended
    for newer, older in zip(cut, cut[1:]):
        assert older[1] == newer[0] + 1                         # bounds overlap by a second: nothing between
    assert all(lo < hi for lo, hi in cut[:-1])


def test_a_since_bounds_every_window_and_the_count_of_rows_left():
    first = head(100, 3600, 1800)
    since = NOW - 150 * 3600                                    # about 50 more media in range
    span = windows.span(first, since, None, 100)
    assert span.remaining <= 52
    assert windows.plan([span], 100, 4) == [None]               # one more page: by the cursor, as in turn
    since = NOW - 1000 * 3600
    (cut,) = windows.plan([windows.span(first, since, None, 100)], 100, 4)
    assert cut[-1][0] == since and all(lo >= since for lo, _ in cut)


def test_no_split_without_concurrency_or_without_more_rows():
    first = head(100, 3600, 1800)
    assert windows.plan([windows.span(first, None, None, 100)], 100, 1) == [None]
    assert windows.span(head(100, 3600, 1800, after=None), None, None, 100) is None
    assert windows.span(head(100, 0, 1800), None, None, 100) is None          # no density to cut by


def test_the_windows_of_all_accounts_fit_the_pool_together():
    spans = [windows.span(head(100, 3600, 1800), None, None, 100), windows.span(head(100, 7200, 850), None, None, 100)]
    cuts = windows.plan(spans, 100, 4)
    assert sum(1 if c is None else len(c) for c in cuts) <= 4
    assert windows.estimate(1800, 1, 100, 4) == (20, 2)
    assert windows.estimate(1800, 1, 100, 1) is None


def test_a_known_density_cuts_a_since_range_before_its_first_page():
    known = windows.Densities()
    known.note("a", head(100, 3600, None).items, 100)           # a full page: one media an hour
    rate, newest = known.get("a")
    assert newest == NOW and abs(rate - 1 / 3600.0) < 1e-12
    since = NOW - 10 * DAY                                      # about 240 media: more than a page
    (cut,) = windows.direct([known.get("a")], 100, 4, since, None)
    assert 2 <= len(cut) <= 4
    assert cut[0][1] is None                                    # the newest window is open above
    assert cut[-1][0] == since                                  # the oldest keeps the scan's since
    for newer, older in zip(cut, cut[1:]):
        assert older[1] == newer[0] + 1                         # bounds overlap by a second
    until = NOW - DAY
    (bounded,) = windows.direct([known.get("a")], 100, 4, since, until)
    assert bounded[0][1] == until and all(hi <= until for _, hi in bounded)


def test_without_a_known_density_or_past_one_page_the_read_starts_with_its_first_page():
    known = windows.Densities()
    known.note("short", head(40, 3600, None).items, 100)        # not a full page: nothing learnt
    assert known.get("short") is None
    known.note("a", head(100, 3600, None).items, 100)
    assert windows.direct([known.get("a"), None], 100, 4, NOW - 10 * DAY, None) is None
    assert windows.direct([known.get("a")], 100, 4, None, None) is None         # no since: no range
    assert windows.direct([known.get("a")], 100, 4, NOW - 2 * DAY, None) is None  # ~48 media: one page
    assert windows.direct([known.get("a")], 100, 1, NOW - 10 * DAY, None) is None  # MaxConcurrency 1


def test_a_long_range_goes_in_as_many_windows_as_the_pool_holds_of_several_pages_each():
    known = windows.Densities()
    known.note("a", head(100, 3600, None).items, 100)
    (cut,) = windows.direct([known.get("a")], 100, 4, NOW - 365 * DAY, None)   # about 88 pages
    assert len(cut) == 4 and cut[-1][0] == NOW - 365 * DAY


def test_densities_are_bounded_and_the_newest_page_rate_wins():
    known = windows.Densities()
    known.note("a", head(100, 3600, None).items, 100)
    older = [dict(o, timestamp=_fmt(NOW - 200 * 3600 - i * 60)) for i, o in enumerate(head(100, 1, None).items)]
    known.note("a", older, 100)                                 # an older page: the newest rate is kept
    assert abs(known.get("a")[0] - 1 / 3600.0) < 1e-12
    for i in range(windows.Densities.MAX + 5):
        known.note(str(i), head(100, 60, None).items, 100)
    assert known.get("a") is None and len(known._known) == windows.Densities.MAX
