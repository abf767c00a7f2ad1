"""ig_sync through PostgreSQL and the sandbox: the state machine, the streams,
budgets, isolation of a failing account, concurrent workers and resume."""

import os
import signal
import threading
import time
from urllib.parse import unquote

import psycopg
import pytest

from ig_fdw import sync as sync_cli

HOUR = 3600
DAY = 86400


def visible_media(sb, account, since=None):
    """The sandbox's truth: ids of the account's posts visible now (since a time)."""
    now = sb.now()
    a = sb.app.world.accounts[account]
    return {m.id for m in a.media
            if not m.deleted and m.ts <= now and (since is None or m.ts >= since)}


def synced_media(db, account):
    return {r[0] for r in db.q("SELECT id FROM ig_sync.media WHERE business_account_id = %s "
                               "AND deleted_at IS NULL", (account,))}


def test_first_run_loads_last_30_days_of_every_stream(syncdb):
    db = syncdb
    a, b = db.accounts[:2]
    db.q("SELECT ig_sync.add_account(%s), ig_sync.add_account(%s)", (a, b))
    assert db.tick() == 8                       # 2 accounts x 4 streams
    start = db.sb.now()
    for acct in (a, b):
        assert synced_media(db, acct) == visible_media(db.sb, acct, since=start - 30 * DAY)
        for stream in ("media", "media_insights", "account_insights", "stories"):
            st = db.state(acct, stream)
            assert st["status"] == "idle", st
            assert st["last_error"] is None
            assert st["resume"] is None
            assert st["next_due"] > st["last_success"]
        # insights for every post of the window, except those flagged terminal
        n_ins = db.one("SELECT count(*) FROM ig_sync.media_insights WHERE business_account_id = %s", (acct,))
        n_term = db.one("SELECT count(*) FROM ig_sync.terminal WHERE business_account_id = %s "
                        "AND stream = 'media_insights'", (acct,))
        assert n_ins + n_term == len(synced_media(db, acct))
        days = db.one("SELECT count(*) FROM ig_sync.account_insights WHERE business_account_id = %s", (acct,))
        assert days >= 28
    # nothing is due right after: a second tick does no work
    assert db.tick() == 0
    # an hour later the hourly streams are due, account insights (every 6 h) not
    db.advance(HOUR)
    assert db.tick() == 6
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE stream = 'account_insights'") == 2


def test_new_posts_overlap_and_backfill_without_duplicates(syncdb):
    db = syncdb
    a = db.accounts[0]
    db.q("UPDATE ig_sync.settings SET backfill_to = '800 days'")
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    db.tick()
    cursor0 = db.state(a, "media")["cursor"]
    # two days pass: new posts appear (the sandbox posts after its clock start)
    db.advance(2 * DAY)
    for _ in range(12):                          # hourly runs until the backfill is over
        db.tick(max_calls=1000)
        db.advance(HOUR)
        if db.state(a, "media")["backfill_cursor"].timestamp() <= db.sb.now() - 800 * DAY:
            break
    st = db.state(a, "media")
    assert st["cursor"] > cursor0
    assert synced_media(db, a) == visible_media(db.sb, a)      # every post, once
    assert db.one("SELECT count(*) FROM ig_sync.media") == db.one("SELECT count(DISTINCT id) FROM ig_sync.media")
    # the incremental windows re-read one day before the cursor, never the whole history
    assert st["overlap"].days == 1


def test_terminal_flags_are_never_asked_again(syncdb):
    db = syncdb
    db.q("UPDATE ig_sync.settings SET backfill_to = '800 days'")
    for acct in db.accounts:
        db.q("SELECT ig_sync.add_account(%s)", (acct,))
    for _ in range(4):
        db.tick(max_calls=2000)
        db.advance(HOUR)
    pre = db.one("SELECT count(*) FROM ig_sync.terminal WHERE stream = 'media_insights'")
    assert pre > 0                               # pre-conversion posts (subcode 2108006)
    flagged = {r[0] for r in db.q("SELECT object_id FROM ig_sync.terminal")}
    for acct in db.accounts:
        assert not flagged & set(r[0] for r in db.q("SELECT ig_sync.due_media_insights(%s, 100000)", (acct,)))
    # they predate the business conversion in the sandbox's data
    world = db.sb.app.world
    for (mid,) in db.q("SELECT object_id FROM ig_sync.terminal WHERE stream = 'media_insights'"):
        m = world.media[mid]
        assert m.ts < world.accounts[m.owner].business_since
    # stories with fewer than 5 viewers are flagged, the others captured
    for (mid,) in db.q("SELECT object_id FROM ig_sync.terminal WHERE stream = 'stories'"):
        assert world.media[mid].viewers < 5
    assert db.one("SELECT count(*) FROM ig_sync.story_insights") > 0


