"""The Instagram tables through a real PostgreSQL against the sandbox."""

import psycopg
import pytest

from ig_fdw import catalog
from tests.fdw.conftest import calls, create_server


def media_ids(conn, n, where=""):
    return [r[0] for r in conn.execute("SELECT id FROM ig.media %s LIMIT %d" % (where, n)).fetchall()]


def test_import_creates_every_table(ig):
    got = {r[0] for r in ig.execute("SELECT foreign_table_name FROM information_schema.foreign_tables "
                                    "WHERE foreign_table_schema = 'ig'").fetchall()}
    assert got == set(catalog.names())


def test_import_limit_to_and_except(conn, sandbox):
    create_server(conn, sandbox, sandbox.accounts[0])
    conn.execute("CREATE SCHEMA a; CREATE SCHEMA b")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (media, comments) FROM SERVER instagram INTO a")
    conn.execute("IMPORT FOREIGN SCHEMA instagram EXCEPT (media) FROM SERVER instagram INTO b")
    a = {r[0] for r in conn.execute("SELECT foreign_table_name FROM information_schema.foreign_tables "
                                    "WHERE foreign_table_schema = 'a'")}
    b = {r[0] for r in conn.execute("SELECT foreign_table_name FROM information_schema.foreign_tables "
                                    "WHERE foreign_table_schema = 'b'")}
    assert a == {"media", "comments"}
    assert b == set(catalog.names()) - {"media"}


def comment_with_replies(sb):
    """A top-level comment that has replies (asked of the sandbox directly)."""
    import requests
    headers = {"Authorization": "Bearer " + sb.user_token()}
    media = requests.get("%s/v22.0/%s/media" % (sb.url, sb.accounts[0]), headers=headers,
                         params={"fields": "id", "limit": 100}).json()["data"]
    for m in media:
        body = requests.get("%s/v22.0/%s/comments" % (sb.url, m["id"]), headers=headers,
                            params={"fields": "id,replies.limit(1){id}", "limit": 100}).json()
        for c in body.get("data", []):
            if (c.get("replies") or {}).get("data"):
                return c["id"]
    raise AssertionError("the sandbox has no comment with replies")


def required_filters(conn, sb):
    """A WHERE clause for every table that needs one (values taken from the sandbox)."""
    media = media_ids(conn, 1)[0]
    carousel = conn.execute("SELECT id FROM ig.media WHERE media_type = 'CAROUSEL_ALBUM' LIMIT 1").fetchone()[0]
    comment = comment_with_replies(sb)
    hashtag = conn.execute("SELECT id FROM ig.hashtags WHERE name = 'coffee'").fetchone()[0]
    username = sb.info()["discovery_usernames"][0]
    return {
        "media_children": "media_id = '%s'" % carousel,
        "hashtags": "name = 'coffee'",
        "hashtag_top_media": "hashtag_id = '%s'" % hashtag,
        "hashtag_recent_media": "hashtag_id = '%s'" % hashtag,
        "business_discovery": "username = '%s'" % username,
        "business_discovery_media": "username = '%s'" % username,
        "mentioned_media": "media_id = '%s'" % sb.info()["accounts"][0]["mentioned_media_ids"][0],
        "mentioned_comments": "comment_id = '%s'" % sb.info()["accounts"][0]["mentioned_comment_ids"][0],
        "insights": "metric = 'reach'",
        "account_time_series_follow_type": "since >= '2026-10-20' AND until < '2026-10-23'",
        "account_time_series_media_product_type": "since >= '2026-10-20' AND until < '2026-10-23'",
        "comments": "media_id = '%s'" % media,
        "replies": "comment_id = '%s'" % comment,
        "media_insights": "media_id = '%s'" % media,
    }


def test_every_table_answers_a_select(ig):
    filters = required_filters(ig, ig.sandbox)
    answered = {}
    for name in catalog.names():
        if name in ("get_oauth_authorization_url", "get_oauth_access_token", "refresh_oauth_access_token"):
            continue
        where = filters.get(name, "")
        sql = "SELECT * FROM ig.%s %s LIMIT 5" % (name, ("WHERE " + where) if where else "")
        answered[name] = len(ig.execute(sql).fetchall())
    empty = [n for n, count in answered.items() if count == 0]
    assert not empty, "tables with no rows: %s" % empty


def test_ids_in_is_one_call(ig):
    ids = media_ids(ig, 5)
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT id, caption, like_count FROM ig.ig_media WHERE id = ANY(%s)", (ids,)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert calls(ig.sandbox) == 1


def test_timestamp_range_pages_only_through_the_range(ig):
    ig.sandbox.reset_stats()
    n_all = ig.execute("SELECT count(*) FROM ig.media").fetchone()[0]
    full = calls(ig.sandbox)
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT timestamp FROM ig.media WHERE timestamp >= '2026-10-01' "
                      "AND timestamp < '2026-10-15'").fetchall()
    ranged = calls(ig.sandbox)
    assert rows and all(r[0].month == 10 and r[0].day < 15 for r in rows)
    assert n_all > 1000 and full >= 10
    assert ranged == 1 < full


