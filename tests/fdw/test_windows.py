"""An account's media read in full go in since/until windows fetched side by
side (ig_fdw.windows, issue 15 item 2): the same rows in the same order as
paging in turn (MaxConcurrency 1), in two rounds instead of one per page.
Rounds are the sandbox's: times the requests in flight went from 0 to 1; a
latency makes the requests of one round overlap."""

from urllib.parse import parse_qsl, unquote

import psycopg
import pytest

LATENCY_MS = 60
MEDIA = "SELECT id, caption, timestamp, like_count, business_account_id FROM ig.media"


def run(ig, sql, concurrency=None, faults=None):
    """(rows, sandbox stats) of `sql` at LATENCY_MS, with the server's MaxConcurrency set for it."""
    if concurrency is not None:
        ig.execute("ALTER SERVER instagram OPTIONS (ADD MaxConcurrency '%d')" % concurrency)
    ig.sandbox.reset_stats()
    ig.sandbox.app.latency_ms = LATENCY_MS
    if faults:
        ig.sandbox.set_faults(faults)
    try:
        rows = ig.execute(sql).fetchall()
        return rows, ig.sandbox.stats()
    finally:
        ig.sandbox.app.latency_ms = 0
        ig.sandbox.set_faults(None)
        if concurrency is not None:
            ig.execute("ALTER SERVER instagram OPTIONS (DROP MaxConcurrency)")


def media_calls(stats):
    return [c for c in stats["calls"] if c.get("template", "").startswith("GET /{ig-user-id}")]


def depth(stats):
    """Requests one after another at most: round 1, then the most pages of one window (windows are
    read side by side, each page by page); what the scan waits for at the API's latency."""
    pages = {}
    for call in media_calls(stats):
        query = [kv for kv in parse_qsl(call.get("query", "")) if kv[0] in ("since", "until")]
        if "after" in dict(parse_qsl(call.get("query", ""))) or query:
            pages[tuple(query)] = pages.get(tuple(query), 0) + 1
    return 1 + max(pages.values() or [0])


def split_rounds(stats, sequential):
    """The rounds of a split read: two when the windows' requests overlap all along; the sandbox
    counts one more each time every window is between two pages at the same instant (constant
    latency keeps the windows in step), never more than the depth."""
    return stats["rounds"] <= depth(stats) < sequential["rounds"] / 2 and stats["max_in_flight"] > 1


def windows_of(stats):
    """The since/until windows the scan asked for (their first pages)."""
    return [c for c in stats["calls"] if "until=" in c.get("query", "") and "after=" not in c.get("query", "")]


def test_all_media_of_one_account_in_two_rounds(ig):
    sequential, seq = run(ig, MEDIA, concurrency=1)
    split, par = run(ig, MEDIA)
    assert split == sequential and len(split) == 1800          # the same rows, in the API's order
    assert [r[0] for r in split] == [r[0] for r in sequential]
    assert len({r[0] for r in split}) == len(split)             # none twice at a window boundary
    assert seq["rounds"] == seq["total"] == 18                  # today: page after page
    assert split_rounds(par, seq)
    windows = len(windows_of(par))
    assert 2 <= windows <= 4                                    # MaxConcurrency 4
    assert par["total"] <= seq["total"] + windows               # each window's short last page at most
    print("one account: %d calls, %d rounds, depth %d (paged in turn: %d), %d windows"
          % (par["total"], par["rounds"], depth(par), seq["total"], windows))


def test_all_media_of_two_accounts_in_two_rounds(ig):
    a, b = ig.sandbox.accounts[:2]
    sql = MEDIA + " WHERE business_account_id IN ('%s', '%s')" % (a, b)
    sequential, seq = run(ig, sql, concurrency=1)
    split, par = run(ig, sql)
    assert split == sequential and len(split) == 1800 + 850
    assert [r[4] for r in split] == [a] * 1800 + [b] * 850       # account by account
    assert seq["total"] == 27
    assert split_rounds(par, seq)
    assert par["total"] <= seq["total"] + len(windows_of(par))
    print("two accounts: %d calls, %d rounds, depth %d (paged in turn: %d in %d)"
          % (par["total"], par["rounds"], depth(par), seq["total"], seq["rounds"]))


