"""What a scan will cost, in Graph API calls and in rounds.

At the API's latency (100-300 ms a call) what a query takes is the number
of *sequential* round trips, and what it spends of the rate budget is the
number of calls.  The project's runtime asks `get_call_estimate()` for both
at planning time and costs a path by them (docs/runtime.md), so that
PostgreSQL prefers a keyed read of 120 ids (3 calls, 1 round) to walking
every media of the account, and a walk over every media looks as expensive
as it is.  Upstream multicorn2 never asks: there the estimate is unused.

The figures follow how the executor fetches (ig_fdw/executor.py,
ig_fdw/insights.py): ids in `?ids=` calls of 50, children of many parents in
batch calls of 50 items, edges page after page (each page waits for the
previous cursor) but an account's media read in full (since/until windows
side by side: ig_fdw.windows), insights windows of at most 30 days; independent calls
run up to MaxConcurrency at a time.  They are estimates from the table's
declared row counts, not promises.
"""

import math

from ig_fdw import windows

from ig_fdw.executor import CHUNK as IDS_PER_CALL          # ?ids= and batch items per call
from ig_fdw.insights import DAY, MAX_RANGE_DAYS as WINDOW_DAYS   # the longest range of one insights call


#: (calls, rounds) of a scan that cannot run: a required qual (media_children's media_id, a daily
#: insights table's since) is missing, so execute() would fail.  A billion rounds (a start-up cost of
#: 2e10, above PostgreSQL's disable_cost) is more than any plan that runs, so PostgreSQL takes a plan
#: that hands the qual over (a key join, a parameterized nested loop, a LATERAL subquery) whenever
#: there is one, even with its join method disabled, and this one only when there is no other (the
#: query alone: execute() then says which qual is missing).  Finite, as the runtime requires, and
#: short enough to read in EXPLAIN.
UNRUNNABLE = (1e9, 1e9)


def _ceil(n, per):
    return max(1, int(math.ceil(float(n) / per)))


def _parallel(calls, concurrency):
    """Rounds for `calls` independent calls, `concurrency` in flight."""
    return _ceil(calls, max(1, concurrency))


def _pages(rows, pagesize, limit=None):
    if limit is not None:
        rows = min(rows, limit)
    return _ceil(rows, max(1, min(pagesize, 100)))


def estimate(plan, pagesize=100, concurrency=4, expansion=True, version=None):
    """(calls, rounds) of one execution of `plan` (a planner.ScanPlan);
    `expansion`: the FieldExpansion option is on; `version`: the Graph API
    version (which media metrics exist)."""
    if plan.empty:
        return (1, 1)      # nothing is asked; the runtime's floor is one call
    if plan.ids is not None:
        calls = _ceil(len(plan.ids), IDS_PER_CALL)
        return (calls, _parallel(calls, concurrency))
    src = plan.table.source
    if plan.parents is not None:
        calls = _ceil(len(plan.parents), IDS_PER_CALL)
        steps = _media_insights_steps(plan, version)
        return (calls * steps, _parallel(calls, concurrency) * steps)
    if plan.parents_plan is not None:
        if expansion and plan.expand:
            return _expanded(plan, pagesize, concurrency)
        return _fan_out(plan, pagesize, concurrency, expansion)
    if plan.mode == "insights":
        spans = _windows(plan.params)         # 30-day insight windows (not ig_fdw.windows' media windows)
        return (spans, _parallel(spans, concurrency))
    if plan.mode == "edge":
        accounts = len(plan.accounts) if plan.accounts else 1
        size = pagesize if src.page_cap is None else src.page_cap
        split = _split(plan, accounts, min(size, 100), concurrency)
        if split is not None:
            return split
        pages = _pages(plan.table.rows_estimate, size, plan.limit)
        return (pages * accounts, pages)      # accounts side by side, pages one after another
    return (1, 1)                             # a node, me, a search, a procedure: one call


def _media_insights_steps(plan, version):
    """Media insights of known ids come in one ?ids= call per 50 when the
    selected metrics are the same for every media type, else in two steps:
    the types (?ids=), then the insights (batches), each 50 a call side by
    side (ig_fdw/insights.py)."""
    spec, rules = plan.table.source.insights, plan.table.metrics
    if plan.mode != "insights" or spec is None or spec.target != "media" or rules is None:
        return 1
    wanted = [plan.table.column(c).source_path for c in plan.columns
              if plan.table.column(c) is not None and plan.table.column(c).origin == "metric"]
    return 1 if not wanted or rules.same_on_every_surface(spec, wanted, version) else 2   # none: types only


def _split(plan, accounts, size, concurrency):
    """An account's media read in full: in since/until windows side by
    side (ig_fdw.windows), the calls of round 1 and of every window, in 2
    rounds; None when the scan is not split (a LIMIT, MaxConcurrency 1)."""
    src = plan.table.source
    if plan.limit is not None or src.parent != "account" or src.edge not in windows.COUNTED_EDGES:
        return None
    return windows.estimate(plan.table.rows_estimate, accounts, size, concurrency)


def _expanded(plan, pagesize, concurrency):
    """Children read by field expansion on the pages of the account's edge
    (comments.limit(n){...} on each media page): that edge's pages, plus one
    round for the children that do not fit their first page (paged on side
    by side)."""
    root = plan.parents_plan
    while root.parents_plan is not None:
        root = root.parents_plan
    calls, rounds = estimate(root, pagesize, concurrency)
    return (calls + 1, rounds + 1)


def _fan_out(plan, pagesize, concurrency, expansion=True):
    """Children of every parent: the parents' own cost, then their children
    in batch calls of 50 parents, run side by side."""
    parent_calls, parent_rounds = estimate(plan.parents_plan, pagesize, concurrency, expansion)
    batches = _ceil(plan.parents_plan.table.rows_estimate, IDS_PER_CALL)
    return (parent_calls + batches, parent_rounds + _parallel(batches, concurrency))


def _windows(params):
    """Insights calls of a since..until range: one per 30 days."""
    try:
        since, until = int(params["since"]), int(params["until"])
    except (KeyError, TypeError, ValueError):
        return 1
    return _ceil(max(until - since, 1), WINDOW_DAYS * DAY)


def join_rows(parent_plan, child, key):
    """Rows of a pushed-down join (ig_fdw.joins): the parent's declared rows
    (per account read), each with the child's declared rows per parent (its
    path_keys on the key column: 20 comments, 1 insights row)."""
    if parent_plan.empty:
        return 1
    per = dict(child.path_keys).get((key,), 1)
    accounts = len(parent_plan.accounts) if parent_plan.accounts else 1
    return max(1, parent_plan.table.rows_estimate * accounts * per)
