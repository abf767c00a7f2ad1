"""Benchmark of the Graph API client against the sandbox (run on demand).

Reads N media of one account with their insights at a given sandbox latency,
two ways:

* naive: one GET per media (fields + ``insights.metric(...)`` expansion),
  sequential -- what a per-row FDW would do;
* batched: ``GraphClient.get_many`` -- ``?ids=`` 50 per call, calls on the
  bounded worker pool -- and the same through the batch API.

Prints HTTP calls (sandbox stats) and wall time for each.  Targets for 500
media at 100 ms: batched <= 10 calls and < 1.5 s.

    .venv/bin/python bench/graph.py [--media 500] [--latency-ms 100] [--concurrency 4]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ig_fdw.graph import BatchRequest, GraphClient  # noqa: E402
from ig_fdw.sandbox import Sandbox  # noqa: E402

FIELDS = ["id", "caption", "media_type", "like_count", "comments_count", "timestamp",
          "insights.metric(reach,likes,saved)"]


def run(label, sb, fn):
    sb.reset_stats()
    started = time.perf_counter()
    rows = fn()
    elapsed = time.perf_counter() - started
    st = sb.stats()
    errors = sum(1 for r in rows if isinstance(r, Exception))
    print("%-34s %5d rows  %4d HTTP calls  %3d batches  max_in_flight %d  %7.2f s  (%d item errors)" % (
        label, len(rows), st["total"], st["batches"], st["max_in_flight"], elapsed, errors))
    return rows, st["total"], elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--media", type=int, default=500)
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--skip-naive", action="store_true", help="only run the batched variants")
    args = ap.parse_args()

    with Sandbox(seed=1, latency_ms=args.latency_ms, budget_per_hour=10_000_000) as sb:
        account = sb.accounts[0]
        now = sb.now()
        ids = [m.id for m in sb.app.world.accounts[account].media if not m.deleted and m.ts <= now][:args.media]
        client = GraphClient(sb.url, "v22.0", sb.user_token(), app_secret=sb.app_secret,
                             max_concurrency=args.concurrency)
        print("sandbox latency %d ms, %d media of %s, max_concurrency %d" % (
            args.latency_ms, len(ids), account, args.concurrency))
        fields = ",".join(FIELDS)
        results = {}
        if not args.skip_naive:
            results["naive"] = run("naive (1 GET per media, sequential)", sb,
                                   lambda: [client.get(i, fields=fields) for i in ids])
        results["ids"] = run("batched: get_many (?ids=, pooled)", sb,
                             lambda: client.get_many(ids, fields=fields))
        results["batch"] = run("batched: batch API (pooled)", sb,
                               lambda: client.batch([BatchRequest("GET", i, {"fields": fields}) for i in ids]))
        if "naive" in results:
            assert results["naive"][0] == results["ids"][0] == results["batch"][0], "results differ"
        else:
            assert results["ids"][0] == results["batch"][0], "results differ"
        ok = results["ids"][1] <= 10 and results["ids"][2] < 1.5
        print("target (<= 10 calls, < 1.5 s) for get_many: %s" % ("met" if ok else "NOT met"))
        client.close()


if __name__ == "__main__":
    main()
