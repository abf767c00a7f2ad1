"""Runtime throughput: rows of native Python values through the multicorn
extension that is installed (ours, or upstream multicorn2 for comparison).

Six columns (bigint, text, timestamptz, integer, jsonb, text[]), rows
precomputed as native Python values, as dicts and as tuples.  Prints rows/s
for SELECT count(*) and for COPY (SELECT * ...) TO '/dev/null'.

    .venv/bin/python bench/runtime.py [--rows 1000000] [--repeat 3] [--no-build]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402

from tests.pg import Cluster, build_runtime  # noqa: E402

COLUMNS = "id bigint, caption text, ts timestamptz, likes integer, meta jsonb, tags text[]"


def best_rate(conn, sql, rows, repeat):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        conn.execute(sql)
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return rows / best, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="use the installed extension as is")
    args = parser.parse_args()
    if not args.no_build:
        build_runtime()
    cluster = Cluster(settings={"jit": "off"})
    try:
        cluster.start()
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION multicorn")
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'multicorn'")
            print("multicorn extension %s, %d rows, best of %d" % (version.fetchone()[0], args.rows, args.repeat))
            conn.execute("CREATE SERVER bench FOREIGN DATA WRAPPER multicorn "
                         "OPTIONS (wrapper 'tests.fdws.bench.Throughput')")
            for shape in ("dict", "tuple"):
                conn.execute("CREATE FOREIGN TABLE b_%s (%s) SERVER bench OPTIONS (rows '%d', shape '%s')"
                             % (shape, COLUMNS, args.rows, shape))
                conn.execute("SELECT count(*) FROM b_%s" % shape)  # warm: builds the rows once
                for label, sql in (("SELECT count(*)", "SELECT count(*) FROM b_%s" % shape),
                                   ("COPY (SELECT *) TO /dev/null",
                                    "COPY (SELECT * FROM b_%s) TO '/dev/null'" % shape)):
                    rate, elapsed = best_rate(conn, sql, args.rows, args.repeat)
                    print("%-6s rows  %-30s %10.0f rows/s  (%.2f s)" % (shape, label, rate, elapsed))
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
