"""Round trips per query at API latency, against the fewest the API allows.

At 100-300 ms per Graph API answer, what a user waits for is the number of
*sequential* round trips.  This runs a few joins of local tables with
Instagram tables (and two plain reads for scale) through a throwaway
PostgreSQL against the sandbox answering every request after --latency-ms,
and prints per query:

  calls      HTTP requests the sandbox answered (a batch request counts once)
  rounds     round trips: times the requests in flight went from 0 to 1
  inflight   most requests in flight at once
  wall       the query's wall time through PostgreSQL
  min        the fewest calls / rounds, and rounds x latency as the least wall
             time (derivation below)

Each query runs twice: "ordinary" with `multicorn.enable_key_join = off`
(PostgreSQL's plans, as multicorn2 and the runtime before the key join plan
them: ig_fdw gives no get_call_estimate, so the costs are the old ones),
then "key join" with the runtime's key join on.  Both must return the same
rows (checked).

Minimum derivation: ig_fdw reads nodes by id 50 to a call (`ids=`, with
`insights.metric(...)` field expansion for metrics every media type has)
and first pages of up to 50 parents in one batch request, so k keys need
ceil(k / 50) calls; with MaxConcurrency 4 those can all be in flight
together, so ceil(calls / 4) rounds; the least wall time is that many
rounds times the latency (the sandbox's own work and PostgreSQL's are
left out, so no query reaches exactly 1.0x).

    .venv/bin/python bench/latency.py [--latency-ms 150] [--no-build]
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402

from ig_fdw.sandbox import Sandbox  # noqa: E402
from tests.pg import Cluster, build_runtime  # noqa: E402
from bench.queries import setup  # noqa: E402  (the same server, mapping and schema)

CONCURRENCY = 4     # ig_fdw's MaxConcurrency default
PER_CALL = 50       # ids per ids= call, items per batch request


def local_table(conn, name, ids, analyze=True):
    conn.execute("CREATE TABLE %s (media_id text, note text)" % name)
    conn.execute("INSERT INTO %s SELECT unnest(%%s::text[]), 'x'" % name, (ids,))
    if analyze:
        conn.execute("ANALYZE %s" % name)


def by_keys(k):
    """(calls, rounds) at least, for k keys read 50 to a call, CONCURRENCY in flight."""
    calls = math.ceil(k / PER_CALL)
    return calls, math.ceil(calls / CONCURRENCY)


def suite(conn):
    """(label, sql, minimum calls, minimum rounds) — local tables made from the data first."""
    feed = [r[0] for r in conn.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' LIMIT 80")]
    quiet = [r[0] for r in conn.execute("SELECT id FROM ig.media WHERE comments_count BETWEEN 1 AND 20 "
                                        "LIMIT 30")]
    many = [r[0] for r in conn.execute("SELECT id FROM ig.media LIMIT 200")]
    local_table(conn, "campaign", feed)                     # 80 posts of a campaign
    local_table(conn, "to_moderate", quiet)                 # 30 posts to read the comments of
    local_table(conn, "archive", many, analyze=False)       # 200 ids, never ANALYZEd
    return [
        ("10 newest media", "SELECT id, caption FROM ig.media ORDER BY timestamp DESC LIMIT 10", 1, 1),
        ("profile", "SELECT username, followers_count FROM ig.instagram_business_profile", 1, 1),
        ("campaign(80) JOIN media", "SELECT c.media_id, m.like_count FROM campaign c "
         "JOIN ig.media m ON m.id = c.media_id", *by_keys(len(feed))),
        ("reach of campaign(80)", "SELECT c.media_id, i.reach FROM campaign c "
         "JOIN ig.media_insights i ON i.media_id = c.media_id", *by_keys(len(feed))),
        ("comments of to_moderate(30)", "SELECT t.media_id, k.text FROM to_moderate t "
         "JOIN ig.comments k ON k.media_id = t.media_id", *by_keys(len(quiet))),
        ("likes IN (archive(200))", "SELECT m.id, m.like_count FROM ig.media m "
         "WHERE m.id IN (SELECT media_id FROM archive)", *by_keys(len(many))),
    ]


def run(conn, sb, sql):
    sb.reset_stats()
    t0 = time.perf_counter()
    rows = conn.execute(sql).fetchall()
    wall = time.perf_counter() - t0
    st = sb.stats()
    return sorted(rows, key=repr), st["total"], st["rounds"], st["max_in_flight"], wall


def full_scans(conn, sb, lat):
    """All media of one account and of two, paged in turn (MaxConcurrency 1) and in since/until windows side
    by side (MaxConcurrency 4, ig_fdw.windows).  Minimum: every page once (100 media a page), in 2 rounds
    (the first page, then the rest side by side); least wall = 2 x latency."""
    a, b = sb.accounts[:2]
    scans = [("all media of 1 account", "SELECT id, caption, timestamp FROM ig.media WHERE business_account_id = "
              "'%s'" % a),
             ("all media of 2 accounts", "SELECT id, caption, timestamp FROM ig.media WHERE business_account_id "
              "IN ('%s', '%s')" % (a, b))]
    print()
    print("full media scans; minimum calls = pages of 100, minimum rounds = 2, least wall = 2 x latency")
    print("%-28s %-9s %6s %6s %8s %8s   %9s %8s %7s" % (
        "query", "plan", "calls", "rounds", "inflight", "wall s", "min c/r", "least s", "x least"))
    for label, sql in scans:
        results = []
        for plan, concurrency in (("in turn", 1), ("windows", CONCURRENCY)):
            conn.execute("ALTER SERVER instagram OPTIONS (ADD MaxConcurrency '%d')" % concurrency)
            try:
                rows, calls, rounds, inflight, wall = run(conn, sb, sql)
            finally:
                conn.execute("ALTER SERVER instagram OPTIONS (DROP MaxConcurrency)")
            results.append(rows)
            pages = math.ceil(len(rows) / 100.0) if label.endswith("1 account") else \
                sum(math.ceil(n / 100.0) for n in count_by_account(rows, conn, a, b))
            print("%-28s %-9s %6d %6d %8d %8.2f   %4d/%-4d %8.2f %6.1fx" % (
                label if plan == "in turn" else "", plan, calls, rounds, inflight, wall,
                pages, 2, 2 * lat, wall / (2 * lat)))
        if results[0] != results[1]:
            print("  !! %s: the two reads returned different rows" % label)
            sys.exit(1)


def count_by_account(rows, conn, a, b):
    """Media of each account (pages are per account)."""
    return [conn.execute("SELECT media_count FROM ig.instagram_business_profile WHERE business_account_id = %s",
                         (acct,)).fetchone()[0] for acct in (a, b)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build_runtime()
    cluster = Cluster(settings={"jit": "off"})
    lat = args.latency_ms / 1000.0
    try:
        cluster.start()
        with Sandbox(seed=1, port=0, budget_per_hour=10 ** 7) as sb, \
                psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            setup(conn, sb)
            queries = suite(conn)
            sb.app.latency_ms = args.latency_ms     # set-up at full speed; the queries at latency
            print("latency %.0f ms; minimum rounds = ceil(ceil(keys / %d) / %d); least wall = rounds x latency"
                  % (args.latency_ms, PER_CALL, CONCURRENCY))
            print("%-28s %-9s %6s %6s %8s %8s   %9s %8s %7s" % (
                "query", "plan", "calls", "rounds", "inflight", "wall s", "min c/r", "least s", "x least"))
            totals = {"ordinary": 0.0, "key join": 0.0}
            least_total = 0.0
            for label, sql, min_calls, min_rounds in queries:
                results = []
                least = min_rounds * lat
                least_total += least
                for plan, setting in (("ordinary", "off"), ("key join", "on")):
                    conn.execute("SET multicorn.enable_key_join = %s" % setting)
                    rows, calls, rounds, inflight, wall = run(conn, sb, sql)
                    results.append(rows)
                    totals[plan] += wall
                    print("%-28s %-9s %6d %6d %8d %8.2f   %4d/%-4d %8.2f %6.1fx" % (
                        label if plan == "ordinary" else "", plan, calls, rounds, inflight, wall,
                        min_calls, min_rounds, least, wall / least))
                if results[0] != results[1]:
                    print("  !! %s: the two plans returned different rows" % label)
                    sys.exit(1)
            print("total wall: ordinary %.2f s, key join %.2f s, least %.2f s" % (
                totals["ordinary"], totals["key join"], least_total))
            full_scans(conn, sb, lat)
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
