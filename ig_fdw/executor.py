"""Runs a ScanPlan against the Graph API and yields rows.

One function per source *kind* (node, edge, ids, me, insights, expansion,
search, procedure); the catalog entry (ig_fdw/tables/) supplies every
table-specific detail through the fields of its Table.  Rows are produced
lazily, so a LIMIT stops paging.  The parents of a fan-out are the rows of
the plan's `parents_plan`, run here like any plan.

Everything the executor needs from outside comes in its ScanContext; it
never calls back into the FDW class.
"""

import itertools

from ig_fdw.graph.batch import BatchRequest, chunked
from ig_fdw.graph.errors import GraphError, InvalidParameter, NotFound
from ig_fdw.rows import build_row
from ig_fdw import insights as insights_mod
from ig_fdw import values
from ig_fdw import windows
from ig_fdw.values import segment

CHUNK = 50


class ScanContext:
    """What a scan needs besides its plan.

    client: a GraphClient.  accounts: callable(requested ids or None) -> the
    business account ids to read.  notice: callable(message) for NOTICEs.
    version: the Graph API version ('v22.0').  procedures: callable(name,
    inputs) -> rows of an OAuth procedure.  check_account: callable(account
    id, error) -> a clearer error, or None.  noticed: the statement's set of
    NOTICEs already given.  expansion: False (FieldExpansion 'off') reads
    the children of a fan-out in batch calls even where the plan could
    expand them on the parents' pages.  on_parent: callable(row) shown
    every parent row of a fan-out as it is read (a pushed-down join pairs
    the children with their parents by it, ig_fdw.joins), or None.
    """

    def __init__(self, client, accounts, notice, version, procedures=None, check_account=None, noticed=None,
                 expansion=True):
        self.client = client
        self.expansion = expansion            # FieldExpansion: children by field expansion on the parents' pages
        self.check_account = check_account   # (account id, error) -> a clearer error, or None
        self.accounts = accounts
        self.notice = notice
        self.version = version
        self.procedures = procedures
        self._noticed = set() if noticed is None else noticed   # the FDW shares one per statement
        self.on_parent = None

    def saw_parent(self, row):
        """`row`, a parent row of a fan-out, after showing it to on_parent."""
        if self.on_parent is not None:
            self.on_parent(row)
        return row

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


def _params(plan, account=None, key_values=None):
    """Fixed source parameters ('{account}' and '{column}' filled in) and the plan's."""
    params = {}
    for key, value in plan.table.source.params:
        if value == "{account}":
            value = account
        elif value.startswith("{") and value.endswith("}"):
            value = (key_values or {}).get(value[1:-1])
            if value is None:
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
    columns, fields = _with_account_source(plan)
    fields = list(dict.fromkeys(fields + ["id"]))
    rows = (build_row(plan.table, columns, obj, {}) for _, obj in _read_many(ctx, plan.ids, fields))
    return with_accounts(plan, ctx, rows)


def _needs_owner(plan):
    return plan.table.account_from is not None and "business_account_id" in plan.columns


def _with_account_source(plan):
    """(columns, fields) to read: the plan's, plus the table's `account_from`
    column when the rows' account must be looked up from it."""
    if not _needs_owner(plan):
        return plan.columns, plan.fields
    name = plan.table.account_from
    columns = plan.columns if name in plan.columns else plan.columns + [name]
    col = plan.table.column(name)
    if (plan.mode != "ids" and name == plan.table.source.parent) or not col.path:
        return columns, plan.fields          # the parent id: known from the request
    top, _, sub = col.path.partition(".")
    if any(f == top or f.startswith(top + "{") for f in plan.fields):
        return columns, plan.fields
    return columns, plan.fields + ["%s{%s}" % (top, sub) if sub else top]


