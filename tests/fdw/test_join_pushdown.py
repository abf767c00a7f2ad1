"""Join pushdown between two ig_fdw tables (issue 15 item 3): on our runtime
``media JOIN media_insights`` and ``media JOIN comments`` are one Foreign Scan
reading the media pages, the media filters in their requests and the
children expanded on each page (ig_fdw.joins).  Every test compares the rows
with ``SET multicorn.enable_join_pushdown = off`` (PostgreSQL joining the two
scans, as on multicorn2, which never calls the join methods) and reads the
sandbox's counts."""

import datetime
import re
from urllib.parse import unquote

import psycopg
import pytest
from psycopg import sql as pgsql

from tests.security.conftest import reader_grants, roles  # noqa: F401  (fixture)

DAY = 86400

TOP_REACH = ("SELECT m.id, m.timestamp, i.reach FROM ig.media m JOIN ig.media_insights i ON i.media_id = m.id "
             "WHERE m.timestamp > '%s' ORDER BY i.reach DESC, m.id LIMIT 10")
COMMENTS = ("SELECT m.id, m.timestamp, c.id, c.text, c.username FROM ig.media m "
            "JOIN ig.comments c ON c.media_id = m.id "
            "WHERE m.timestamp > '%s' AND c.text ILIKE '%%this%%'")


def days_ago(sb, n):
    """The sandbox's clock (not this machine's) minus n days, as SQL text."""
    t = datetime.datetime.fromtimestamp(sb.now() - n * DAY, datetime.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S+00")


def run(conn, sql, pushdown, params=None):
    """(rows, stats, plan text) of `sql` with join pushdown on or off; rows sorted unless the query orders
    them (a query ordered by a media column may be planned over a presorted key join instead: the pushed
    join offers no order of its own)."""
    conn.execute("SET multicorn.enable_join_pushdown = %s" % ("on" if pushdown else "off"))
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params).fetchall())
    conn.sandbox.reset_stats()
    rows = conn.execute(sql, params).fetchall()
    if "ORDER BY" not in sql:
        rows.sort(key=repr)
    return rows, conn.sandbox.stats(), plan


def pushed(plan):
    """The plan is the one Foreign Scan of a pushed-down join (no second scan under a join node)."""
    return "Relations:" in plan and "INNER JOIN" in plan and plan.count("Foreign Scan") == 1


def reads_of_media(stats):
    """The calls that read media: an account's media edge, or its node with the first page of media
    expanded (round 1 of a read in windows, ig_fdw.windows)."""
    return [c for c in stats["calls"] if c["template"] == "GET /{ig-user-id}/media"
            or (c["template"] == "GET /{ig-user-id}" and "media" in unquote(c["query"]))]


def media_pages(conn, since):
    n = conn.execute("SELECT count(*) FROM ig.media WHERE timestamp > %s", (since,)).fetchone()[0]
    return n, -(-n // 100)


def test_top_posts_by_reach_in_the_last_90_days_cost_the_media_pages(ig):
    since = days_ago(ig.sandbox, 90)
    sql = TOP_REACH % since
    # a fresh backend knows no media density: round 1 is the account node with the first page, then the
    # rest in windows side by side
    ig.sandbox.set_faults("latency=100ms")
    try:
        cold, fresh, _ = run(ig, sql, pushdown=True)
    finally:
        ig.sandbox.set_faults(None)
    before, unpushed, plan_off = run(ig, sql, pushdown=False)
    after, stats, plan = run(ig, sql, pushdown=True)
    assert after == before and len(after) == 10 and all(r[2] is not None for r in after)
    assert pushed(plan) and not pushed(plan_off)
    n, pages = media_pages(ig, since)
    assert 0 < n
    # only the media of the 90 days (the since bound in each request), the insights expanded on each page:
    # round 1 the account node with media_count and the first page, then the rest in since/until windows
    # side by side (ig_fdw.windows), at most one call more per window than the pages
    media = reads_of_media(stats)
    assert stats["total"] == len(media) and pages <= stats["total"] <= 2 * pages and stats["batches"] == 0
    assert all(re.search(r"since[=(]\d+", unquote(c["query"])) and "insights.metric" in unquote(c["query"])
               for c in media)
    assert unpushed["total"] > stats["total"] and unpushed["rounds"] > stats["rounds"]
    assert cold == before and fresh["rounds"] == (1 if pages == 1 else 2)
    # at the API's latency, the account's density known from the reads above (ig_fdw.windows.Densities):
    # the 90 days cut into windows before any first page, every window at once, one round
    ig.sandbox.set_faults("latency=100ms")
    try:
        again, slow, _ = run(ig, sql, pushdown=True)
    finally:
        ig.sandbox.set_faults(None)
    assert again == before and slow["rounds"] == 1
    assert pages <= slow["total"] <= 2 * pages and all("since=" in unquote(c["query"]) for c in reads_of_media(slow))
    print("90-day top 10 by reach, %d media: fresh %d calls in %d rounds, density known %d calls in %d rounds"
          % (n, fresh["total"], fresh["rounds"], slow["total"], slow["rounds"]))


def test_media_join_comments_with_a_media_filter_and_a_text_filter(ig):
    since = days_ago(ig.sandbox, 60)
    sql = COMMENTS % since
    before, unpushed, _ = run(ig, sql, pushdown=False)
    after, stats, plan = run(ig, sql, pushdown=True)
    assert after == before and after
    assert all("this" in r[3].lower() for r in after)
    assert pushed(plan)
    n, pages = media_pages(ig, since)
    counts = [c for (c,) in ig.execute("SELECT comments_count FROM ig.media WHERE timestamp > %s", (since,))]
    further = sum(max(0, -(-c // 100) - 1) for c in counts if c)   # comments beyond a media's first page
    assert stats["total"] == pages + further and stats["batches"] == 0
    media = [c for c in stats["calls"] if c["template"] == "GET /{ig-user-id}/media"]
    assert media and all("comments.limit" in c["query"] and "since=" in c["query"] for c in media), media
    assert unpushed["total"] > stats["total"]


def test_explain_shows_one_foreign_scan_with_relations_and_planned_calls(ig):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + TOP_REACH % days_ago(ig.sandbox, 90)).fetchall())
    assert pushed(plan), plan
    assert "Relations: (ig.media m) INNER JOIN (ig.media_insights i)" in plan, plan
    assert "Planned Calls:" in plan
    assert "insights.metric(" in plan and "expanded on each page of media" in plan
    assert "Graph parameters: since=" in plan


def test_explain_analyze_counts_the_calls_of_the_join(ig):
    sql = "SELECT m.id, i.reach FROM ig.media m JOIN ig.media_insights i ON i.media_id = m.id " \
          "WHERE m.timestamp > '%s'" % days_ago(ig.sandbox, 30)
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql).fetchall())
    assert pushed(plan) and "Graph API: 1 call" in plan, plan


