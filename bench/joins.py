"""Joins of two Instagram tables under three plans, at API latency.

Runs media JOIN media_insights / comments through a throwaway PostgreSQL
against the sandbox (answering every request after --latency-ms) and prints,
per query and plan, the sandbox's calls, rounds (times the requests in flight
went from 0 to 1), most requests in flight, the wall time and the rows:

  multicorn2   multicorn.enable_key_join = off, multicorn.enable_join_pushdown = off
               (PostgreSQL's own plans, as on upstream multicorn2)
  key join     the runtime's key join, no join pushdown
  pushed       join pushdown on (ig_fdw.joins: one stream of the media pages)

The three must return the same rows (checked).  "Now" is the sandbox's clock.

    PG_CONFIG=... .venv/bin/python bench/joins.py [--latency-ms 50] [--no-build]
"""

import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402

from ig_fdw.sandbox import Sandbox  # noqa: E402
from tests.pg import Cluster, build_runtime  # noqa: E402
from bench.queries import setup  # noqa: E402  (the same server, mapping and schema)

PLANS = (("multicorn2", "off", "off"), ("key join", "on", "off"), ("pushed", "on", "on"))


def queries(sb):
    def ago(days):
        t = datetime.datetime.fromtimestamp(sb.now() - days * 86400, datetime.timezone.utc)
        return t.strftime("%Y-%m-%d %H:%M:%S+00")
    return [
        ("top 10 by reach, 90 days", "SELECT m.id, m.timestamp, i.reach FROM ig.media m JOIN ig.media_insights i "
         "ON i.media_id = m.id WHERE m.timestamp > '%s' ORDER BY i.reach DESC LIMIT 10" % ago(90)),
        ("comments ILIKE, 60 days", "SELECT m.id, c.text FROM ig.media m JOIN ig.comments c ON c.media_id = m.id "
         "WHERE m.timestamp > '%s' AND c.text ILIKE '%%this%%'" % ago(60)),
        ("reach of every media", "SELECT m.id, i.reach FROM ig.media m JOIN ig.media_insights i "
         "ON i.media_id = m.id"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build_runtime()
    cluster = Cluster(settings={"jit": "off"})
    try:
        cluster.start()
        with Sandbox(seed=1, port=0, budget_per_hour=10 ** 7) as sb, \
                psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            setup(conn, sb)
            sb.app.latency_ms = args.latency_ms
            print("latency %.0f ms" % args.latency_ms)
            print("%-26s %-11s %6s %6s %8s %7s %6s" % ("query", "plan", "calls", "rounds", "inflight", "wall s",
                                                      "rows"))
            for label, sql in queries(sb):
                results = []
                for plan, key_join, pushdown in PLANS:
                    conn.execute("SET multicorn.enable_key_join = %s" % key_join)
                    conn.execute("SET multicorn.enable_join_pushdown = %s" % pushdown)
                    sb.reset_stats()
                    t0 = time.perf_counter()
                    rows = sorted(conn.execute(sql).fetchall(), key=repr)
                    wall = time.perf_counter() - t0
                    st = sb.stats()
                    results.append(rows)
                    print("%-26s %-11s %6d %6d %8d %7.2f %6d" % (
                        label if plan == PLANS[0][0] else "", plan, st["total"], st["rounds"],
                        st["max_in_flight"], wall, len(rows)))
                if any(r != results[0] for r in results):
                    print("  !! %s: the plans returned different rows" % label)
                    sys.exit(1)
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
