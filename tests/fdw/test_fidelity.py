"""ig_fdw's handling of the Graph API limits the sandbox now emulates (issue
17), through PostgreSQL: follower_count's 30 days, 2 years of insights, BUC
throttling, the table's own missing scope; and NOTICEs once per statement
for selected columns only (issue 16)."""

import datetime

import psycopg
import pytest

from tests.conftest import remember_secret
from tests.fdw.conftest import calls, create_server

DAY = 86400


def ts(sb, days_ago):
    """An ISO timestamp `days_ago` days before the sandbox clock."""
    t = sb.now() - int(days_ago * DAY)
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def insight_calls(sb):
    return [c for c in sb.stats()["calls"] if c["path"].endswith("/insights")]


def error_of(conn, sql, params=()):
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql, params).fetchall()
    return info.value


# -- follower_count: the last 30 days only ------------------------------------------
def test_follower_count_outside_30_days_is_null_with_one_notice(ig):
    sb = ig.sandbox
    ig.notices.take()
    rows = ig.execute("SELECT end_time, reach, follower_count FROM ig.account_insights "
                      "WHERE since >= %s AND until < %s ORDER BY end_time", (ts(sb, 60), ts(sb, 45))).fetchall()
    assert len(rows) == 15
    assert all(r[1] is not None and r[2] is None for r in rows)
    notices = ig.notices.take()
    assert len(notices) == 1, notices
    assert "follower_count is NULL" in notices[0] and "last 30 days" in notices[0]
    # inside the window both come back, without a NOTICE
    rows = ig.execute("SELECT reach, follower_count FROM ig.account_insights WHERE since >= %s AND until < %s",
                      (ts(sb, 10), ts(sb, 5))).fetchall()
    assert rows and all(r[0] is not None and r[1] is not None for r in rows)
    assert ig.notices.take() == []


def test_only_follower_count_outside_30_days_is_a_clear_error(ig):
    sb = ig.sandbox
    err = error_of(ig, "SELECT follower_count FROM ig.account_insights WHERE since >= %s AND until < %s",
                   (ts(sb, 60), ts(sb, 45)))
    assert err.diag.sqlstate == "22023"
    assert "follower_count" in err.diag.message_primary and "last 30 days" in err.diag.message_primary
    assert "since" in err.diag.message_hint and "30" in err.diag.message_hint
    # the long table: alone an error, with another metric a NOTICE and the other metric's rows
    err = error_of(ig, "SELECT value FROM ig.insights WHERE metric = 'follower_count' AND period = 'day' "
                       "AND since >= %s AND until < %s", (ts(sb, 60), ts(sb, 45)))
    assert "last 30 days" in err.diag.message_primary
    ig.notices.take()
    rows = ig.execute("SELECT metric, value FROM ig.insights WHERE metric IN ('reach', 'follower_count') "
                      "AND period = 'day' AND since >= %s AND until < %s", (ts(sb, 60), ts(sb, 45))).fetchall()
    assert rows and {r[0] for r in rows} == {"reach"}
    assert len([n for n in ig.notices.take() if "follower_count" in n]) == 1


# -- insights are kept 2 years -----------------------------------------------------
def test_since_older_than_two_years_is_a_clear_error(ig):
    sb = ig.sandbox
    sb.reset_stats()
    err = error_of(ig, "SELECT reach FROM ig.account_insights WHERE since >= %s AND until < %s",
                   (ts(sb, 800), ts(sb, 790)))
    assert err.diag.sqlstate == "22023"
    assert "2 years" in err.diag.message_primary and "since" in err.diag.message_primary
    assert "2 years" in err.diag.message_hint
    assert len(insight_calls(sb)) <= 1          # at most the one request the API refused; no retry
    assert ig.execute("SELECT count(*) FROM ig.account_insights WHERE since >= %s AND until < %s",
                      (ts(sb, 700), ts(sb, 690))).fetchone()[0] == 10


# -- Business Use Case throttling ---------------------------------------------------
@pytest.fixture
def small_sandbox():
    """A sandbox of its own: the shared one's hourly windows hold every other test's calls."""
    from ig_fdw.sandbox import Sandbox
    with Sandbox(seed=1, port=0, budget_per_hour=4) as sb:
        yield sb


def buc_server(conn, sb, max_wait):
    """A server whose throttle state file is this test's own (beside its settings file)."""
    where = "ig_fdw_%s/OAuthSettings.txt" % conn.info.dbname
    create_server(conn, sb, business_account=sb.accounts[0],
                  extra="OAuthSettingsLocation '%s', RateLimitMaxWait '%d'" % (where, max_wait))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) "
                 "FROM SERVER instagram INTO ig")


def test_instagram_calls_count_per_account_not_per_user(conn, small_sandbox):
    sb = small_sandbox
    buc_server(conn, sb, 60)
    a, b, c = sb.accounts
    for _ in range(3):        # 9 calls by one Facebook user: over 4 per user, not over 4 per account
        rows = conn.execute("SELECT business_account_id FROM ig.instagram_business_profile "
                            "WHERE business_account_id IN (%s, %s, %s)", (a, b, c)).fetchall()
        assert sorted(r[0] for r in rows) == sorted([a, b, c])
    assert {x["status"] for x in sb.stats()["calls"]} == {200}


