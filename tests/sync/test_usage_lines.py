"""The per-account usage ig_sync reads from EXPLAIN ANALYZE (ig_fdw/graph/stats.py)."""

import json

from ig_fdw.graph.stats import BUC_MAX_ENTRIES, CallStats


def _buc(**shares):
    return json.dumps({k: [{"type": "instagram", "call_count": v, "total_cputime": v // 2, "total_time": 1}]
                       for k, v in shares.items()})


def test_highest_share_per_business_account():
    s = CallStats()
    s.note_buc(_buc(a1=12, a2=3))
    s.note_buc(_buc(a1=40))
    s.note_buc(_buc(a1=20))
    s.note_usage(55)
    lines = s.explain_lines()
    assert "Graph API: usage 55% (highest share reported by the usage headers)" in lines
    assert "Graph API: business use case usage: a1 40%, a2 3%" in lines


def test_headers_about_the_whole_token_and_garbage_are_ignored():
    s = CallStats()
    s.note_buc(_buc(**{"x%d" % i: 90 for i in range(BUC_MAX_ENTRIES + 1)}))   # e.g. a batch envelope
    s.note_buc("not json")
    s.note_buc(None)
    s.note_buc(json.dumps([1, 2]))
    assert s.buc == {}
    assert not any("business use case" in line for line in s.explain_lines())