def test_the_join_written_the_other_way_round_is_pushed_too(ig):
    since = days_ago(ig.sandbox, 45)
    sql = "SELECT i.media_id, i.likes, m.like_count FROM ig.media_insights i, ig.media m " \
          "WHERE m.id = i.media_id AND m.timestamp >= '%s'" % since
    before, _, _ = run(ig, sql, pushdown=False)
    after, stats, plan = run(ig, sql, pushdown=True)
    assert after == before and after and pushed(plan)
    assert stats["total"] == media_pages(ig, since)[1]


def test_a_join_over_two_accounts_reads_each_accounts_media_pages_with_their_insights(ig):
    a, b = ig.sandbox.accounts[:2]
    sql = "SELECT m.business_account_id, m.id, i.reach, i.business_account_id FROM ig.media m " \
          "JOIN ig.media_insights i ON i.media_id = m.id " \
          "WHERE m.business_account_id IN ('%s', '%s') AND m.timestamp > '%s'" % (a, b, days_ago(ig.sandbox, 20))
    before, _, _ = run(ig, sql, pushdown=False)
    after, stats, plan = run(ig, sql, pushdown=True)
    assert after == before and pushed(plan)
    assert {r[0] for r in after} == {a, b} and all(r[0] == r[3] for r in after)
    media = reads_of_media(stats)
    assert {c["path"].split("/")[2] for c in media} == {a, b}
    assert stats["total"] == len(media) and stats["batches"] == 0


def test_accounts_that_cannot_match_send_nothing(ig):
    a, b = ig.sandbox.accounts[:2]
    sql = "SELECT m.id, i.reach FROM ig.media m JOIN ig.media_insights i ON i.media_id = m.id " \
          "WHERE m.business_account_id = '%s' AND i.business_account_id = '%s'" % (a, b)
    rows, stats, plan = run(ig, sql, pushdown=True)
    assert rows == [] and pushed(plan) and stats["total"] == 0