def test_each_run_has_a_call_cap_per_account(syncdb):
    db = syncdb
    db.q("UPDATE ig_sync.settings SET backfill_to = '800 days'")
    for acct in db.accounts:
        db.q("SELECT ig_sync.add_account(%s)", (acct,))
    db.tick(max_calls=1000)
    db.advance(HOUR)
    first = db.one("SELECT max(id) FROM ig_sync.run_log")
    db.tick(max_calls=3)
    per_account = db.q("SELECT business_account_id, sum(units) FROM ig_sync.run_log WHERE id > %s "
                       "GROUP BY 1", (first,))
    assert per_account and all(units <= 3 for _, units in per_account), per_account
    # work left over stays scheduled (partial), it is not lost
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE id > %s AND status = 'partial'", (first,)) > 0


def test_budget_keeps_each_account_under_its_share(syncdb):
    db = syncdb
    a = db.accounts[0]
    limits = db.sb.app.limits
    limits.account_budgets[a] = 30               # a small account: 30 calls an hour
    db.q("UPDATE ig_sync.settings SET backfill_to = '800 days'")
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    for _ in range(6):
        db.tick(max_calls=1000)
        assert limits.usage_of(a) <= 80, limits.usage_of(a)
        db.advance(20 * 60)
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE status = 'throttled'") == 0
    assert db.one("SELECT usage_pct FROM ig_sync.account WHERE business_account_id = %s", (a,)) > 0
    # the budget was the limit: some runs stopped early and were rescheduled
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE status = 'partial'") > 0


def test_revoked_account_is_marked_alone(syncdb):
    db = syncdb
    a, b = db.accounts[:2]
    db.q("SELECT ig_sync.add_account(%s), ig_sync.add_account(%s)", (a, b))
    db.sb.app.world.user.accounts.remove(a)      # the user lost access to account a
    db.tick()
    acc = dict(db.q("SELECT business_account_id, status FROM ig_sync.account"))
    assert acc == {a: "needs_reauth", b: "active"}
    assert db.one("SELECT count(*) FROM ig_sync.state WHERE business_account_id = %s AND status = 'idle' "
                  "AND last_success IS NOT NULL", (b,)) == 4
    err = db.one("SELECT last_error FROM ig_sync.account WHERE business_account_id = %s", (a,))
    assert err and db.sb.user_token() not in err
    # not retried until re-authorized; then it runs again
    db.advance(HOUR)
    db.tick()
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE business_account_id = %s", (a,)) == 1
    db.sb.app.world.user.accounts.append(a)
    db.q("SELECT ig_sync.reauthorized(%s)", (a,))
    db.tick()
    assert db.one("SELECT status FROM ig_sync.account WHERE business_account_id = %s", (a,)) == "active"
    assert synced_media(db, a)


def test_throttled_account_waits_alone(syncdb):
    db = syncdb
    a, b = db.accounts[:2]
    db.q("SELECT ig_sync.add_account(%s), ig_sync.add_account(%s)", (a, b))
    db.q("UPDATE ig_sync.account SET status = 'throttled', blocked_until = ig_sync.now() + interval '30 minutes' "
         "WHERE business_account_id = %s", (a,))
    assert db.tick() == 4                        # only b's streams
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE business_account_id = %s", (a,)) == 0
    db.advance(31 * 60)
    assert db.tick() == 4                        # a's turn; b is not due yet
    assert db.one("SELECT status FROM ig_sync.account WHERE business_account_id = %s", (a,)) == "active"