def with_accounts(plan, ctx, rows, size=CHUNK):
    """Rows read by id or by parent whose business_account_id the answer did
    not carry: the owner of the media in the table's `account_from` column,
    asked with one ``?ids=`` call per 50 media (only when the query selects
    business_account_id), so that PostgreSQL's recheck of a
    business_account_id filter keeps them."""
    if not _needs_owner(plan):
        yield from rows
        return
    source = plan.table.account_from
    extra = source not in plan.columns
    owners = {}
    while True:
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return
        unknown = list(dict.fromkeys(r[source] for r in chunk if r.get("business_account_id") is None
                                     and r.get(source) and r[source] not in owners))
        if unknown:
            for mid, obj in zip(unknown, ctx.client.get_many(unknown, fields=["id", "owner{id}"])):
                owners[mid] = None if isinstance(obj, Exception) else (obj.get("owner") or {}).get("id")
        for row in chunk:
            if row.get("business_account_id") is None and row.get(source):
                row["business_account_id"] = owners.get(row[source])
            if extra:
                row.pop(source, None)
            yield row


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
        accounts = ctx.accounts(plan.accounts)
        scan = _windowed(plan, ctx, accounts, params)
        if scan is not None:            # read in full: in since/until windows side by side (ig_fdw.windows)
            for acct, objs in scan.accounts_rows():
                try:
                    for obj, _ in objs:
                        yield build_row(table, plan.columns, obj, {"business_account_id": acct})
                except GraphError as err:
                    raise _edge_error(ctx, acct, err) from None
            return
        firsts = _first_pages(plan, ctx, accounts, params)
        for acct, first in zip(accounts, firsts):
            path = "%s/%s" % (segment(acct), src.edge)
            try:
                for obj in _account_edge(ctx, path, params, plan, first):
                    yield build_row(table, plan.columns, obj, {"business_account_id": acct})
            except GraphError as err:
                raise _edge_error(ctx, acct, err) from None
        return
    if _needs_account(plan):
        params = _params(plan, ctx.accounts(plan.accounts)[0])
    columns, fields = _with_account_source(plan)
    # parents given by a qual are media whose owner is the rows' account: asked in the same calls
    owners = plan.parents is not None and _needs_owner(plan) and table.account_from == src.parent
    if plan.expand and ctx.expansion:
        found = expanded_edge_rows(plan, ctx, params, fields)
    elif plan.parents is not None and ctx.expansion and not src.params:
        found = edge_rows_by_ids(plan, ctx, params, fields, owners)
    else:
        found = edge_rows_of_many(ctx, _parents(plan, ctx), src.edge, params, fields, plan.limit, table.page_cap,
                                  owners=owners)
    rows = (build_row(table, columns, obj, dict(extra, **{src.parent: parent})) for parent, extra, obj in found)
    if plan.parents is None:
        # a fan-out's rows carry their parent's account: no owner to ask, and no row read ahead of a LIMIT
        rows = (_without(row, columns, plan.columns) for row in rows)
        yield from rows
        return
    yield from with_accounts(plan, ctx, rows)


def _without(row, columns, wanted):
    """The row without the columns only read to find its account."""
    for name in columns:
        if name not in wanted:
            row.pop(name, None)
    return row


def _edge_error(ctx, acct, err):
    """The error to raise for a failed read of an account's edge: a clearer
    one when the account id is the problem; token, permission, rate limit
    and network errors as they are."""
    if not (isinstance(err, (NotFound, InvalidParameter)) or err.code in (100, 2500)):
        return err
    return _account_error(ctx, acct, err)


