"""Runs a ScanPlan against the Graph API and yields rows.

One function per source *kind* (node, edge, ids, me, insights, expansion,
procedure); the catalog entry supplies every table-specific detail.  Rows
are produced lazily, so a LIMIT stops paging.
"""

import itertools

from ig_fdw.graph.batch import BatchRequest, chunked
from ig_fdw.graph.errors import GraphError, InvalidParameter, NotFound, PermissionDenied
from ig_fdw.rows import build_row, parse_graph_time
from ig_fdw import insights as insights_mod
from ig_fdw.values import segment

CHUNK = 50


class ScanContext:
    """What a scan needs besides its plan.

    client: a GraphClient.  accounts: callable(requested ids or None) -> the
    business account ids to read.  notice: callable(message) for NOTICEs.
    lookup: callable(table name) -> catalog Table (for fan-out).
    version: the Graph API version ('v22.0').
    """

    def __init__(self, client, accounts, notice, lookup, version, procedures=None, check_account=None,
                 noticed=None):
        self.client = client
        self.check_account = check_account   # (account id, error) -> a clearer error, or None
        self.accounts = accounts
        self.notice = notice
        self.lookup = lookup
        self.version = version
        self.procedures = procedures
        self._noticed = set() if noticed is None else noticed   # the FDW shares one per statement

    def notice_once(self, key, message):
        if key not in self._noticed:
            self._noticed.add(key)
            self.notice(message)


def execute(plan, ctx):
    if plan.empty:
        return iter(())
    runner = {
        "ids": run_ids,
        "node": run_node,
        "edge": run_edge,
        "me": run_me,
        "insights": run_insights,
        "expansion": run_expansion,
        "procedure": run_procedure,
        "search": run_search,
    }[plan.mode]
    rows = runner(plan, ctx)
    if plan.limit is not None:
        # can_limit() said yes, so PostgreSQL applies neither LIMIT nor OFFSET:
        # return exactly the rows [offset, offset + limit)
        rows = itertools.islice(rows, plan.offset, plan.limit)
    return rows


def _params(plan, account=None):
    """Fixed source parameters ('{account}' / '{name}' filled in) and the plan's."""
    params = {}
    for key, value in plan.table.source.params:
        if value == "{account}":
            value = account
        elif value.startswith("{") and value.endswith("}"):
            continue        # filled per key value by the runner
        params[key] = value
    params.update({k: v for k, v in plan.params.items() if not plan.table.column(k) or
                   plan.table.column(k).origin != "control" or k in ("since", "until")})
    return params


def _needs_account(plan):
    return any(v == "{account}" for _, v in plan.table.source.params)


def _read_many(ctx, ids, fields):
    """ids -> [(id, object)] skipping ids that do not exist; other errors raise."""
    results = ctx.client.get_many(ids, fields=fields)
    for oid, obj in zip(ids, results):
        if isinstance(obj, NotFound):
            continue
        if isinstance(obj, Exception):
            raise obj
        yield oid, obj


def run_ids(plan, ctx):
    fields = list(dict.fromkeys(plan.fields + ["id"]))
    for oid, obj in _read_many(ctx, plan.ids, fields):
        yield build_row(plan.table, plan.columns, obj, {})


def _account_error(ctx, acct, err):
    """An error on the account node itself: when BusinessAccountId is the wrong id, say so instead."""
    better = ctx.check_account(acct, err) if ctx.check_account is not None else None
    return better or err


def run_node(plan, ctx):
    fields = list(dict.fromkeys(plan.fields + ["id"]))
    accounts = ctx.accounts(plan.accounts)
    results = ctx.client.get_many(accounts, fields=fields)
    for acct, obj in zip(accounts, results):
        if isinstance(obj, NotFound) and plan.accounts:
            continue   # WHERE business_account_id = an id that does not exist: no row
        if isinstance(obj, Exception):   # the configured account: never silently empty
            raise _account_error(ctx, acct, obj)
        yield build_row(plan.table, plan.columns, obj, {"business_account_id": acct})


def run_me(plan, ctx):
    src = plan.table.source
    for obj in ctx.client.paginate("me/%s" % src.edge, _params(plan), plan.fields, limit=plan.limit):
        yield build_row(plan.table, plan.columns, obj, {})


def run_edge(plan, ctx):
    table, src = plan.table, plan.table.source
    params = _params(plan)
    if src.parent == "account":
        for acct in ctx.accounts(plan.accounts):
            path = "%s/%s" % (segment(acct), src.edge)
            try:
                for obj in ctx.client.paginate(path, params, plan.fields, limit=plan.limit):
                    yield build_row(table, plan.columns, obj, {"business_account_id": acct})
            except GraphError as err:
                if not (isinstance(err, (NotFound, InvalidParameter)) or err.code in (100, 2500)):
                    raise   # token, permission, rate limit, network: not about the account id
                raise _account_error(ctx, acct, err) from None
        return
    if _needs_account(plan):
        params = _params(plan, ctx.accounts(plan.accounts)[0])
    parents = _parents(plan, ctx)
    for parent, extra, obj in edge_rows_of_many(ctx, parents, src.edge, params, plan.fields, plan.limit,
                                                src.page_cap):
        context = dict(extra)
        context[src.parent] = parent
        yield build_row(table, plan.columns, obj, context)