def test_limit_stops_paging(ig):
    ig.sandbox.reset_stats()
    assert len(ig.execute("SELECT id FROM ig.media LIMIT 3").fetchall()) == 3
    assert calls(ig.sandbox) == 1


def test_order_by_timestamp_desc_is_native(ig):
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT id FROM ig.media ORDER BY timestamp DESC LIMIT 5"))
    assert "Sort" not in plan
    rows = ig.execute("SELECT timestamp FROM ig.media ORDER BY timestamp DESC LIMIT 50").fetchall()
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)


def test_local_join_fetches_only_joined_ids(ig):
    ids = media_ids(ig, 3, "WHERE media_product_type = 'FEED'")
    ig.execute("CREATE TABLE my_posts (media_id text, campaign text)")
    ig.execute("INSERT INTO my_posts SELECT unnest(%s::text[]), 'spring'", (ids,))
    ig.execute("ANALYZE my_posts")
    sql = ("SELECT p.media_id, i.reach FROM my_posts p JOIN ig.media_insights i ON i.media_id = p.media_id "
           "ORDER BY 1")
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN " + sql))
    assert "MulticornKeyJoin" in plan, plan        # the runtime's key join (tests/fdw/test_keyjoin.py)
    ig.sandbox.reset_stats()
    rows = ig.execute(sql).fetchall()
    assert [r[0] for r in rows] == sorted(ids) and all(r[1] is not None for r in rows)
    paths = [c["path"] for c in ig.sandbox.stats()["calls"]]
    assert calls(ig.sandbox) <= 2 * len(ids)
    assert not any(p.endswith("/media") for p in paths), paths   # no walk over all media


def test_explain_shows_the_graph_requests(ig):
    ids = media_ids(ig, 3)
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT caption FROM ig.media WHERE id = ANY(%s)", (ids,)))
    assert "Graph: GET ?ids=<3 ids> (1 call, 50 ids each)" in plan
    assert "Graph fields: caption,id" in plan or "Graph fields: id,caption" in plan
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT * FROM ig.comments"))
    assert "fan-out" in plan
    assert ig.sandbox.user_token() not in plan


def test_missing_required_qual_names_table_column_operator(ig):
    with pytest.raises(psycopg.Error) as info:
        ig.execute("SELECT * FROM ig.hashtag_top_media").fetchall()
    msg = str(info.value)
    assert "hashtag_top_media" in msg and "hashtag_id" in msg and "'='" in msg
    with pytest.raises(psycopg.Error) as info:
        ig.execute("SELECT * FROM ig.business_discovery").fetchall()
    assert "business_discovery" in str(info.value) and "username" in str(info.value)


def test_comments_without_media_id_walk_every_media_expanded(ig):
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT id, media_id FROM ig.comments LIMIT 400").fetchall()
    assert len(rows) == 400
    stats = ig.sandbox.stats()
    # the comments come with the media pages (field expansion), not in batch calls per 50 media
    assert stats["batches"] == 0
    assert any("comments.limit" in c.get("query", "") for c in stats["calls"] if c["template"].endswith("/media"))


def test_deprecated_metric_is_not_requested(ig):
    media = media_ids(ig, 1, "WHERE media_product_type = 'FEED' AND media_type = 'IMAGE'")[0]
    row = ig.execute("SELECT impressions, reach FROM ig.media_insights_post WHERE media_id = %s", (media,)).fetchone()
    assert row[0] is None and row[1] is not None


def test_story_with_few_viewers_gives_null_and_notice(ig):
    ig.notices.take()
    rows = ig.execute("SELECT media_id, reach FROM ig.media_insights_story").fetchall()
    assert rows and any(r[1] is None for r in rows)
    assert any("insights unavailable" in m for m in ig.notices.take())


def test_multi_account_token(conn, sandbox):
    create_server(conn, sandbox, business_account=None)
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile, media) "
                 "FROM SERVER instagram INTO ig")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM ig.instagram_business_profile").fetchall()
    assert sandbox.accounts[0] in str(info.value) + str(info.value.diag.message_hint)
    a, b = sandbox.accounts[:2]
    rows = conn.execute("SELECT business_account_id FROM ig.instagram_business_profile "
                        "WHERE business_account_id IN (%s, %s) ORDER BY 1", (a, b)).fetchall()
    assert [r[0] for r in rows] == sorted([a, b])