def test_buc_block_longer_than_the_budget_is_a_clear_error_without_calling_into_it(conn, small_sandbox):
    sb = small_sandbox
    buc_server(conn, sb, 60)
    for _ in range(4):
        assert conn.execute("SELECT username FROM ig.instagram_business_profile").fetchone()[0]
    # the fourth answer said 100 % and "back in 60 minutes": longer than RateLimitMaxWait
    before = calls(sb)
    err = error_of(conn, "SELECT username FROM ig.instagram_business_profile")
    assert err.diag.sqlstate == "53400"
    assert "60 minute" in err.diag.message_primary and "RateLimitMaxWait" in err.diag.message_primary
    assert calls(sb) == before                 # no call into the block (it would only extend it)


# -- a missing permission names the table's own scope ---------------------------------
def limited_server(conn, sandbox, drop):
    scopes = [s for s in sandbox.info()["user"]["scopes"] if s != drop]
    token = sandbox.mint_token("user_long", scopes=scopes)
    remember_secret(token)
    remember_secret(sandbox.app_secret)
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s')"
                 % (sandbox.url, sandbox.app_id, sandbox.accounts[0]))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
                 "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (token, sandbox.app_secret))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")


def commented_media(conn):
    return conn.execute("SELECT id FROM ig.media WHERE comments_count > 0 LIMIT 1").fetchone()[0]


def test_missing_comments_permission_names_instagram_manage_comments(conn, sandbox):
    limited_server(conn, sandbox, "instagram_manage_comments")
    media = commented_media(conn)
    err = error_of(conn, "SELECT text FROM ig.comments WHERE media_id = %s", (media,))
    text = err.diag.message_primary + " " + err.diag.message_hint
    assert err.diag.sqlstate == "42501"
    assert "comments needs the permission instagram_manage_comments" in err.diag.message_primary
    assert "instagram_manage_comments" in err.diag.message_hint
    assert "instagram_manage_insights" not in text
    err = error_of(conn, "INSERT INTO ig.comments (media_id, text) VALUES (%s, 'hello')", (media,))
    assert err.diag.sqlstate == "42501" and "instagram_manage_comments" in err.diag.message_hint
    # turning comments off is a comment permission too, though ig_media itself only needs the basic ones
    err = error_of(conn, "UPDATE ig.ig_media SET is_comment_enabled = false WHERE id = %s", (media,))
    assert err.diag.sqlstate == "42501" and "Grant instagram_manage_comments" in err.diag.message_hint


def test_missing_insights_permission_is_an_error_not_null_rows(conn, sandbox):
    limited_server(conn, sandbox, "instagram_manage_insights")
    media = conn.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' LIMIT 3").fetchall()
    ids = [m[0] for m in media]
    err = error_of(conn, "SELECT reach FROM ig.media_insights WHERE media_id = ANY(%s)", (ids,))
    assert err.diag.sqlstate == "42501"
    assert "media_insights needs the permission instagram_manage_insights" in err.diag.message_primary
    err = error_of(conn, "SELECT reach FROM ig.account_insights")
    assert err.diag.sqlstate == "42501" and "instagram_manage_insights" in err.diag.message_hint
    assert "instagram_manage_comments" not in err.diag.message_hint


# -- NOTICEs: selected columns only, once per statement ------------------------------
def test_metric_type_notice_only_for_selected_columns_once(ig):
    ig.notices.take()
    ig.execute("SELECT end_time, reach, follower_count FROM ig.account_insights").fetchall()
    assert ig.notices.take() == []
    for _ in range(2):   # each statement: one NOTICE naming the three columns
        ig.execute("SELECT * FROM ig.account_insights").fetchall()
        notices = ig.notices.take()
        assert len(notices) == 1, notices
        for col in ("views", "accounts_engaged", "total_interactions"):
            assert "account_insights.%s" % col in notices[0]
        assert "total_value" in notices[0]
    ig.execute("SELECT views FROM ig.account_insights WHERE metric_type = 'total_value'").fetchall()
    assert ig.notices.take() == []


def test_metric_removed_by_the_version_is_null_with_one_notice(ig):
    ids = [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' "
                                    "AND media_type = 'IMAGE' LIMIT 3")]
    ig.notices.take()
    rows = ig.execute("SELECT impressions, reach FROM ig.media_insights_post WHERE media_id = ANY(%s)",
                      (ids,)).fetchall()
    assert len(rows) == 3 and all(r[0] is None and r[1] is not None for r in rows)
    notices = ig.notices.take()
    assert len(notices) == 1, notices
    assert "media_insights_post.impressions is NULL" in notices[0] and "v22.0" in notices[0]
    ig.execute("SELECT reach FROM ig.media_insights_post WHERE media_id = ANY(%s)", (ids,)).fetchall()
    assert ig.notices.take() == []