def _windowed(plan, ctx, accounts, params, spec=None, fallback=None):
    """An AccountScan reading the accounts' edge in since/until windows
    side by side (ig_fdw.windows), or None when the scan is not one: a LIMIT
    is pushed (a page or two answer it), MaxConcurrency is 1 (paged in
    turn, as ever), or the edge has no time filter and count.  `spec`: an
    expansion asked on every page (expanded_parent_rows), `fallback` as
    there."""
    src = plan.table.source
    count_field = windows.COUNTED_EDGES.get(src.edge)
    if plan.limit is not None or count_field is None or getattr(ctx.client, "max_concurrency", 1) <= 1 or \
            set(params) - {"since", "until"}:
        return None
    since, until = windows.bound(params.get("since")), windows.bound(params.get("until"))
    size = page_size(ctx, plan.table)
    fields = list(dict.fromkeys(plan.fields + ["id", "timestamp"]))   # ids to dedupe by, times to cut by
    # only numbers and catalog field paths go into the expansion: no value from SQL
    mods = "".join(".%s(%d)" % (k, v) for k, v in (("since", since), ("until", until)) if v is not None)

    def get(path, query, fields_asked):
        return ctx.client.get(path, params=query, fields=fields_asked)

    def with_fallback(read):
        """(body, how) of read(expand), read again without the expansion if it failed because of it."""
        if spec is None:
            return read(False), True
        try:
            return read(True), True
        except GraphError as err:
            how = fallback(err) if fallback is not None else None
            if how is None:
                raise
            return read(False), how

    def head(acct):
        def read(expand):
            inner = fields + [spec] if expand else fields
            return get(segment(acct), None, [count_field, "%s%s.limit(%d){%s}" % (src.edge, mods, size,
                                                                                  ",".join(inner))])
        body, how = with_fallback(read)
        page = body.get(src.edge) or {}     # the API leaves an empty edge out
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
        return windows.Head(page.get("data", []), after, body.get(count_field), how)

    def page(acct, query, expand):
        path = "%s/%s" % (segment(acct), src.edge)
        if not expand:
            return get(path, query, fields), False
        return with_fallback(lambda e: get(path, query, fields + [spec] if e else fields))

    return windows.AccountScan(ctx.client, accounts, head, page, size, since, until)


def page_size(ctx, table):
    """Rows asked per page: the client's Pagesize, capped by the table's page cap (and 100)."""
    return min(int(getattr(ctx.client, "pagesize", 100) or 100), 100, table.page_cap or 100)


def _first_pages(plan, ctx, accounts, params):
    """The first page of each account's edge, fetched concurrently (up to
    MaxConcurrency) when a scan reads several accounts and no LIMIT could
    make later accounts unnecessary; [None, ...] otherwise (each account is
    then paged in turn).  A failed page is returned in its slot and raised
    when its account's rows are reached, so rows stay in account order."""
    if len(accounts) < 2 or plan.limit is not None:
        return [None] * len(accounts)
    query = dict(params)
    query["limit"] = str(page_size(ctx, plan.table))

    def first(acct):
        return ctx.client.get("%s/%s" % (segment(acct), plan.table.source.edge), params=query, fields=plan.fields)
    return ctx.client.map_concurrent(first, accounts, return_exceptions=True)


def _account_edge(ctx, path, params, plan, first):
    """The objects of one account's edge: from its prefetched first page and
    the cursor after it, or paged from the start."""
    if first is None:
        yield from ctx.client.paginate(path, params, plan.fields, limit=plan.limit,
                                       page_size=page_size(ctx, plan.table))
        return
    if isinstance(first, BaseException):
        raise first
    yield from first.get("data", [])
    paging = first.get("paging") or {}
    after = (paging.get("cursors") or {}).get("after")
    if paging.get("next") and after:
        more = dict(params)
        more["after"] = after
        yield from ctx.client.paginate(path, more, plan.fields, page_size=page_size(ctx, plan.table))


def _parents(plan, ctx):
    """[(parent id, context)] from the parent qual, or the rows of the
    planner's nested plan (each parent with its account)."""
    if plan.parents is not None:
        return [(p, {}) for p in plan.parents]
    return ((row["id"], {"business_account_id": row.get("business_account_id")})
            for row in map(ctx.saw_parent, execute(plan.parents_plan, ctx)))


def parent_rows(plan, ctx):
    """The rows of the plan's parents_plan (media insights without media_id)."""
    return map(ctx.saw_parent, execute(plan.parents_plan, ctx))