def test_a_timestamp_range_over_several_pages_is_split_too(ig):
    sql = MEDIA + " WHERE timestamp >= '2025-06-01' AND timestamp < '2026-06-01'"
    sequential, seq = run(ig, sql, concurrency=1)
    split, par = run(ig, sql)
    assert split == sequential and len(split) > 500
    assert seq["total"] >= 6 and seq["rounds"] == seq["total"]
    assert split_rounds(par, seq) and windows_of(par)
    assert par["total"] <= seq["total"] + len(windows_of(par))
    # every window stays inside the asked range
    for call in media_calls(par):
        assert "since=" in call["query"] or "since(" in unquote(call["query"]), call


def test_a_pushed_limit_reads_one_page(ig):
    rows, stats = run(ig, MEDIA + " ORDER BY timestamp DESC LIMIT 10")
    assert len(rows) == 10
    assert stats["total"] == 1


def test_a_limit_above_a_join_that_stops_in_the_first_page_fetches_no_window(ig):
    ig.execute("CREATE TABLE campaign (media_id text)")
    ig.execute("INSERT INTO campaign SELECT id FROM ig.media LIMIT 30")
    ig.execute("ANALYZE campaign")
    ig.execute("SET enable_nestloop = off")     # a hash join probed by the scan of every media
    ig.execute("SET multicorn.enable_key_join = off")
    sql = "SELECT m.id FROM ig.media m JOIN campaign c ON c.media_id = m.id LIMIT 3"
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql).fetchall())
    assert "Hash Join" in plan and "Limit" in plan, plan
    rows, stats = run(ig, sql)
    assert len(rows) == 3
    assert stats["total"] == 1 and not windows_of(stats)
    rows, stats = run(ig, "SELECT * FROM (SELECT id, caption FROM ig.media OFFSET 0) s "
                          "WHERE caption IS NOT NULL LIMIT 5")
    assert len(rows) == 5 and stats["total"] == 1


def test_a_failed_window_is_a_clear_error_not_a_short_result(ig):
    # the windows' first pages are the only media calls with until= and no cursor; fail the second one
    with pytest.raises(psycopg.Error) as info:
        run(ig, MEDIA, faults="status=500@path=/media,nth=2,count=20")
    assert "500" in str(info.value) or "error" in str(info.value).lower()
    # and the scan still works afterwards
    rows, _ = run(ig, MEDIA)
    assert len(rows) == 1800


def test_max_concurrency_one_as_a_table_option_pages_in_turn(ig):
    ig.execute("ALTER FOREIGN TABLE ig.media OPTIONS (ADD MaxConcurrency '1')")
    rows, stats = run(ig, MEDIA)
    assert len(rows) == 1800
    assert stats["total"] == stats["rounds"] == 18 and stats["max_in_flight"] == 1
    assert not windows_of(stats)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_fan_out_asks_its_parents_time_filter(sandbox, concurrency):
    """Comments of every media with the media plan's since/until (what a join's filter on media pushed to
    the parent plan becomes): only the media of that range are read, in windows or in turn.  Executor level
    (no join pushes such a filter yet), against the sandbox over HTTP."""
    import datetime
    from ig_fdw import catalog, executor, planner
    from ig_fdw.graph.client import GraphClient
    acct = sandbox.accounts[0]
    since = int(datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc).timestamp())
    until = int(datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc).timestamp())
    plan = planner.plan_scan(catalog.get("comments"), [], ["id", "media_id"])
    assert plan.expand
    plan.parents_plan.params.update(since=str(since), until=str(until))
    with GraphClient(sandbox.url, token_provider=sandbox.user_token(), max_concurrency=concurrency) as client:
        ctx = executor.ScanContext(client, lambda wanted: wanted or [acct], lambda message: None, "v22.0")
        media = {}
        for obj in client.paginate("%s/media" % acct, {"since": since, "until": until}, ["id", "timestamp"]):
            media[obj["id"]] = obj["timestamp"]
        sandbox.reset_stats()
        rows = list(executor.execute(plan, ctx))
        stats = sandbox.stats()
    assert len(media) > 300 and rows
    assert {r["media_id"] for r in rows} <= set(media)              # no media outside the range
    assert len({r["media_id"] for r in rows}) > 100
    for call in media_calls(stats):
        query = unquote(call.get("query", ""))
        assert "since=" in query or "since(" in query, call
    if concurrency > 1:
        assert windows_of(stats)


