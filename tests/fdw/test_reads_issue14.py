"""Read-side regressions of issue 14 and the long-range account insights
of issue 15, through PostgreSQL against the sandbox."""

import datetime

import psycopg
import pytest

from tests.fdw.conftest import calls, create_server

DAY = 86400


def media_ids(conn, n):
    return [r[0] for r in conn.execute("SELECT id FROM ig.media LIMIT %d" % n).fetchall()]


def in_list(ids):
    return ", ".join("'%s'" % i for i in ids)


def commented_media(conn, at_least=1, n=2):
    rows = conn.execute("SELECT id FROM ig.media WHERE comments_count >= %d LIMIT %d" % (at_least, n)).fetchall()
    assert len(rows) == n, "the sandbox has too few media with %d comments" % at_least
    return [r[0] for r in rows]


# ---------------------------------------------------------------- business_account_id

def test_media_read_by_id_keep_their_account_through_the_recheck(ig):
    acct = ig.sandbox.accounts[0]
    ids = media_ids(ig, 3)
    rows = ig.execute("SELECT id, business_account_id FROM ig.media WHERE id IN (%s) AND business_account_id = '%s'"
                      % (in_list(ids), acct)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert {r[1] for r in rows} == {acct}


def test_comments_read_by_id_and_by_media_id_carry_their_account(ig):
    acct = ig.sandbox.accounts[0]
    media = commented_media(ig)
    by_media = ig.execute("SELECT id, business_account_id FROM ig.comments WHERE media_id IN (%s)"
                          % in_list(media)).fetchall()
    assert by_media and {r[1] for r in by_media} == {acct}
    kept = ig.execute("SELECT count(*) FROM ig.comments WHERE media_id IN (%s) AND business_account_id = '%s'"
                      % (in_list(media), acct)).fetchone()[0]
    assert kept == len(by_media)
    ids = [r[0] for r in by_media[:3]]
    by_id = ig.execute("SELECT id, business_account_id FROM ig.comments WHERE id IN (%s) AND business_account_id = '%s'"
                       % (in_list(ids), acct)).fetchall()
    assert sorted(r[0] for r in by_id) == sorted(ids)
    # another account's id filters them out, as PostgreSQL's recheck must
    other = ig.execute("SELECT count(*) FROM ig.comments WHERE id IN (%s) AND business_account_id = '1'"
                       % in_list(ids)).fetchone()[0]
    assert other == 0


# ---------------------------------------------------------------- daily insights

def day_text(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")


@pytest.mark.parametrize("op", ["<", "=", "<="])
def test_a_week_of_daily_insights_is_seven_calls_not_eight(ig, op):
    now = int(ig.sandbox.info()["now"])
    start = (now - 20 * DAY) // DAY * DAY
    since, until = day_text(start), day_text(start + 7 * DAY)
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT DISTINCT end_time FROM ig.account_time_series_follow_type "
                      "WHERE since >= '%s' AND until %s '%s'" % (since, op, until)).fetchall()
    assert calls(ig.sandbox) == 7
    assert len(rows) == 7


# ---------------------------------------------------------------- Pagesize

def test_pagesize_applies_to_the_first_page_of_batched_reads(conn, sandbox):
    create_server(conn, sandbox, sandbox.accounts[0], extra="Pagesize '5'")
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")
    media = commented_media(conn, at_least=12, n=2)
    sandbox.reset_stats()
    n = conn.execute("SELECT count(*) FROM ig.comments WHERE media_id IN (%s)" % in_list(media)).fetchone()[0]
    assert n >= 24
    limits = [q for c in sandbox.stats()["calls"] if "comments" in (c.get("template") or "")
              for q in (c.get("query") or "").split("&") if q.startswith("limit=")]
    assert limits and set(limits) == {"limit=5"}, limits


def test_hashtag_media_pages_ask_the_tables_page_cap(ig):
    """The 50-row cap of hashtag media is declared by their tables (page_cap), not by a list in the Graph
    client: every page of a 120-row read asks limit=50 or less."""
    tag = ig.execute("SELECT id FROM ig.hashtags WHERE name = 'coffee'").fetchone()[0]
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT id FROM ig.hashtag_top_media WHERE hashtag_id = %s LIMIT 120", (tag,)).fetchall()
    assert len(rows) == 120
    limits = [int(q[len("limit="):]) for c in ig.sandbox.stats()["calls"] if "top_media" in (c.get("template") or "")
              for q in (c.get("query") or "").split("&") if q.startswith("limit=")]
    assert len(limits) >= 3 and max(limits) == 50, limits


# ---------------------------------------------------------------- field expansion values

@pytest.mark.parametrize("table, column, value", [
    ("business_discovery", "username", "a){id},name{"),
    ("business_discovery_media", "username", "x,y"),
    ("mentioned_media", "media_id", "1){caption}"),
])
def test_values_placed_into_a_field_expansion_are_refused_naming_table_and_column(ig, table, column, value):
    ig.sandbox.reset_stats()
    with pytest.raises(psycopg.Error) as info:
        ig.execute("SELECT * FROM ig.%s WHERE %s = '%s'" % (table, column, value.replace("'", "''"))).fetchall()
    assert info.value.sqlstate == "22023"
    assert "%s.%s" % (table, column) in str(info.value)
    assert calls(ig.sandbox) == 0


# ---------------------------------------------------------------- 30-day windows (issue 15)

def test_ninety_days_of_daily_account_insights_come_in_thirty_day_windows(ig):
    now = int(ig.sandbox.info()["now"])
    start = (now - 100 * DAY) // DAY * DAY
    since, until = start, start + 90 * DAY

    def series(a, b):
        return ig.execute("SELECT end_time, reach FROM ig.account_insights WHERE period = 'day' "
                          "AND since >= to_timestamp(%d) AND until <= to_timestamp(%d) ORDER BY end_time"
                          % (a, b)).fetchall()
    parts = series(since, since + 30 * DAY) + series(since + 30 * DAY, since + 60 * DAY) + \
        series(since + 60 * DAY, until)
    ig.sandbox.reset_stats()
    ig.sandbox.app.latency_ms = 50     # so that the windows' calls overlap in flight
    try:
        whole = ig.execute("SELECT end_time, reach FROM ig.account_insights WHERE period = 'day' "
                           "AND since >= to_timestamp(%d) AND until <= to_timestamp(%d)" % (since, until)).fetchall()
        stats = ig.sandbox.stats()
    finally:
        ig.sandbox.app.latency_ms = 0
    assert len(whole) >= 89
    assert whole == sorted(whole)                       # in time order without ORDER BY
    assert len({r[0] for r in whole}) == len(whole)     # no day twice at a window boundary
    assert [r[0] for r in whole] == sorted({r[0] for r in parts})
    assert stats["total"] == 3
    assert stats["max_in_flight"] >= 2


def test_a_total_over_more_than_thirty_days_is_a_clear_error(ig):
    now = int(ig.sandbox.info()["now"])
    since = (now - 100 * DAY) // DAY * DAY
    ig.sandbox.reset_stats()
    with pytest.raises(psycopg.Error) as info:
        ig.execute("SELECT reach FROM ig.account_without_breakdown WHERE since >= to_timestamp(%d) "
                   "AND until <= to_timestamp(%d)" % (since, since + 60 * DAY)).fetchall()
    assert info.value.sqlstate == "22023"
    assert "account_without_breakdown" in str(info.value) and "30 days" in str(info.value)
    assert calls(ig.sandbox) == 0


def test_explain_names_the_nested_fan_out(ig):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT id FROM ig.replies").fetchall())
    assert "for every row of comments of media" in plan


# ---------------------------------------------------------------- concurrency (issue 15, stretch)

def with_latency(sb, ms, fn):
    sb.reset_stats()
    sb.app.latency_ms = ms      # so that independent calls overlap in flight
    try:
        return fn(), sb.stats()
    finally:
        sb.app.latency_ms = 0


def test_the_accounts_of_one_scan_are_read_concurrently_in_account_order(ig):
    a, b = ig.sandbox.accounts[:2]

    def media_of(where):
        return ig.execute("SELECT business_account_id, id FROM ig.media WHERE %s" % where).fetchall()
    each = media_of("business_account_id = '%s'" % a) + media_of("business_account_id = '%s'" % b)
    both, stats = with_latency(ig.sandbox, 50, lambda: media_of("business_account_id IN ('%s', '%s')" % (a, b)))
    assert both == each                      # complete, account by account, each in the API's order
    assert {r[0] for r in both} == {a, b}
    assert stats["max_in_flight"] >= 2


def test_the_batches_of_an_id_list_are_read_concurrently_in_input_order(ig):
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media LIMIT 120").fetchall()]
    assert len(ids) == 120
    rows, stats = with_latency(ig.sandbox, 50, lambda: ig.execute(
        "SELECT id FROM ig.media WHERE id = ANY(ARRAY[%s])" % in_list(ids)).fetchall())
    assert [r[0] for r in rows] == ids
    assert stats["total"] == 3 and stats["max_in_flight"] >= 2


def test_the_account_of_comments_read_by_media_id_costs_no_extra_call(ig):
    acct = ig.sandbox.accounts[0]
    media = [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE comments_count BETWEEN 1 AND 20 "
                                      "LIMIT 60").fetchall()]
    assert len(media) == 60
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT * FROM ig.comments WHERE media_id IN (%s) AND business_account_id = '%s'"
                      % (in_list(media), acct)).fetchall()
    assert calls(ig.sandbox) == 2            # 49 + 11 media: two batch calls, as without the account
    assert {r[0] for r in ig.execute("SELECT media_id FROM ig.comments WHERE media_id IN (%s)"
                                     % in_list(media)).fetchall()} == set(media)
    assert len(rows) == ig.execute("SELECT count(*) FROM ig.comments WHERE media_id IN (%s)"
                                   % in_list(media)).fetchone()[0]