def edge_rows_of_many(ctx, parents, edge, params, fields, limit, page_cap=None, owners=False):
    """Rows of /{parent}/{edge} for many parents: first pages 50 to a batch
    call, further pages by cursor.  Yields (parent, context, object).  The
    first page has the size later pages have: the client's Pagesize, capped
    by the edge's page cap and by the rows still wanted.  owners: the
    parents are media and the rows' business_account_id is their owner,
    read by one more item of the same batch (``?ids=...&fields=owner{id}``,
    49 parents a batch), so no call is added."""
    query = dict(params)
    if fields:
        query["fields"] = ",".join(fields)
    size = min(int(getattr(ctx.client, "pagesize", 100) or 100), 100, page_cap or 100)
    if limit is not None:
        size = max(1, min(size, int(limit)))
    query["limit"] = str(size)
    for chunk in chunked(parents, CHUNK - 1 if owners else CHUNK):
        reqs = [BatchRequest("GET", "%s/%s" % (segment(p), edge), dict(query)) for p, _ in chunk]
        if owners:
            reqs.append(BatchRequest("GET", "", {"ids": ",".join(segment(p) for p, _ in chunk),
                                                 "fields": "id,owner{id}"}))
        bodies = ctx.client.batch(reqs)
        found = _owners(bodies.pop()) if owners else {}
        for (parent, extra), body in zip(chunk, bodies):
            if isinstance(body, NotFound):
                continue
            if isinstance(body, Exception):
                raise body
            if found.get(parent):
                extra = dict(extra, business_account_id=found[parent])
            for obj in body.get("data", []):
                yield parent, extra, obj
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if (body.get("paging") or {}).get("next") and after:
                more = dict(params)
                more["after"] = after
                for obj in ctx.client.paginate("%s/%s" % (segment(parent), edge), more, fields, limit=limit,
                                               page_size=size):
                    yield parent, extra, obj


def _first_page_size(ctx, table, limit):
    """The size of a child edge's first page: Pagesize, capped by the edge's cap and the rows still wanted."""
    size = page_size(ctx, table)
    return size if limit is None else max(1, min(size, int(limit)))


def expanded_edge_rows(plan, ctx, params, fields):
    """Rows of a fan-out edge (comments of every media; replies of every
    comment of every media) by field expansion: each page of the account's
    media comes with ``edge.limit(n){fields}`` (replies: nested in
    ``comments.limit(n){id,replies.limit(n){fields}}``), so the first page of
    every parent's rows costs no call of its own; only a parent whose rows
    do not fit in that page (a ``paging.next`` inside the expansion) is
    paged on by cursor, as edge_rows_of_many does.  Yields (parent, context,
    object) in the order edge_rows_of_many does."""
    edge = plan.table.source.edge
    size = _first_page_size(ctx, plan.table, plan.limit)
    # every part comes from the catalog (field paths) or is a number: no value from SQL
    spec = "%s.limit(%d){%s}" % (edge, size, ",".join(fields or ["id"]))
    parent_plan = plan.parents_plan
    media_plan = parent_plan if parent_plan.parents_plan is None else parent_plan.parents_plan
    top_edge = edge
    if media_plan is not parent_plan:   # the parents hang off the media (replies of comments): one level more
        mid_edge, mid_fields = parent_plan.table.source.edge, ["id", spec]
        mid_size = page_size(ctx, parent_plan.table)
        spec = "%s.limit(%d){%s}" % (mid_edge, mid_size, ",".join(mid_fields))
        top_edge = mid_edge
    pending = []        # media whose page was read without the expansion: their rows come the batched way
    for row, page in expanded_parent_rows(media_plan, ctx, top_edge, spec,
                                          fallback=_too_much_data, prefetch=plan.limit is None):
        ctx.saw_parent(row)
        extra = {"business_account_id": row.get("business_account_id")}
        if page is NOT_EXPANDED:
            pending.append((row["id"], extra))
            if len(pending) < CHUNK:
                continue
        if pending:             # rows stay in the media's order
            yield from _batched_rows(plan, ctx, pending, params, fields)
            pending = []
        if page is NOT_EXPANDED:
            continue
        if media_plan is parent_plan:
            for obj in _expanded_edge(ctx, row["id"], edge, page, params, fields, plan.limit, size):
                yield row["id"], extra, obj
            continue
        for mid in _expanded_edge(ctx, row["id"], mid_edge, page, {}, mid_fields, None, mid_size):
            for obj in _expanded_edge(ctx, mid["id"], edge, mid.get(edge), params, fields, plan.limit, size):
                yield mid["id"], extra, obj
    if pending:
        yield from _batched_rows(plan, ctx, pending, params, fields)


