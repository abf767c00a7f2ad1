"""HTTP calls per query against the minimum the query needs, and scan speed.

Runs a fixed suite of queries through a throwaway PostgreSQL against the
sandbox and prints, per query, the Graph API calls made (sandbox stats: HTTP
requests; a batch call counts once) next to the fewest calls that query can
be answered with, then the rows/s of a full media scan.

    .venv/bin/python bench/queries.py [--latency-ms 0] [--no-build]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402

from ig_fdw.sandbox import Sandbox  # noqa: E402
from tests.pg import Cluster, build_runtime  # noqa: E402


def setup(conn, sb):
    conn.execute("CREATE EXTENSION multicorn")
    conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s')" % (sb.url, sb.app_id, sb.accounts[0]))
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
                 "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (sb.user_token(), sb.app_secret))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")


def suite(conn):
    """(label, sql, minimum calls, why) — ids picked from the data first."""
    ids = [r[0] for r in conn.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' LIMIT 120")]
    busy = conn.execute("SELECT id FROM ig.media WHERE comments_count BETWEEN 5 AND 20 LIMIT 60").fetchall()
    busy = [r[0] for r in busy]
    conn.execute("CREATE TABLE my_posts AS SELECT unnest(%s::text[]) AS media_id", (ids[:3],))
    conn.execute("ANALYZE my_posts")
    in5 = ",".join("'%s'" % i for i in ids[:5])
    in120 = ",".join("'%s'" % i for i in ids)
    in60 = ",".join("'%s'" % i for i in busy)
    return [
        ("profile", "SELECT * FROM ig.instagram_business_profile", 1, "one node read"),
        ("10 newest media", "SELECT * FROM ig.media ORDER BY timestamp DESC LIMIT 10", 1, "one page"),
        ("media by 5 ids", "SELECT * FROM ig.ig_media WHERE id IN (%s)" % in5, 1, "one ids= read"),
        ("media by 120 ids", "SELECT * FROM ig.ig_media WHERE id IN (%s)" % in120, 3, "ids= takes 50"),
        ("two weeks of media", "SELECT * FROM ig.media WHERE timestamp >= '2026-10-01' AND timestamp < '2026-10-15'",
         1, "since/until, one page"),
        ("comments of 1 media", "SELECT * FROM ig.comments WHERE media_id = '%s'" % busy[0], 1, "one page"),
        ("comments of 60 media", "SELECT * FROM ig.comments WHERE media_id IN (%s)" % in60, 2,
         "first pages 50 a call (?ids= with comments expanded)"),
        ("all insights of 1 media", "SELECT * FROM ig.media_insights WHERE media_id = '%s'" % ids[0], 2,
         "media type first (the metric set depends on it), then insights"),
        ("all insights of 120 media", "SELECT * FROM ig.media_insights WHERE media_id IN (%s)" % in120, 6,
         "3 ids= reads for types + 3 batches"),
        ("reach+likes of 1 media", "SELECT reach, likes FROM ig.media_insights WHERE media_id = '%s'" % ids[0], 1,
         "metrics valid for every type: type and insights in one ids= call"),
        ("reach+likes of 120 media", "SELECT reach, likes FROM ig.media_insights WHERE media_id IN (%s)" % in120,
         3, "ids= with insights expansion, 50 a call"),
        ("local join, 3 media", "SELECT p.media_id, i.reach, i.likes FROM my_posts p "
         "JOIN ig.media_insights i ON i.media_id = p.media_id",
         1, "the runtime's key join: one ids= call for the 3 ids (a nested loop: one call each)"),
        ("account insights, a week", "SELECT * FROM ig.account_insights WHERE since >= '2026-10-20' "
         "AND until < '2026-10-27'", 1, "one insights call"),
        ("audience by country", "SELECT * FROM ig.audience_insights", 1, "one insights call"),
        ("stories", "SELECT * FROM ig.stories", 1, "one page"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build_runtime()
    cluster = Cluster(settings={"jit": "off"})
    try:
        cluster.start()
        with Sandbox(seed=1, port=0, latency_ms=args.latency_ms, budget_per_hour=10 ** 7) as sb, \
                psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            setup(conn, sb)
            print("%-26s %6s %8s  %s" % ("query", "calls", "minimum", "why"))
            worse = 0
            for label, sql, minimum, why in suite(conn):
                sb.reset_stats()
                conn.execute(sql).fetchall()
                made = sb.stats()["total"]
                worse += made > minimum
                print("%-26s %6d %8d  %s" % (label, made, minimum, why))
            print("queries above their minimum: %d" % worse)
            a, b = sb.accounts[:2]
            sql = "SELECT * FROM ig.media WHERE business_account_id IN ('%s', '%s')" % (a, b)
            best = None
            for _ in range(3):
                sb.reset_stats()
                t0 = time.perf_counter()
                n = len(conn.execute(sql).fetchall())
                elapsed = time.perf_counter() - t0
                best = elapsed if best is None else min(best, elapsed)
            print("full media scan: %d rows (all media of both seeded accounts), %d calls, %.2f s, %.0f rows/s"
                  % (n, sb.stats()["total"], best, n / best))
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