def test_throttle_error_is_recorded_on_its_account(syncdb):
    db = syncdb
    a = db.accounts[0]
    db.sb.app.limits.account_budgets[a] = 1
    # someone else spent the account's budget: the first call is throttled (code 80002)
    db.sb.app.limits.record(None, [a])
    db.sb.app.limits.record(None, [a])
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    db.q("ALTER SERVER instagram OPTIONS (ADD RateLimitMaxWait '0')")
    db.tick()
    acc = db.q("SELECT status, blocked_until > ig_sync.now() FROM ig_sync.account")[0]
    assert acc == ("throttled", True)
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE status = 'throttled'") >= 1


def _throttled_calls(sb, account):
    """Calls the sandbox answered 400 about an account (its throttles, here)."""
    return [c for c in sb.stats()["calls"] if c["status"] == 400 and account in c["path"] + c.get("query", "")]


def test_third_party_throttle_of_one_account_delays_no_other(syncdb):
    """Another client spends account a's whole budget: a's next call is throttled
    (80002, back in about an hour).  ig_fdw keeps that block under a (its
    X-Business-Use-Case-Usage entry): b's streams and live queries on b go on at
    once with no wait and no error, a is not called into its block, and a is
    synced again once the block is over."""
    db = syncdb
    a, b = db.accounts[:2]
    db.q("SELECT ig_sync.add_account(%s), ig_sync.add_account(%s)", (a, b))
    db.q("ALTER SERVER instagram OPTIONS (ADD RateLimitMaxWait '0')")
    db.tick(max_calls=1000)
    db.advance(HOUR)
    limits = db.sb.app.limits
    for _ in range(limits.budget_of(a)):
        limits.record(None, [a])                 # the third party's calls
    # a's streams are the stalest: claimed first, so b runs after a's throttle
    db.q("UPDATE ig_sync.state SET last_success = last_success - interval '1 minute' "
         "WHERE business_account_id = %s", (a,))
    first = db.one("SELECT max(id) FROM ig_sync.run_log")
    db.tick()
    runs = db.q("SELECT business_account_id, status, error FROM ig_sync.run_log WHERE id > %s ORDER BY id", (first,))
    assert runs[0][0] == a and runs[0][1] == "throttled" and "(#80002)" in runs[0][2], runs
    assert [r[0] for r in runs[1:]] == [b] * 3 and {r[1] for r in runs[1:]} == {"done"}, runs
    assert db.q("SELECT status, blocked_until > ig_sync.now() FROM ig_sync.account WHERE business_account_id = %s",
                (a,)) == [("throttled", True)]
    assert db.q("SELECT status, blocked_until, last_error FROM ig_sync.account WHERE business_account_id = %s",
                (b,)) == [("active", None, None)]
    assert db.one("SELECT count(*) FROM ig_sync.state WHERE business_account_id = %s AND status = 'idle' "
                  "AND last_success = ig_sync.now() AND last_error IS NULL", (b,)) == 3   # its hourly streams
    assert len(_throttled_calls(db.sb, a)) == 1  # one call met the block, none was sent into it after
    # live queries: b at once, without waiting; a is refused without a call, naming the account
    before = db.sb.stats()["total"]
    assert db.one("SELECT count(*) FROM ig.media WHERE business_account_id = %s", (b,)) > 0
    plan = "\n".join(r[0] for r in db.q("EXPLAIN ANALYZE SELECT id FROM ig.media WHERE business_account_id = %s", (b,)))
    assert "0 throttled waits (0.0 s), paced 0.0 s" in plan, plan
    assert db.sb.stats()["total"] > before
    before = db.sb.stats()["total"]
    with pytest.raises(psycopg.errors.ConfigurationLimitExceeded, match="business account %s" % a):
        db.q("SELECT id FROM ig.media WHERE business_account_id = %s", (a,))
    assert db.sb.stats()["total"] == before
    # an hour later (sandbox clock) the block is over: a is synced again, b untouched by it
    db.advance(HOUR + 60)
    db.q("SELECT count(*) FROM ig.media WHERE business_account_id = %s", (b,))  # the backend sees the API's new time
    mark = db.one("SELECT max(id) FROM ig_sync.run_log")
    db.tick()
    assert db.q("SELECT DISTINCT status FROM ig_sync.run_log WHERE id > %s AND business_account_id = %s",
                (mark, a)) == [("done",)]
    assert db.one("SELECT status FROM ig_sync.account WHERE business_account_id = %s", (a,)) == "active"
    assert db.one("SELECT count(*) FROM ig_sync.run_log WHERE business_account_id = %s AND status <> 'done'",
                  (b,)) == 0


