"""Join pushdown: ``parent JOIN child ON parent.id = child.<parent key>`` as
one stream of the parent's pages, each page read with the child's field
expansion (``insights.metric(...)``, ``comments.limit(n){...}``).

Our runtime only (pgext/, docs/runtime.md "Join pushdown"): it offers an
inner join of two foreign tables of the same server and user mapping to
``get_join_estimate``; multicorn2 never does, and PostgreSQL then joins the
two scans itself (same rows, more calls).

Which joins are answered is declared by the tables, never named here: a
child table whose Source has ``fan_out = <parent table>`` and ``parent =
<key column>`` (comments: fan_out 'media', parent 'media_id') can be read on
the pages of that parent, keyed by the parent's id column (its KeyQual of
role 'id'): catalog.join_key.  The stream is the child's own fan-out plan (planner, executor,
insights: the expansion and its fallbacks) whose nested plan of the parents
is the parent's scan plan, with the parent's filters (timestamp -> since /
until, business_account_id -> accounts) and the parent's columns.  The
executor shows every parent row to ``ScanContext.on_parent``; each child
row is paired with its parent by the key.  Children that cannot be
expanded (stories' insights) come in batch calls for the parent's rows.

Declined (None): the other table is not this table's child, no clause
``parent.id = child.key``, the parent is not read page by page from the
account (an id filter: PostgreSQL's own plans read by id), the child is
given its own key or ids, a filter value that cannot go into a request
(the table's own scan then reports it, before any call), different
connection options, FieldExpansion 'off'.
"""

from dataclasses import dataclass, replace
from typing import List

from ig_fdw import catalog, costs, planner
from ig_fdw.values import UNBOUND


class Declined(Exception):
    """Why a join is not pushed down (unit tests read the reason)."""


@dataclass
class JoinPlan:
    parent: object          # the parent's Table
    child: object           # the child's Table
    parent_key: str         # the parent's id column ('id')
    child_key: str          # the child's column holding that id ('media_id')
    parent_plan: object     # ScanPlan of the parent (its filters, its columns + what the child needs)
    child_plan: object      # ScanPlan of the child; its parents_plan is parent_plan
    columns: List[str]      # the parent's columns to return
    child_columns: List[str]


def child_key(parent, child):
    """(parent's id column, child's key column) when the tables declare this
    join (catalog.join_key: the child's Source fan_out and parent key)."""
    return catalog.join_key(parent, child)


def same_connection(options, other_options):
    """Both tables read through the same connection with the same table
    settings (account, page size, concurrency): the options apart from the
    core's `table` option are equal."""
    def norm(opts):
        return {str(k).lower(): str(v) for k, v in (opts or {}).items() if str(k).lower() != "table"}
    return norm(options) == norm(other_options)


def plan_join(parent, child, clauses, quals, child_quals, columns, child_columns):
    """The JoinPlan of `parent JOIN child`; raises Declined (a join it does
    not answer) or the planner's MissingQual / BadQualValue (a filter the
    tables' own scans would refuse too)."""
    keys = child_key(parent, child)
    if keys is None:
        raise Declined("%s is not read on the pages of %s" % (child.name, parent.name))
    parent_key, key = keys
    if not any(col == parent_key and op == "=" and other == key for col, op, other in clauses):
        raise Declined("no join clause %s.%s = %s.%s" % (parent.name, parent_key, child.name, key))
    columns = list(dict.fromkeys(list(columns) + [parent_key]))
    child_columns = list(dict.fromkeys(list(child_columns) + [key]))
    pplan = planner.plan_scan(parent, quals, columns)
    if pplan.mode != "edge" or parent.source.parent != "account" or pplan.parents_plan is not None:
        raise Declined("%s is not read page by page here (mode %s)" % (parent.name, pplan.mode))
    cplan = planner.plan_scan(child, child_quals, child_columns)
    if cplan.parents_plan is None or cplan.parents_plan.table.name != parent.name:
        raise Declined("%s is read by its own key or ids" % child.name)
    # the parent's plan with the columns the child's nested plan needs (id, account, media types)
    wanted = list(dict.fromkeys(columns + cplan.parents_plan.columns))
    accounts = _accounts(pplan.accounts, cplan.accounts)
    pplan = replace(pplan, columns=wanted, fields=planner.graph_fields(parent, wanted), accounts=accounts,
                    empty=pplan.empty or accounts == [])
    cplan.parents_plan = pplan
    cplan.accounts = accounts
    cplan.empty = cplan.empty or pplan.empty     # no parent can match: no call at all
    cplan.expand = planner.expandable(cplan)     # else (stories' insights) batch calls for the parent's rows
    return JoinPlan(parent, child, parent_key, key, pplan, cplan, columns, child_columns)


def _accounts(mine, theirs):
    """The accounts both tables' filters allow (None: no filter)."""
    if mine is None or theirs is None:
        return mine if theirs is None else theirs
    if UNBOUND in mine or UNBOUND in theirs:
        return mine         # planning a generic plan: intersected at execution, when both are known
    return [a for a in mine if a in theirs]


def estimate(jp, pagesize=100, concurrency=4):
    """The runtime's {'rows', 'calls', 'rounds'}: the child's expanded fan-out
    over the parent's pages (ig_fdw.costs), rows from the declared counts."""
    calls, rounds = costs.estimate(jp.child_plan, pagesize=pagesize, concurrency=concurrency, expansion=True)
    return {"rows": costs.join_rows(jp.parent_plan, jp.child, jp.child_key), "calls": calls, "rounds": rounds}


def rows(jp, ctx, execute):
    """(parent row, child row) pairs: the child's plan run by `execute`
    (executor.execute), each child row paired with the parent row the
    executor showed before it."""
    parents = {}
    ctx.on_parent = lambda row: parents.__setitem__(row.get(jp.parent_key), row)
    try:
        for child in execute(jp.child_plan, ctx):
            parent = parents.get(child.get(jp.child_key))
            if parent is not None:
                yield ({c: parent.get(c) for c in jp.columns}, {c: child.get(c) for c in jp.child_columns})
    finally:
        ctx.on_parent = None


def explain(jp, describe):
    """EXPLAIN lines: the parent's Graph lines (describe: fdw.describe_plan),
    then what each page carries for the child."""
    lines = describe(jp.parent_plan)
    child = jp.child_plan
    on = "join pushed down: %s.%s = %s.%s" % (jp.parent.name, jp.parent_key, jp.child.name, jp.child_key)
    if child.mode == "insights":
        what = "insights.metric(<%s's metrics>)" % jp.child.name
    else:
        what = "%s.limit(<Pagesize>){%s}" % (child.table.source.edge, ",".join(child.fields or ["id"]))
    if child.expand:
        lines.append("Graph: %s expanded on each page of %s when the rows allow it, else batched (%s)" % (
            what, jp.parent.name, on))
    else:
        lines.append("Graph: GET /{%s}/%s for each row of %s (batched, 50 per call; %s)" % (
            jp.child_key, child.table.source.edge or "insights", jp.parent.name, on))
    pushed = [line for line in describe(child) if line.startswith(("Graph filters", "Graph parameters"))]
    lines.extend(line.replace("Graph ", "Graph %s " % jp.child.name, 1) for line in pushed)
    return lines


__all__ = ["Declined", "JoinPlan", "plan_join", "estimate", "rows", "explain", "same_connection"]