def test_explain_plans_the_windows(ig):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + MEDIA).fetchall())
    assert "since/until windows" in plan and "Planned Calls: 22 in 2 round" in plan, plan   # 2000 media declared
    limited = "\n".join(r[0] for r in ig.execute("EXPLAIN " + MEDIA + " LIMIT 10").fetchall())
    assert "since/until windows" not in limited and "stops after 10 rows" in limited, limited
    ig.execute("ALTER FOREIGN TABLE ig.media OPTIONS (ADD MaxConcurrency '1')")
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + MEDIA).fetchall())
    assert "Planned Calls: 20 in 20 round" in plan, plan                                     # page after page


def test_a_pool_that_holds_every_window_reads_an_account_in_two_rounds(ig):
    """MaxConcurrency 32: the 1,700 media after the first page go in one-page windows all in flight at
    once, so the read is round 1 and one more round, as the issue's 18 -> 2 asks; with the default 4
    they are paged four windows side by side (test above)."""
    sequential, seq = run(ig, MEDIA, concurrency=1)
    split, par = run(ig, MEDIA, concurrency=32)
    assert split == sequential and len(split) == 1800
    windows = len(windows_of(par))
    assert windows > 16 and par["max_in_flight"] > 16
    assert depth(par) == 2 and par["rounds"] == 2
    assert par["total"] <= seq["total"] + windows
    print("one account at MaxConcurrency 32: %d calls in %d rounds, %d windows, %d in flight"
          % (par["total"], par["rounds"], windows, par["max_in_flight"]))


def test_a_since_range_of_an_account_read_before_goes_in_one_round(ig):
    """The account's media density is remembered from a full page of an earlier read in the session
    (ig_fdw.windows.Densities): a ``since`` range of more than a page is then cut into windows before its
    first page, all in flight at once, in one round instead of two; same rows in the same order as paging
    in turn.  In a fresh backend (density unknown) it is round 1's first page, then the windows."""
    import datetime
    since = datetime.datetime.fromtimestamp(ig.sandbox.now() - 90 * 86400, datetime.timezone.utc)
    sql = MEDIA + " WHERE timestamp > '%s'" % since.strftime("%Y-%m-%d %H:%M:%S+00")
    cold, first = run(ig, sql)
    warm, again = run(ig, sql)
    sequential, seq = run(ig, sql, concurrency=1)
    assert warm == cold == sequential and 100 < len(warm) <= 400
    assert first["rounds"] == 2 and again["rounds"] == 1 and again["max_in_flight"] > 1
    # no round 1 (the account node with its first page): every call a since window of the media edge
    assert all(c["template"] == "GET /{ig-user-id}/media" and "since=" in c["query"] for c in again["calls"])
    assert again["total"] <= seq["total"] + len(windows_of(again))
    print("90 days of media: cold %d calls in %d rounds, warm %d calls in %d rounds (in turn: %d)"
          % (first["total"], first["rounds"], again["total"], again["rounds"], seq["total"]))


def test_a_pool_that_holds_every_window_reads_two_accounts_in_two_rounds(ig):
    """MaxConcurrency 32: the 1,700 and 750 media after the two first pages go in 32 one-page windows all
    in flight at once: round 1 (both accounts' first pages side by side), then one more round (the
    issue's 27 -> 2)."""
    a, b = ig.sandbox.accounts[:2]
    sql = MEDIA + " WHERE business_account_id IN ('%s', '%s')" % (a, b)
    sequential, seq = run(ig, sql, concurrency=1)
    split, par = run(ig, sql, concurrency=32)
    assert split == sequential and len(split) == 1800 + 850
    assert depth(par) == 2 and par["rounds"] == 2 and par["max_in_flight"] > 8
    assert par["total"] <= seq["total"] + len(windows_of(par))
    print("two accounts at MaxConcurrency 32: %d calls in %d rounds, %d windows, %d in flight"
          % (par["total"], par["rounds"], len(windows_of(par)), par["max_in_flight"]))