def test_three_day_outage_leaves_no_missing_day(syncdb):
    db = syncdb
    a = db.accounts[0]
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    db.tick()
    db.advance(3 * DAY + 5 * HOUR)               # no run for three days
    db.tick()
    days = [r[0] for r in db.q("SELECT end_time FROM ig_sync.account_insights WHERE business_account_id = %s "
                               "ORDER BY end_time", (a,))]
    gaps = [(x, y) for x, y in zip(days, days[1:]) if (y - x).total_seconds() != DAY]
    assert not gaps, gaps
    assert days[-1].timestamp() >= db.sb.now() - 2 * DAY
    start = db.state(a, "media")["cursor"].timestamp() - 30 * DAY
    assert visible_media(db.sb, a, since=db.sb.now() - 3 * DAY) <= synced_media(db, a)


def test_workers_side_by_side_claim_each_job_once(syncdb):
    db = syncdb
    for acct in db.accounts:
        db.q("SELECT ig_sync.add_account(%s)", (acct,))
    runs, errors = sync_cli.run_workers(db.dsn, workers=3, max_calls=100, max_seconds=300)
    assert errors == []
    assert runs == 4 * len(db.accounts)
    dup = db.q("SELECT business_account_id, stream, count(*) FROM ig_sync.run_log GROUP BY 1, 2 HAVING count(*) > 1")
    assert dup == []
    assert db.one("SELECT count(*) FROM ig_sync.state WHERE status <> 'idle'") == 0