def test_stories_join_their_insights_in_batch_calls_for_the_stories_read(ig):
    """Stories' insights are never expanded (a story with few viewers fails the page): the pushed join reads
    the stories page and then their insights in batch calls of 50 (NULL metrics and a NOTICE for a story
    without insights, as the table's own scan gives)."""
    sql = "SELECT s.id, s.timestamp, i.reach, i.replies, i.navigation FROM ig.stories s " \
          "JOIN ig.media_insights_story i ON i.media_id = s.id"
    before, unpushed, _ = run(ig, sql, pushdown=False)
    after, stats, plan = run(ig, sql, pushdown=True)
    assert after == before and after and pushed(plan), plan
    assert "for each row of stories (batched" in plan
    assert stats["by_endpoint"].get("GET /{ig-user-id}/stories") == 1
    assert stats["total"] == 1 + -(-len(after) // 50) and stats["batches"] == -(-len(after) // 50)
    # the key join: the stories, then their ids (a story with few viewers fails the ?ids= call with the
    # insights expanded: read again without them), then the same batch
    assert unpushed["total"] > stats["total"]


def test_story_insights_by_id_with_a_story_without_insights_are_null_not_an_error(ig):
    """Found with the test above: a story with few viewers (code 10) failed the whole ?ids= call that
    carries the insights; it is now read the two-step way, a row of NULLs and a NOTICE for that story."""
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.stories")]
    ig.notices.take()
    rows = ig.execute("SELECT media_id, reach FROM ig.media_insights_story WHERE media_id = ANY(%s)",
                      (ids,)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert any(r[1] is None for r in rows) and any(r[1] is not None for r in rows)
    assert any("insights unavailable" in m for m in ig.notices.take())


def test_a_join_ig_fdw_does_not_answer_is_joined_by_postgresql(ig):
    """FieldExpansion 'off', tables with different settings, a join on another column: the two scans,
    the same rows."""
    since = days_ago(ig.sandbox, 20)
    sql = TOP_REACH % since
    expected, _, _ = run(ig, sql, pushdown=False)
    ig.execute("ALTER SERVER instagram OPTIONS (ADD FieldExpansion 'off')")
    rows, _, plan = run(ig, sql, pushdown=True)
    assert rows == expected and not pushed(plan)
    ig.execute("ALTER SERVER instagram OPTIONS (DROP FieldExpansion)")
    ig.execute("ALTER FOREIGN TABLE ig.media_insights OPTIONS (ADD Pagesize '50')")
    rows, _, plan = run(ig, sql, pushdown=True)
    assert rows == expected and not pushed(plan)
    ig.execute("ALTER FOREIGN TABLE ig.media_insights OPTIONS (DROP Pagesize)")
    other = "SELECT m.id, c.id FROM ig.media m JOIN ig.comments c ON c.id = m.id WHERE m.timestamp > '%s'" % since
    rows, _, plan = run(ig, other, pushdown=True)
    assert rows == [] and not pushed(plan)


# ---------------------------------------------------------------- security

@pytest.fixture
def reader(ig, roles):  # noqa: F811
    """A role with SELECT on ig.* and nothing else (PUBLIC's mapping, the administrator's token)."""
    sb = ig.sandbox
    ig.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
               "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (sb.user_token(), sb.app_secret))
    conn = roles.connect(roles.make("joiner", reader_grants()))
    conn.sandbox = sb
    return conn


HOSTILE = ["x){id},name{", "1&ids=2", "1,2", "17841400000000001)", "me/accounts?x=#", "{", "%2c"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_filter_value_in_a_join_sends_nothing(reader, value):
    """Literal values: refused while planning (the join is then not offered), and the table's own scan
    gives its error before any call."""
    for where in ("m.business_account_id = %s", "i.business_account_id = %s"):
        sql = "SELECT m.id, i.reach FROM ig.media m JOIN ig.media_insights i ON i.media_id = m.id WHERE " + where
        reader.sandbox.reset_stats()
        with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
            reader.execute(sql, (value,))
        assert "business_account_id" in str(info.value)
        assert reader.sandbox.stats()["total"] == 0


def execute_j(*values):
    """EXECUTE j(<values as quoted literals>): a utility statement takes no bound parameters."""
    return pgsql.SQL("EXECUTE j({})").format(pgsql.SQL(", ").join(pgsql.Literal(v) for v in values))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_given_at_execution_of_a_pushed_join_sends_nothing(reader, value):
    """A generic plan: the join is pushed down with the value unknown, then refused by execute_join before
    any call; a good value through the same prepared statement is answered."""
    reader.execute("SET plan_cache_mode = force_generic_plan")
    reader.execute("PREPARE j(text, timestamptz) AS SELECT m.id, c.text FROM ig.media m "
                   "JOIN ig.comments c ON c.media_id = m.id WHERE c.business_account_id = $1 AND m.timestamp > $2")
    since = days_ago(reader.sandbox, 10)
    plan = "\n".join(r[0] for r in reader.execute("EXPLAIN EXECUTE j('%s', '%s')"
                                                  % (reader.sandbox.accounts[0], since)).fetchall())
    assert pushed(plan), plan
    reader.sandbox.reset_stats()
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        reader.execute(execute_j(value, since))
    assert reader.sandbox.stats()["total"] == 0
    rows = reader.execute(execute_j(reader.sandbox.accounts[0], since)).fetchall()
    assert rows and reader.sandbox.stats()["total"] >= 1


def test_a_crafted_timestamp_never_reaches_the_expansion(reader):
    """A timestamp is a timestamptz before ig_fdw sees it: text that is not one is PostgreSQL's error,
    and what is sent is since=<seconds>."""
    sql = "SELECT m.id, i.reach FROM ig.media m JOIN ig.media_insights i ON i.media_id = m.id " \
          "WHERE m.timestamp > %s"
    reader.sandbox.reset_stats()
    with pytest.raises(psycopg.errors.InvalidDatetimeFormat):
        reader.execute(sql, ("2026-01-01){id},insights.metric(reach",))
    assert reader.sandbox.stats()["total"] == 0
    reader.execute(sql, (days_ago(reader.sandbox, 5),)).fetchall()
    queries = [c["query"] for c in reader.sandbox.stats()["calls"]]
    since = reader.sandbox.now() - 5 * DAY
    assert queries and all("since=%d" % since in unquote(q) or "since(%d)" % since in unquote(q) for q in queries)