def _too_much_data(err):
    """An expanded page the API would not give ("Please reduce the amount of
    data you're asking for", code 1, HTTP 500, still failing after the
    client's retries): the rest of the account is read without the
    expansion, the batched way."""
    return "rest" if getattr(err, "code", None) == 1 else None


def _batched_rows(plan, ctx, media, params, fields):
    """The fan-out's rows for these media the batched way (edge_rows_of_many),
    through their comments first when the rows are replies."""
    src, parent_plan = plan.table.source, plan.parents_plan
    if parent_plan.parents_plan is not None:
        mids = ((obj["id"], extra) for _, extra, obj in
                edge_rows_of_many(ctx, media, parent_plan.table.source.edge, {}, ["id"], None,
                                  parent_plan.table.page_cap))
        media = mids
    yield from edge_rows_of_many(ctx, media, src.edge, params, fields, plan.limit, plan.table.page_cap)


def _expanded_edge(ctx, parent, edge, page, params, fields, limit, size):
    """The objects of one parent's edge: its expanded first page (None: the
    API left the empty edge out), then by cursor when it has a next page."""
    page = page or {}
    yield from page.get("data", [])
    paging = page.get("paging") or {}
    after = (paging.get("cursors") or {}).get("after")
    if paging.get("next") and after:
        more = dict(params)
        more["after"] = after
        yield from ctx.client.paginate("%s/%s" % (segment(parent), edge), more, fields, limit=limit, page_size=size)


def edge_rows_by_ids(plan, ctx, params, fields, owners=False):
    """Rows of /{parent}/{edge} for parents given by a qual (comments WHERE
    media_id IN (...)): ``?ids=<50 parents>&fields=edge.limit(n){...}``, one
    call per 50 parents with each parent's first page (and its owner when
    `owners`), then by cursor only for parents whose rows do not fit.
    Yields (parent, context, object) as edge_rows_of_many does."""
    edge = plan.table.source.edge
    size = _first_page_size(ctx, plan.table, plan.limit)
    # the parent ids go into ids= (checked for their kind by the planner); the expansion holds none of them
    wanted = ["id", "%s.limit(%d){%s}" % (edge, size, ",".join(fields or ["id"]))] + (["owner{id}"] if owners else [])
    for chunk in chunked(plan.parents, CHUNK):
        for parent, obj in _read_many(ctx, chunk, wanted):
            owner = (obj.get("owner") or {}).get("id") if owners else None
            extra = {"business_account_id": owner} if owner else {}
            for row in _expanded_edge(ctx, parent, edge, obj.get(edge), params, fields, plan.limit, size):
                yield parent, extra, row


#: the answer of an expansion that was not asked (its page was read again without it)
NOT_EXPANDED = object()