def test_kill_9_mid_run_replays_at_most_one_page(syncdb, cron_cluster):
    db = syncdb
    a = max(db.accounts, key=lambda x: len(db.sb.app.world.accounts[x].media))
    db.q("UPDATE ig_sync.settings SET first_sync = '700 days'")   # a long first load: many windows
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    db.q("DELETE FROM ig_sync.state WHERE stream <> 'media'")
    db.sb.app.latency_ms = 300
    db.sb.reset_stats()
    worker = threading.Thread(target=lambda: _tick_ignoring_crash(db.dsn))
    worker.start()
    pid = None
    for _ in range(600):
        row = db.q("SELECT claimed_by, (SELECT pages FROM ig_sync.run_log ORDER BY id DESC LIMIT 1) "
                   "FROM ig_sync.state WHERE stream = 'media'")[0]
        if row[0] and (row[1] or 0) >= 2:
            pid = row[0]
            break
        time.sleep(0.05)
    assert pid, "the worker never got two windows in"
    os.kill(pid, signal.SIGKILL)                 # the backend running the worker; the cluster restarts
    worker.join()
    db.sb.app.latency_ms = 0
    conn = _reconnect(db)
    for _ in range(200):      # a request the killed backend had sent is answered (and counted) on its own time
        if db.sb.stats()["in_flight"] == 0:
            break
        time.sleep(0.05)
    pages_before = conn.execute("SELECT pages FROM ig_sync.run_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    listed_before = _media_list_calls(db.sb)
    assert listed_before <= pages_before + 1     # at most one page was fetched and not checkpointed
    conn.execute("CALL ig_sync.tick(1000, 600, NULL)")
    pages_after = conn.execute("SELECT pages FROM ig_sync.run_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert _media_list_calls(db.sb) - listed_before == pages_after
    # the killed claim was taken over; the data is whole, without duplicates
    st = conn.execute("SELECT status, resume FROM ig_sync.state WHERE stream = 'media'").fetchone()
    assert st == ("idle", None)
    ids = [r[0] for r in conn.execute("SELECT id FROM ig_sync.media").fetchall()]
    assert len(ids) == len(set(ids))
    assert set(ids) == visible_media(db.sb, a, since=db.sb.now() - 700 * DAY)


def _tick_ignoring_crash(dsn):
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CALL ig_sync.tick(1000, 600, NULL)")
    except psycopg.Error:
        pass


def _reconnect(db):
    """After the postmaster's crash restart: a connection that works."""
    for _ in range(300):                 # first the old connection must have been cut
        try:
            db.conn.execute("SELECT 1")
            time.sleep(0.1)
        except psycopg.Error:
            break
    for _ in range(300):
        try:
            conn = psycopg.connect(db.dsn, autocommit=True)
            conn.execute("SELECT 1")
            db.conn = conn
            return conn
        except psycopg.Error:
            time.sleep(0.1)
    raise AssertionError("the cluster did not come back after the crash")


def _media_list_calls(sb):
    """Account media edge calls the sandbox answered (one per page): the media edge, or the account node
    with its first page of media (a media read in full starts there: ig_fdw/windows.py)."""
    stats = sb.stats()
    heads = sum(1 for c in stats["calls"] if c.get("template") == "GET /{ig-user-id}"
                and "media." in unquote(c.get("query", "")))
    return stats["by_endpoint"].get("GET /{ig-user-id}/media", 0) + heads


def test_pg_cron_runs_the_tick(syncdb, cron_cluster):
    db = syncdb
    a = db.accounts[0]
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    with psycopg.connect(cron_cluster.dsn(), autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        job = pg.execute("SELECT cron.schedule_in_database('ig_sync_test', '* * * * *', "
                         "'CALL ig_sync.tick(100, 50)', %s)", (db.name,)).fetchone()[0]
        try:
            for _ in range(150):                 # pg_cron starts jobs on the minute
                if db.one("SELECT count(*) FROM ig_sync.state WHERE last_success IS NOT NULL") == 4:
                    break
                time.sleep(1)
            assert db.one("SELECT count(*) FROM ig_sync.state WHERE last_success IS NOT NULL") == 4
            assert synced_media(db, a)
            status = pg.execute("SELECT status FROM cron.job_run_details WHERE jobid = %s", (job,)).fetchall()
            assert status and status[0][0] in ("running", "succeeded")
        finally:
            pg.execute("SELECT cron.unschedule(%s)", (job,))


def test_add_account_rejects_what_is_not_an_id(syncdb):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="not an Instagram business account id"):
        syncdb.q("SELECT ig_sync.add_account('17841/../me')")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="must be positive"):
        syncdb.q("CALL ig_sync.tick(0, 10, NULL)")


def test_weekly_reconcile_marks_deleted_posts(syncdb):
    db = syncdb
    a = db.accounts[0]
    db.q("SELECT ig_sync.add_account(%s)", (a,))
    db.tick()
    gone = sorted(synced_media(db, a))[0]
    db.sb.app.world.media[gone].deleted = True       # deleted on Instagram
    db.advance(HOUR)
    db.tick()                                        # second run: the first reconcile
    assert db.one("SELECT deleted_at IS NOT NULL FROM ig_sync.media WHERE id = %s", (gone,))
    assert gone not in synced_media(db, a)
    assert synced_media(db, a) <= visible_media(db.sb, a)   # nothing else marked, nothing invented
    first = db.state(a, "media")["last_reconcile"]
    db.advance(HOUR)
    db.tick()
    assert db.state(a, "media")["last_reconcile"] == first     # weekly, not every run
    db.advance(7 * DAY)
    db.tick()
    assert db.state(a, "media")["last_reconcile"] > first


def test_cli_install_add_run_status(syncdb, capsys):
    from ig_fdw.cli import main
    db = syncdb
    a = db.accounts[0]
    assert main(["sync", "--dsn", db.dsn, "--install", "--source-schema", "ig"]) == 0
    assert main(["sync", "--dsn", db.dsn, "--add-account", a]) == 0
    assert main(["sync", "--dsn", db.dsn, "--workers", "2", "--max-calls", "50", "--max-seconds", "120"]) == 0
    assert "4 (account, stream) runs by 2 worker(s)" in capsys.readouterr().out
    assert main(["sync", "--dsn", db.dsn, "--status"]) == 0
    out = capsys.readouterr().out
    assert a in out and "active" in out
    assert main(["sync"]) == 2
    # an account with its own schema of foreign tables (its Instagram Login server); a wrong one is refused
    b = db.accounts[1]
    assert main(["sync", "--dsn", db.dsn, "--add-account", b, "--account-schema", "nowhere"]) == 2
    assert 'schema "nowhere" has no foreign table "media"' in capsys.readouterr().err
    assert main(["sync", "--dsn", db.dsn, "--add-account", b, "--account-schema", "ig"]) == 0
    assert db.one("SELECT source_schema FROM ig_sync.account WHERE business_account_id = %s", (b,)) == "ig"
    assert main(["sync", "--dsn", db.dsn, "--account-schema", "ig"]) == 2


# -- accounts reached by their own Instagram Login token ------------------------------
def ig_login_server(db, account, name):
    """A server for one account with its own Instagram Login token (the
    graph.instagram.com flavour: the sandbox's /ig host), its foreign tables
    imported into a schema of the same name."""
    from tests.conftest import remember_secret
    sb = db.sb
    token = sb.mint_token("ig_long", user=account)
    remember_secret(token)
    remember_secret(sb.ig_app_secret)
    db.q("CREATE SERVER %s FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
         "Login 'instagram', ig_graph_url '%s/ig', ig_api_url '%s/ig', OAuthClientId '%s', RateLimitMaxWait '0')"
         % (name, sb.url, sb.url, sb.ig_app_id))
    db.q("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (InitiateOAuth 'OFF', OAuthAccessToken '%s', "
         "OAuthClientSecret '%s')" % (name, token, sb.ig_app_secret))
    db.q("CREATE SCHEMA %s" % name)
    db.q("IMPORT FOREIGN SCHEMA instagram FROM SERVER %s INTO %s" % (name, name))
    return token


def test_instagram_login_accounts_sync_beside_facebook_login_ones(syncdb):
    """Agency accounts reached by their own Instagram Login tokens (each its own
    server and schema: ig_sync.account.source_schema) sync like the accounts of
    the agency's Facebook user, side by side in one tick; their calls go to the
    Instagram host with their own token, and one's expired token marks it alone."""
    db = syncdb
    a, b, c = db.accounts[:3]
    for acct in (b, c):
        db.sb.app.world.user.accounts.remove(acct)   # not reachable by the Facebook user: Instagram Login only
    tok_b = ig_login_server(db, b, "igl_b")
    ig_login_server(db, c, "igl_c")
    db.q("SELECT ig_sync.add_account(%s), ig_sync.add_account(%s, 'igl_b'), ig_sync.add_account(%s, 'igl_c')",
         (a, b, c))
    with pytest.raises(psycopg.errors.InvalidSchemaName, match="IMPORT FOREIGN SCHEMA"):
        db.q("SELECT ig_sync.add_account(%s, 'nowhere')", (b,))
    db.sb.reset_stats()
    assert db.tick() == 12                               # 3 accounts x 4 streams
    start = db.sb.now()
    for acct in (a, b, c):
        assert synced_media(db, acct) == visible_media(db.sb, acct, since=start - 30 * DAY)
        assert db.one("SELECT count(*) FROM ig_sync.state WHERE business_account_id = %s AND status = 'idle' "
                      "AND last_error IS NULL AND last_success = ig_sync.now()", (acct,)) == 4
        assert db.one("SELECT count(*) FROM ig_sync.account_insights WHERE business_account_id = %s", (acct,)) >= 28
        n_ins = db.one("SELECT count(*) FROM ig_sync.media_insights WHERE business_account_id = %s", (acct,))
        n_term = db.one("SELECT count(*) FROM ig_sync.terminal WHERE business_account_id = %s "
                        "AND stream = 'media_insights'", (acct,))
        assert n_ins + n_term == len(synced_media(db, acct))
    calls = db.sb.stats()["calls"]
    assert any(x["path"].startswith("/ig/") and b in x["path"] for x in calls)     # the Instagram host
    assert not any(x["path"].startswith("/ig/") and a in x["path"] for x in calls)
    assert not any(not x["path"].startswith("/ig/") and (b in x["path"] or c in x["path"]) for x in calls)
    assert db.one("SELECT usage_pct FROM ig_sync.account WHERE business_account_id = %s", (b,)) is not None
    # b's token is revoked: b alone needs re-authorization, a and c go on
    db.sb.app.tokens.tokens.pop(tok_b)
    db.advance(HOUR)
    db.tick()
    acc = dict(db.q("SELECT business_account_id, status FROM ig_sync.account"))
    assert acc == {a: "active", b: "needs_reauth", c: "active"}, acc
    assert db.one("SELECT count(*) FROM ig_sync.state WHERE business_account_id IN (%s, %s) "
                  "AND last_success = ig_sync.now() AND last_error IS NULL", (a, c)) == 6   # the hourly streams
