"""Figures of issue 18 (docs/sync.md), measured on the sandbox:

1. first load: N agency accounts (default 500), the last 30 days of every
   stream, at --latency-ms (default 100) per API call, K workers;
2. warm-up: hourly runs until the media backfill and the first insights of
   every backfilled post are done (sandbox clock);
3. a simulated 24 h of hourly runs (sandbox clock): BUC units per account per
   run and per day (1,000-post accounts apart), throttles, the highest share of
   any account's budget, freshness of post insights (<= 10 days old), of daily
   account insights, and stories captured before expiry.  One account is
   revoked and one is throttled by a third party during the day, to show they
   add no staleness to the others.

    PG_CONFIG=... .venv/bin/python bench/sync.py [--accounts 500] [--sim-accounts 100]

Runs a throwaway cluster and an in-process sandbox; prints one JSON document.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402

from ig_fdw import sync as ig_sync  # noqa: E402
from ig_fdw.sandbox import Sandbox  # noqa: E402
from tests.pg import Cluster, build_runtime  # noqa: E402

HOUR = 3600
DAY = 86400


def setup_db(cluster, name, sb, accounts):
    with psycopg.connect(cluster.dsn(), autocommit=True) as c:
        c.execute("CREATE DATABASE %s" % name)
    conn = psycopg.connect(cluster.dsn(name), autocommit=True)
    conn.execute("CREATE EXTENSION multicorn")
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', RateLimitMaxWait '0')" % (sb.url, sb.app_id))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
                 "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (sb.user_token(), sb.app_secret))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")
    conn.execute(ig_sync.schema_sql())
    conn.execute("UPDATE ig_sync.settings SET source_schema = 'ig', clock = to_timestamp(%s)", (sb.now(),))
    for a in accounts:
        conn.execute("SELECT ig_sync.add_account(%s)", (a,))
    return conn


def run_pass(dsn, workers, max_calls, max_seconds=3600):
    runs, errors = ig_sync.run_workers(dsn, workers, max_calls, max_seconds)
    if errors:
        raise SystemExit("worker errors: %s" % errors[:3])
    return runs


def first_load(cluster, args):
    t0 = time.monotonic()
    sb = Sandbox(seed=11, accounts=args.accounts, latency_ms=args.latency_ms, budget_per_hour=200).start()
    seeded = time.monotonic() - t0
    try:
        conn = setup_db(cluster, "firstload", sb, sb.agency_accounts)
        dsn = cluster.dsn("firstload")
        t1 = time.monotonic()
        runs = run_pass(dsn, args.workers, args.max_calls)
        elapsed = time.monotonic() - t1
        never = conn.execute("SELECT count(*) FROM ig_sync.state WHERE last_success IS NULL").fetchone()[0]
        calls = conn.execute("SELECT sum(calls), sum(units) FROM ig_sync.run_log").fetchone()
        media = conn.execute("SELECT count(*) FROM ig_sync.media").fetchone()[0]
        expected = sum(1 for a in sb.agency_accounts for m in sb.app.world.accounts[a].media
                       if sb.now() - 30 * DAY <= m.ts <= sb.now())
        conn.close()
        return {"accounts": args.accounts, "latency_ms": args.latency_ms, "workers": args.workers,
                "seconds": round(elapsed, 1), "sandbox_seed_seconds": round(seeded, 1), "runs": runs,
                "streams_never_synced": never, "http_calls": calls[0], "buc_units": calls[1],
                "media_rows": media, "media_expected_last_30_days": expected}
    finally:
        sb.stop()


def freshness(conn, sb, now):
    """p95 staleness (hours) of insights of posts <= 10 days old (unsynced posts count from creation)."""
    rows = conn.execute(
        "SELECT extract(epoch FROM to_timestamp(%s) - coalesce(i.synced_at, m.\"timestamp\")) / 3600 "
        "FROM ig_sync.media m LEFT JOIN ig_sync.media_insights i ON i.media_id = m.id "
        "WHERE m.\"timestamp\" > to_timestamp(%s) - interval '10 days' "
        "AND NOT EXISTS (SELECT 1 FROM ig_sync.terminal t WHERE t.object_id = m.id) "
        "AND m.business_account_id <> ALL (%s)", (now, now, list(sb.excluded))).fetchall()
    # posts the sync has not even listed yet are stale since they were posted
    listed = {r[0] for r in conn.execute("SELECT id FROM ig_sync.media").fetchall()}
    unlisted = [(now - m.ts) / 3600.0 for a in sb.included for m in sb.app.world.accounts[a].media
                if now - 10 * DAY < m.ts <= now and m.id not in listed]
    vals = sorted([float(r[0]) for r in rows] + unlisted)
    return vals[int(0.95 * (len(vals) - 1))] if vals else 0.0


def simulate_day(cluster, args):
    sb = Sandbox(seed=12, accounts=args.sim_accounts, latency_ms=0, budget_per_hour=200).start()
    try:
        accounts = sb.agency_accounts
        conn = setup_db(cluster, "day", sb, accounts)
        dsn = cluster.dsn("day")
        limits = sb.app.limits
        revoked, throttled = accounts[0], accounts[1]
        sb.excluded = {revoked, throttled}
        sb.included = [a for a in accounts if a not in sb.excluded]

        def advance():
            sb.advance_clock(HOUR)
            conn.execute("UPDATE ig_sync.settings SET clock = to_timestamp(%s)", (sb.now(),))

        def hour(max_calls):
            advance()
            return run_pass(dsn, args.workers, max_calls)

        # first load and warm-up (backfill of media and of their insights)
        run_pass(dsn, args.workers, args.max_calls)
        warm = 0
        for warm in range(1, 49):
            hour(args.max_calls)
            left = conn.execute(
                "SELECT (SELECT count(*) FROM ig_sync.state WHERE stream = 'media' AND (resume IS NOT NULL OR "
                "backfill_cursor > ig_sync.now() - (SELECT backfill_to FROM ig_sync.settings))) + "
                "(SELECT count(*) FROM ig_sync.account a, ig_sync.due_media_insights(a.business_account_id, 1))"
            ).fetchone()[0]
            if left == 0:
                break
        # the measured day
        start_id = conn.execute("SELECT coalesce(max(id), 0) FROM ig_sync.run_log").fetchone()[0]
        day_start = sb.now()
        max_usage = {}
        fresh = []
        acct_stale = []
        sampler_stop = threading.Event()

        def sample_usage():
            while not sampler_stop.is_set():
                for a in accounts:
                    if a != throttled:
                        max_usage[a] = max(max_usage.get(a, 0), limits.usage_of(a))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample_usage, daemon=True)
        sampler.start()
        for h in range(24):
            advance()
            if h == 3:
                sb.app.world.user.accounts.remove(revoked)          # the client revoked the agency
            if h == 5 and args.third_party_throttle:
                limits.account_budgets[throttled] = 5              # someone else eats its budget
                for _ in range(10):
                    limits.record(None, [throttled])
            fresh.append(freshness(conn, sb, sb.now()))            # just before the hourly run: the worst
            run_pass(dsn, args.workers, args.steady_max_calls)
            acct_stale.append(conn.execute(
                "SELECT max(extract(epoch FROM ig_sync.now() - last_success)) / 3600 FROM ig_sync.state "
                "WHERE stream = 'account_insights' AND business_account_id <> ALL (%s)",
                (list(sb.excluded),)).fetchone()[0])
        sampler_stop.set()
        sampler.join()
        end = sb.now()
        per_run = conn.execute(
            "SELECT business_account_id, date_trunc('hour', started_at), sum(units), sum(calls) "
            "FROM ig_sync.run_log WHERE id > %s GROUP BY 1, 2", (start_id,)).fetchall()
        units_run = [r[2] for r in per_run if r[0] not in sb.excluded]
        per_day = {}
        for r in per_run:
            per_day[r[0]] = per_day.get(r[0], 0) + r[2]
        big = [a for a in sb.included if len(sb.app.world.accounts[a].media) >= 950]
        big_set = set(big)
        units_run_big = [r[2] for r in per_run if r[0] in big_set]
        throttles = conn.execute("SELECT count(*) FROM ig_sync.run_log WHERE id > %s AND status = 'throttled'",
                                 (start_id,)).fetchone()[0]
        throttles_others = conn.execute(
            "SELECT count(*) FROM ig_sync.run_log WHERE id > %s AND status = 'throttled' "
            "AND business_account_id <> %s", (start_id, throttled)).fetchone()[0]
        # stories with >= 5 viewers that expired during the day, captured or not
        captured = {r[0] for r in conn.execute("SELECT media_id FROM ig_sync.story_insights").fetchall()}
        expired = [m for a in sb.included for m in sb.app.world.accounts[a].stories
                   if (m.viewers or 0) >= 5 and day_start <= m.ts + DAY <= end]
        states = dict(conn.execute("SELECT business_account_id, status FROM ig_sync.account "
                                   "WHERE business_account_id IN (%s, %s)", (revoked, throttled)).fetchall())
        conn.close()
        return {
            "accounts": len(accounts), "warmup_hours": warm,
            "units_per_account_per_run_median": statistics.median(units_run),
            "units_per_account_per_run_p95": sorted(units_run)[int(0.95 * (len(units_run) - 1))],
            "units_per_account_per_run_median_1000_posts": statistics.median(units_run_big) if big else None,
            "units_per_account_per_day_max_1000_posts": max(per_day.get(a, 0) for a in big) if big else None,
            "units_per_account_per_day_median": statistics.median(per_day.get(a, 0) for a in sb.included),
            "accounts_with_1000_posts": len(big),
            "throttled_runs": throttles, "throttled_runs_other_accounts": throttles_others,
            "max_budget_share_pct_other_accounts": max(max_usage.values()) if max_usage else None,
            "post_insights_staleness_p95_hours_max_over_day": round(max(fresh), 2),
            "post_insights_staleness_p95_hours_by_hour": [round(x, 2) for x in fresh],
            "account_insights_staleness_hours_max": round(max(acct_stale), 2),
            "stories_expired_with_5_viewers": len(expired),
            "stories_captured_pct": round(100.0 * sum(1 for m in expired if m.id in captured) / len(expired), 2)
            if expired else None,
            "revoked_and_throttled_accounts": states,
        }
    finally:
        sb.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--accounts", type=int, default=500)
    p.add_argument("--sim-accounts", type=int, default=100, help="accounts of the simulated day")
    p.add_argument("--latency-ms", type=float, default=100)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--max-calls", type=int, default=400, help="per account per run, first load and warm-up")
    p.add_argument("--steady-max-calls", type=int, default=100, help="per account per run, the measured day")
    p.add_argument("--third-party-throttle", action="store_true",
                   help="at hour 5 another client spends one account's budget (it gets throttled)")
    p.add_argument("--skip-first-load", action="store_true")
    p.add_argument("--skip-day", action="store_true")
    args = p.parse_args()
    build_runtime()
    cluster = Cluster(settings={"jit": "off", "max_connections": "100"})
    cluster.start()
    out = {}
    try:
        if not args.skip_first_load:
            out["first_load"] = first_load(cluster, args)
            print(json.dumps(out, indent=1, default=str), flush=True)
        if not args.skip_day:
            out["day"] = simulate_day(cluster, args)
    finally:
        cluster.cleanup()
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
