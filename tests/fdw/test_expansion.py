"""Field expansion on the parents' pages (issue 15 item 3): a fan-out over
media costs the media pages, not a call or a batch item per media.  Each
test counts the sandbox's calls through PostgreSQL and compares the rows with
the batched path (FieldExpansion 'off' on the same server)."""

import pytest

from tests.fdw.conftest import calls


def read(conn, sql, expansion):
    """(rows, stats) of `sql` with FieldExpansion on or off for the server."""
    conn.execute("ALTER SERVER instagram OPTIONS (%s FieldExpansion '%s')"
                 % ("SET" if read.set else "ADD", "on" if expansion else "off"))
    read.set = True
    conn.sandbox.reset_stats()
    rows = conn.execute(sql).fetchall()
    return rows, conn.sandbox.stats()


@pytest.fixture
def ex(ig):
    read.set = False
    return ig


def media_pages(ig):
    """Pages of the account's media edge (Pagesize 100)."""
    n = ig.execute("SELECT count(*) FROM ig.media").fetchone()[0]
    return -(-n // 100)


def media_reads(stats):
    """The account's media pages a scan read: the account node with its first page, then the media edge
    (in since/until windows side by side when MaxConcurrency allows: a window's short last page is a call
    more than paging in turn would make, see ig_fdw/windows.py)."""
    return sum(1 for c in stats["calls"] if c.get("template") in ("GET /{ig-user-id}", "GET /{ig-user-id}/media"))


def paths(stats):
    return [c.get("path") or c.get("template") or "" for c in stats["calls"]]


COMMENTS = "SELECT media_id, id, text, username, user_id, like_count, hidden, timestamp, business_account_id " \
           "FROM ig.comments"


def test_comments_of_every_media_cost_the_media_pages(ex):
    pages = media_pages(ex)
    batched, before = read(ex, COMMENTS, expansion=False)
    expanded, after = read(ex, COMMENTS, expansion=True)
    assert expanded == batched and len(expanded) > 100          # the same rows, in the same order
    # the media with more comments than a page: paged on by cursor, one call per further page
    media = ex.execute("SELECT comments_count FROM ig.media").fetchall()
    extra = sum(max(0, -(-n // 100) - 1) for (n,) in media if n)
    assert pages <= media_reads(after) <= pages + 4          # at most a call more per window (MaxConcurrency 4)
    assert after["total"] == media_reads(after) + extra
    assert after["batches"] == 0
    assert before["total"] > after["total"]
    assert before["batch_items"] >= len(media)


def test_comments_beyond_the_first_page_follow_the_nested_cursor(ex):
    ex.execute("ALTER SERVER instagram OPTIONS (ADD Pagesize '5')")
    try:
        pages = -(-ex.execute("SELECT count(*) FROM ig.media").fetchone()[0] // 5)
        counts = [n for (n,) in ex.execute("SELECT comments_count FROM ig.media").fetchall()]
        assert any(n > 5 for n in counts)
        batched, _ = read(ex, COMMENTS, expansion=False)
        expanded, stats = read(ex, COMMENTS, expansion=True)
        assert expanded == batched
        assert pages <= media_reads(stats) <= pages + 4
        assert stats["total"] == media_reads(stats) + sum(max(0, -(-n // 5) - 1) for n in counts if n)
        assert stats["batches"] == 0
    finally:
        ex.execute("ALTER SERVER instagram OPTIONS (DROP Pagesize)")


def test_comments_with_a_limit_stop_at_the_first_media_page(ex):
    sql = COMMENTS + " LIMIT 7"
    batched, _ = read(ex, sql, expansion=False)
    expanded, stats = read(ex, sql, expansion=True)
    assert expanded == batched and len(expanded) == 7
    assert stats["total"] == 1


def test_comments_of_two_accounts_keep_account_order(ex):
    a, b = ex.sandbox.accounts[:2]
    sql = COMMENTS + " WHERE business_account_id IN ('%s', '%s')" % (a, b)
    batched, _ = read(ex, sql, expansion=False)
    expanded, stats = read(ex, sql, expansion=True)
    assert expanded == batched
    assert {r[-1] for r in expanded} == {a, b}
    assert stats["batches"] == 0


def test_explain_says_the_comments_come_with_the_media_pages(ex):
    plan = "\n".join(r[0] for r in ex.execute("EXPLAIN SELECT id FROM ig.comments").fetchall())
    assert "comments.limit(" in plan and "expanded on the pages of media" in plan


# ---------------------------------------------------------------- media insights

INSIGHTS = "SELECT media_id, business_account_id, media_type, media_product_type, reach, likes, views, shares " \
           "FROM ig.%s"


@pytest.mark.parametrize("table", ["media_insights", "media_insights_reels"])
def test_insights_of_every_media_come_with_the_media_pages(ex, table):
    pages = media_pages(ex)
    batched, before = read(ex, INSIGHTS % table, expansion=False)
    expanded, after = read(ex, INSIGHTS % table, expansion=True)
    assert expanded == batched and expanded
    assert any(r[4] is not None for r in expanded)
    media_calls = [c for c in after["calls"] if c["template"] in ("GET /{ig-user-id}/media", "GET /{ig-user-id}")]
    expanded_calls = [c for c in media_calls if "insights.metric" in c.get("query", "")]
    failed = [c for c in expanded_calls if c["status"] != 200]
    # every media page once with the insights; a page the expansion failed for once more without them,
    # and its media in batch calls as before
    assert pages <= len(media_calls) - len(failed) <= pages + 4     # windows: a short last page each
    assert len(expanded_calls) >= pages - len(failed)
    assert after["total"] < before["total"]
    plain = [c for c in media_calls if "insights.metric" not in c.get("query", "")]    # read again without
    assert after["batch_items"] <= 100 * len(plain)


def test_insights_whose_metrics_depend_on_the_media_type_stay_batched(ex):
    sql = "SELECT * FROM ig.media_insights"
    batched, before = read(ex, sql, expansion=False)
    expanded, after = read(ex, sql, expansion=True)
    assert expanded == batched
    assert after["total"] == before["total"]
    assert not any("insights.metric" in c.get("query", "") for c in after["calls"])


# ---------------------------------------------------------------- parents given by a filter

def test_comments_of_media_chosen_by_a_filter_come_by_ids_with_expansion(ex):
    acct = ex.sandbox.accounts[0]
    media = [r[0] for r in ex.execute("SELECT id FROM ig.media WHERE comments_count > 0 LIMIT 100").fetchall()]
    counts = dict(ex.execute("SELECT id, comments_count FROM ig.media WHERE id IN (%s)"
                             % ", ".join("'%s'" % m for m in media)).fetchall())
    sql = COMMENTS + " WHERE media_id IN (%s) AND business_account_id = '%s'" % (
        ", ".join("'%s'" % m for m in media), acct)
    batched, before = read(ex, sql, expansion=False)
    expanded, after = read(ex, sql, expansion=True)
    assert expanded == batched and {r[-1] for r in expanded} == {acct}
    # 100 media: two ids= calls (50 each, owners included) against three batch calls of 49 + the owners' item
    assert before["total"] == 3 + sum(max(0, -(-n // 100) - 1) for n in counts.values())
    assert after["total"] == 2 + sum(max(0, -(-n // 100) - 1) for n in counts.values())
    assert after["batches"] == 0


def test_replies_of_comments_chosen_by_a_filter_are_the_same_rows(ex):
    comments = [r[0] for r in ex.execute("SELECT id FROM ig.comments LIMIT 300").fetchall()]
    sql = "SELECT comment_id, id, text, media_id, business_account_id FROM ig.replies WHERE comment_id IN (%s)" \
        % ", ".join("'%s'" % c for c in comments)
    batched, _ = read(ex, sql, expansion=False)
    expanded, after = read(ex, sql, expansion=True)
    assert expanded == batched and expanded
    assert after["batches"] == 0


def test_a_missing_media_id_gives_no_rows_as_before(ex):
    media = [r[0] for r in ex.execute("SELECT id FROM ig.media WHERE comments_count > 0 LIMIT 2").fetchall()]
    sql = COMMENTS + " WHERE media_id IN ('%s', '1234567', '%s')" % tuple(media)
    batched, _ = read(ex, sql, expansion=False)
    expanded, _ = read(ex, sql, expansion=True)
    assert expanded == batched and {r[0] for r in expanded} == set(media)


def test_replies_of_every_comment_cost_the_media_pages(ex):
    pages = media_pages(ex)
    sql = "SELECT comment_id, id, text, username, timestamp, media_id, business_account_id FROM ig.replies"
    batched, before = read(ex, sql, expansion=False)
    expanded, after = read(ex, sql, expansion=True)
    assert expanded == batched and expanded
    nested = [c for c in after["calls"] if "replies.limit" in c.get("query", "")]
    assert nested and all(c["template"].endswith(("/media", "/comments", "/{ig-user-id}")) for c in nested)
    assert after["batches"] == 0
    # the media pages, the further comment pages of media with more than 100 comments, and the further
    # reply pages of comments with more than 100 replies (none in the sandbox's data)
    more_comments = sum(max(0, -(-n // 100) - 1) for (n,) in ex.execute("SELECT comments_count FROM ig.media"))
    assert pages <= media_reads(after) <= pages + 4
    assert after["total"] == media_reads(after) + more_comments
    assert before["total"] > after["total"]


@pytest.mark.parametrize("sql", [COMMENTS, "SELECT comment_id, id, text, business_account_id FROM ig.replies",
                                 INSIGHTS % "media_insights"])
def test_an_expanded_page_the_api_refuses_is_read_the_batched_way(ex, sql):
    """The real API answers code 1 (HTTP 500, "Please reduce the amount of data you're asking for") when an
    expansion holds too much: once the client's retries are spent, the account's media pages are read again
    without it and their rows come in batch calls, the same rows."""
    batched, _ = read(ex, sql, expansion=False)
    # the first media page (on the account node when the media are read in windows) fails five attempts
    ex.sandbox.set_faults("status=500@path=*/v22.0/%s,count=5" % ex.sandbox.accounts[0])
    try:
        expanded, stats = read(ex, sql, expansion=True)
        fired = ex.sandbox.app.faults.rules[0].fired
    finally:
        ex.sandbox.set_faults(None)
    assert expanded == batched
    assert fired == 5
    assert stats["batches"] >= 1