def expanded_parent_rows(parent_plan, ctx, name, spec, fallback=None, prefetch=True):
    """The rows of an account-level parent plan (media of each account),
    each page read with the expansion `spec` added to its fields.  Yields
    (row, the answer of the expanded field `name` or None when the API left
    it out).  fallback(error) -> None (raise), 'page' or 'rest': an error
    the expansion caused; the page is then read again without it (and so are
    the account's later pages for 'rest'), its rows coming with
    NOT_EXPANDED.  Accounts are read in order, their first pages concurrently
    when there are several (and `prefetch`: no LIMIT could make later
    accounts unnecessary)."""
    src = parent_plan.table.source
    fields = list(dict.fromkeys(parent_plan.fields + ["id"]))
    size = page_size(ctx, parent_plan.table)
    accounts = ctx.accounts(parent_plan.accounts)
    # the parents' own time filter (a join's filter on media pushed to the parent plan): asked, never dropped
    bounds = {k: str(windows.bound(v)) for k, v in parent_plan.params.items()
              if k in ("since", "until") and windows.bound(v) is not None}
    if prefetch:
        scan = _windowed(parent_plan, ctx, accounts, bounds, spec=spec, fallback=fallback)
        if scan is not None:            # read in full: in since/until windows side by side (ig_fdw.windows)
            yield from _windowed_parents(parent_plan, ctx, scan, name)
            return

    def read(acct, after, expand):
        query = dict(bounds, limit=str(size))
        if after:
            query["after"] = after
        return ctx.client.get("%s/%s" % (segment(acct), src.edge), params=query,
                              fields=fields + [spec] if expand else fields)

    def page(acct, after, expand):
        """(body, expanded) of one page, read again without the expansion if it failed because of it."""
        if not expand:
            return read(acct, after, False), False
        try:
            return read(acct, after, True), True
        except GraphError as err:
            how = fallback(err) if fallback is not None else None
            if how is None:
                raise
            return read(acct, after, False), how

    firsts = [None] * len(accounts)
    if len(accounts) > 1 and prefetch:
        firsts = ctx.client.map_concurrent(lambda a: page(a, None, True), accounts, return_exceptions=True)
    for acct, first in zip(accounts, firsts):
        try:
            yield from _expanded_account(parent_plan, acct, first, page, name)
        except GraphError as err:
            raise _edge_error(ctx, acct, err) from None


def _windowed_parents(parent_plan, ctx, scan, name):
    """expanded_parent_rows' rows from an AccountScan (its `how` as there)."""
    for acct, objs in scan.accounts_rows():
        try:
            for obj, how in objs:
                row = build_row(parent_plan.table, parent_plan.columns, obj, {"business_account_id": acct})
                yield row, (obj.get(name) if how is True else NOT_EXPANDED)
        except GraphError as err:
            raise _edge_error(ctx, acct, err) from None


def _expanded_account(parent_plan, acct, first, page, name):
    """The rows of one account's parent pages (see expanded_parent_rows)."""
    if isinstance(first, BaseException):
        raise first
    expand = True
    body, how = first if first is not None else page(acct, None, True)
    while True:
        for obj in body.get("data", []):
            row = build_row(parent_plan.table, parent_plan.columns, obj, {"business_account_id": acct})
            yield row, (obj.get(name) if how is True else NOT_EXPANDED)
        if how == "rest":
            expand = False
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not (paging.get("next") and after):
            return
        body, how = page(acct, after, expand)


def _owners(body):
    """media id -> owner id from an ``?ids=`` answer (an error: no owners; the ids are asked again later)."""
    if not isinstance(body, dict):
        return {}
    return {mid: (obj.get("owner") or {}).get("id") for mid, obj in body.items() if isinstance(obj, dict)}


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
            # the value goes inside a field expansion: only its column's kind may pass (a ')' or a '{'
            # would change the request); the planner checked it too, this is where it is used
            key = values.check_column(table, qual.column, key)
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
    """GET /{edge}?<the Source's params>: one call per searched value, as
    the first account (hashtag search names the searching account)."""
    table, src = plan.table, plan.table.source
    qual = [q for q in table.quals if q.role == "param"][0]
    for acct in ctx.accounts(plan.accounts)[:1]:
        for value in plan.filter_values(qual.column) or []:
            params = _params(plan, acct, {qual.column: value})
            params.pop(qual.param or qual.column, None)     # the value goes as the template says, not as itself
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
        parents = parent_rows(plan, ctx) if plan.parents is None else None
        return insights_mod.media_insight_rows(plan, ctx, parents)
    return insights_mod.account_insight_rows(plan, ctx)


__all__ = ["ScanContext", "execute", "edge_rows_of_many"]