def test_options_are_validated_at_create_time(conn, sandbox):
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE SERVER bad FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                     "BusinessAcountId '1')")
    assert "BusinessAccountId" in str(info.value) + str(info.value.diag.message_hint)
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE SERVER bad FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                     "OAuthClientSecret 's3cr3t')")
    assert "USER MAPPING" in str(info.value) + str(info.value.diag.message_hint)
    assert "s3cr3t" not in str(info.value)
    create_server(conn, sandbox, sandbox.accounts[0])
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (InitiateOAuth 'SOMETIMES')")
    assert "InitiateOAuth" in str(info.value) or "initiateoauth" in str(info.value)
    with pytest.raises(psycopg.Error) as info:   # a user may not choose where the server writes files
        conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (OAuthSettingsLocation '/tmp/x')")
    assert "SERVER" in str(info.value) + str(info.value.diag.message_hint)
    with pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE FOREIGN TABLE x (id text) SERVER instagram OPTIONS (table 'nope')")
    assert "not an ig_fdw table" in str(info.value)
    with pytest.raises(psycopg.Error):
        conn.execute("ALTER SERVER instagram OPTIONS (ADD Pagesize 'many')")


def test_explain_analyze_shows_calls_made(ig):
    ids = media_ids(ig, 60)
    plan = "\n".join(r[0] for r in ig.execute("EXPLAIN ANALYZE SELECT caption FROM ig.media WHERE id = ANY(%s)",
                                              (ids,)))
    assert "Graph: GET ?ids=<60 ids> (2 calls, 50 ids each)" in plan
    assert "Graph API: 2 calls" in plan, plan
    plain = "\n".join(r[0] for r in ig.execute("EXPLAIN SELECT caption FROM ig.media WHERE id = ANY(%s)", (ids,)))
    assert "Graph API:" not in plain


def test_empty_insights_are_null_not_zero(ig):
    small = ig.sandbox.accounts[2]          # under 100 followers: no follower counts, no demographics
    rows = ig.execute("SELECT reach, follower_count FROM ig.account_insights WHERE business_account_id = %s "
                      "AND since >= '2026-10-20' AND until < '2026-10-23'", (small,)).fetchall()
    assert rows and all(r[0] is not None and r[1] is None for r in rows)
    assert ig.execute("SELECT count(*) FROM ig.audience_insights WHERE business_account_id = %s",
                      (small,)).fetchone() == (0,)


def test_control_columns_choose_api_parameters(ig):
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT audience_group, total_audience FROM ig.audience_insights "
                      "WHERE breakdown = 'age' AND timeframe = 'last_90_days'").fetchall()
    assert rows and all(r[0] and r[1] > 0 for r in rows)
    call = [c for c in ig.sandbox.stats()["calls"] if c["path"].endswith("/insights")]
    assert len(call) == 1
    totals = ig.execute("SELECT views, reach FROM ig.account_insights WHERE metric_type = 'total_value' "
                        "AND period = 'day'").fetchall()
    assert totals and totals[0][0] is not None


def test_wrong_column_table_option_and_schema(conn, sandbox):
    create_server(conn, sandbox, sandbox.accounts[0])
    conn.execute("CREATE FOREIGN TABLE m (id text, nope int) SERVER instagram OPTIONS (table 'media')")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM m").fetchall()
    assert info.value.diag.sqlstate == "HV005" and "nope" in str(info.value)
    conn.execute("CREATE SCHEMA x")
    with pytest.raises(psycopg.Error) as info:
        conn.execute("IMPORT FOREIGN SCHEMA facebook FROM SERVER instagram INTO x")
    assert info.value.diag.sqlstate == "HV00Q"


def test_response_cache_and_clear_cache(conn, sandbox):
    create_server(conn, sandbox, sandbox.accounts[0], extra="CacheTTL '300'")
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile, clear_cache) "
                 "FROM SERVER instagram INTO ig")
    sandbox.reset_stats()
    conn.execute("SELECT username FROM ig.instagram_business_profile").fetchall()
    conn.execute("SELECT username FROM ig.instagram_business_profile").fetchall()
    assert calls(sandbox) == 1                    # the second answer came from the cache
    conn.execute("SELECT username, followers_count FROM ig.instagram_business_profile").fetchall()
    assert calls(sandbox) == 2                    # a wider query is never answered by a narrower one
    assert conn.execute("SELECT cleared FROM ig.clear_cache").fetchone()[0] >= 2
    conn.execute("SELECT username FROM ig.instagram_business_profile").fetchall()
    assert calls(sandbox) == 3


def test_type_independent_metrics_come_with_the_media_in_one_call(ig):
    ids = media_ids(ig, 5, "WHERE media_product_type IN ('FEED', 'REELS')")
    ig.sandbox.reset_stats()
    rows = ig.execute("SELECT media_id, reach, likes FROM ig.media_insights WHERE media_id = ANY(%s)",
                      (ids,)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids) and all(r[1] is not None for r in rows)
    assert calls(ig.sandbox) == 1


def test_old_media_in_the_one_call_path_gives_null_and_notice(ig):
    old = [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' "
                                    "ORDER BY timestamp LIMIT 2")]
    recent = media_ids(ig, 1, "WHERE media_product_type = 'FEED'")
    ig.notices.take()
    rows = dict(ig.execute("SELECT media_id, reach FROM ig.media_insights WHERE media_id = ANY(%s)",
                           (old + recent,)).fetchall())
    assert rows[recent[0]] is not None
    assert all(rows[i] is None for i in old)
    assert any("insights unavailable" in m for m in ig.notices.take())