def _parents(plan, ctx):
    """[(parent id, context)] from the parent qual, or by walking fan_out."""
    if plan.parents is not None:
        return [(p, {}) for p in plan.parents]
    fan = ctx.lookup(plan.fan_out)
    from ig_fdw.planner import ScanPlan, graph_fields
    sub = ScanPlan(table=fan, columns=["id", "business_account_id"], filters={},
                   fields=graph_fields(fan, ["id"]), mode=fan.source.kind, accounts=plan.accounts)
    if fan.source.kind == "edge" and fan.source.parent != "account":
        sub.fan_out = fan.source.fan_out
    return ((row["id"], {"business_account_id": row.get("business_account_id")})
            for row in execute(sub, ctx))


def edge_rows_of_many(ctx, parents, edge, params, fields, limit, page_cap=None):
    """Rows of /{parent}/{edge} for many parents: first pages 50 to a batch
    call, further pages by cursor.  Yields (parent, context, object)."""
    query = dict(params)
    if fields:
        query["fields"] = ",".join(fields)
    size = min(limit or 100, 100, page_cap or 100)
    query["limit"] = str(size)
    for chunk in chunked(parents, CHUNK):
        reqs = [BatchRequest("GET", "%s/%s" % (segment(p), edge), dict(query)) for p, _ in chunk]
        bodies = ctx.client.batch(reqs)
        for (parent, extra), body in zip(chunk, bodies):
            if isinstance(body, NotFound):
                continue
            if isinstance(body, Exception):
                raise body
            for obj in body.get("data", []):
                yield parent, extra, obj
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if (body.get("paging") or {}).get("next") and after:
                more = dict(params)
                more["after"] = after
                for obj in ctx.client.paginate("%s/%s" % (segment(parent), edge), more, fields, limit=limit):
                    yield parent, extra, obj


# ---------------------------------------------------------------- expansion

def run_expansion(plan, ctx):
    """business_discovery.username(x){...}, mentioned_media.media_id(x){...}:
    field expansion on the account node, one call per (account, key)."""
    table, src = plan.table, plan.table.source
    expansion, key_column = src.expansion.split(".")[0], src.expansion.split(".")[1]
    qual = [q for q in table.quals if q.role == "param"][0]
    keys = plan.filter_values(qual.column) or []
    inner = [f for f in plan.fields if f != src.edge]
    for acct in ctx.accounts(plan.accounts):
        for key in keys:
            if src.edge:   # the nested media edge of business discovery
                spec = "%s.%s(%s){%s.limit(%d){%s}}" % (expansion, key_column, key, src.edge,
                                                         min(plan.limit or 100, 100), ",".join(inner or ["id"]))
            else:
                spec = "%s.%s(%s){%s}" % (expansion, key_column, key, ",".join(inner or ["id"]))
            yield from _expansion_rows(plan, ctx, acct, key, qual.column, spec, expansion)


def _expansion_rows(plan, ctx, acct, key, key_column, spec, expansion):
    src = plan.table.source
    try:
        body = ctx.client.get(segment(acct), fields=[spec])
    except NotFound:
        return
    node = body.get(expansion) or {}
    context = {"business_account_id": acct, key_column: key}
    if not src.edge:
        yield build_row(plan.table, plan.columns, node, context)
        return
    edge = node.get(src.edge) or {}
    while True:
        for obj in edge.get("data", []):
            yield build_row(plan.table, plan.columns, obj, context)
        after = ((edge.get("paging") or {}).get("cursors") or {}).get("after")
        if not ((edge.get("paging") or {}).get("next") and after):
            return
        spec_after = spec.replace("{%s.limit(" % src.edge, "{%s.after(%s).limit(" % (src.edge, after), 1)
        body = ctx.client.get(segment(acct), fields=[spec_after])
        edge = (body.get(expansion) or {}).get(src.edge) or {}


def run_search(plan, ctx):
    """GET /{edge}?user_id={account}&q=<value>: one call per searched value."""
    table, src = plan.table, plan.table.source
    qual = [q for q in table.quals if q.role == "param"][0]
    for acct in ctx.accounts(plan.accounts)[:1]:
        for value in plan.filter_values(qual.column) or []:
            params = {"user_id": acct}
            for key, template in src.params:
                params[key] = value if template == "{%s}" % qual.column else template
            body = ctx.client.get(src.edge, params=params)
            for obj in body.get("data", []):
                yield build_row(table, plan.columns, obj, {"business_account_id": acct, qual.column: value})


# ---------------------------------------------------------------- procedures

def run_procedure(plan, ctx):
    inputs = {name: f.values[0] for name, f in plan.filters.items() if f.values}
    for row in ctx.procedures(plan.table.source.procedure, inputs):
        yield build_row(plan.table, plan.columns, row, inputs)


# ---------------------------------------------------------------- insights

def run_insights(plan, ctx):
    spec = plan.table.source.insights
    if spec.target == "media":
        return insights_mod.media_insight_rows(plan, ctx)
    return insights_mod.account_insight_rows(plan, ctx)


__all__ = ["ScanContext", "execute", "edge_rows_of_many", "parse_graph_time", "GraphError",
           "PermissionDenied"]
