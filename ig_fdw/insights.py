"""Insights: which metrics to ask for, and flattening the answers to rows.

Which media metrics exist (by media surface, removed from a Graph API
version on) is declared with the media insights tables
(ig_fdw/tables/media_insights.py, ``table.metrics``).  A wide table asks
only for the metrics valid for each media's surface and the configured
version.
Missing data is NULL, never 0.  Per-media errors that mean "unavailable"
(code 10 for stories with few viewers, subcode 2108006 for media older than
the business account) give a row of NULLs and one NOTICE; a metric the API
rejects is dropped from that request and named in a NOTICE.

Two limits of Meta's answers are turned into something a user can act on
(issue 17; the Graph API, not this machine's clock, decides where they are):

* ``follower_count`` covers only the last 30 days, excluding today: asked
  with other metrics, its column is NULL with one NOTICE (not asked at all,
  so no refused call, when the API's clock is known and says the range
  starts more than 32 days back); asked alone, a clear error saying which
  ``since`` to use.
* insights are kept 2 years: a ``since`` further back is a clear error
  naming the limit, before any call when the API's clock is known, else as
  soon as the API refuses it (never clamped silently).

NOTICEs are given once per statement (the FDW passes one ``noticed`` set to
every scan of a statement) and only for columns the query selected.
"""

import datetime
import re
import time

from ig_fdw.graph.batch import BatchRequest, chunked
from ig_fdw.graph.errors import GraphError, InvalidParameter, NotFound
from ig_fdw.rows import build_row, parse_graph_time

def notice_removed(plan, ctx, wanted):
    """One NOTICE per statement for the selected metric columns that are
    NULL because the configured Version removed the metric."""
    gone = plan.table.metrics.removed(wanted, ctx.version)
    if not gone:
        return
    names = ", ".join("%s.%s" % (plan.table.name, m) for m, _ in gone)
    since = sorted({v for _, v in gone})
    ctx.notice_once(("removed", plan.table.name, tuple(m for m, _ in gone)),
                    "ig_fdw: %s %s NULL: the Graph API removed %s in %s (Version is %s)"
                    % (names, "is" if len(gone) == 1 else "are", "it" if len(gone) == 1 else "them",
                       " and ".join("v%d.0" % v for v in since), ctx.version))


def flatten(body, object_id):
    """An insights response -> long rows (dicts): metric, period, end_time,
    breakdown, dimension_values, value (scalar or None), value_json."""
    rows = []
    for item in (body or {}).get("data", []):
        base = {"object_id": object_id, "metric": item.get("name"), "period": item.get("period")}
        if "total_value" in item:
            total = item["total_value"] or {}
            breakdowns = total.get("breakdowns") or []
            if breakdowns:
                for bd in breakdowns:
                    keys = ",".join(bd.get("dimension_keys") or [])
                    for res in bd.get("results") or []:
                        rows.append(_long(base, None, keys, res.get("dimension_values") or [], res.get("value")))
            else:
                rows.append(_long(base, None, None, [], total.get("value")))
        for val in item.get("values") or []:
            rows.append(_long(base, val.get("end_time"), None, [], val.get("value")))
    return rows


def _long(base, end_time, breakdown, dims, value):
    row = dict(base)
    row["end_time"] = parse_graph_time(end_time) if end_time else None
    row["breakdown"] = breakdown
    row["dimension_values"] = [str(d) for d in dims]
    row["value"] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    row["value_json"] = value
    return row


def _metric_columns(table, columns):
    return [c for c in columns if table.column(c) and table.column(c).origin == "metric"]


# ----------------------------------------------------------------- media

def media_insight_rows(plan, ctx, parents=None):
    """Rows of a media insights table.  The metric rules are the table's
    (``table.metrics``, ig_fdw/tables/media_insights.py).  `parents`: the
    rows of the planner's nested plan over the media (id, media_type,
    media_product_type, business_account_id) when no media_id was given."""
    table = plan.table
    rules, spec = table.metrics, table.source.insights
    wanted = [table.column(c).source_path for c in _metric_columns(table, plan.columns)]
    notice_removed(plan, ctx, wanted)
    if plan.parents is not None and wanted and rules.same_on_every_surface(spec, wanted, ctx.version):
        yield from _media_rows_in_one_call(plan, ctx, wanted)
        return
    ask = rules.expansion_metrics(wanted, ctx.version, plan.table.source.fan_out) if plan.expand else None
    if plan.parents is None and ask and ctx.expansion:
        yield from _media_rows_expanded(plan, ctx, ask, wanted)
        return
    if plan.parents is not None:
        yield from _media_chunks_side_by_side(plan, ctx, list(_targets_by_ids(plan, ctx, plan.parents)), wanted)
        return
    targets = ((row["id"], row, {"business_account_id": row.get("business_account_id")})
               for row in parents if rules.in_scope(spec, row))
    for chunk in chunked(targets, 50):
        yield from _media_chunk(plan, ctx, chunk, wanted)


def _media_chunks_side_by_side(plan, ctx, targets, wanted):
    """Insights of known media ids (their types read already): the batch
    calls of 50 run concurrently (up to MaxConcurrency), not one after
    another, so 120 ids cost two rounds (types, then insights) whatever
    their number of batches; rows in the ids' order, NOTICEs given after."""
    chunks = list(chunked(targets, 50))
    if len(chunks) <= 1:
        for chunk in chunks:
            yield from _media_chunk(plan, ctx, chunk, wanted)
        return
    deferred = _DeferredNotices(ctx)
    parts = ctx.client.map_concurrent(lambda chunk: list(_media_chunk(plan, deferred, chunk, wanted)), chunks)
    deferred.replay()
    for rows in parts:
        yield from rows


def _media_rows_in_one_call(plan, ctx, wanted):
    """Known ids whose metrics do not depend on the media type: the type and
    the insights come in one ?ids= call per 50 media (field expansion).  An
    id the expansion fails for is asked again the two-step way."""
    rules, spec = plan.table.metrics, plan.table.source.insights
    ask = rules.valid(wanted, next(iter(rules.surfaces(spec))), ctx.version)
    fields = ["id", "media_type", "media_product_type", "owner{id}"]
    if ask:
        fields.append("insights.metric(%s)" % ",".join(ask))
    retry = []
    try:
        objs = ctx.client.get_many(plan.parents, fields=fields)
    except GraphError as err:
        if not _unavailable(err):
            raise
        # one media without insights (a story with few viewers: code 10) fails the whole ?ids= call
        objs = [err] * len(plan.parents)
    for mid, obj in zip(plan.parents, objs):
        if isinstance(obj, NotFound):
            continue
        if isinstance(obj, Exception):
            retry.append(mid)
            continue
        if rules.in_scope(spec, obj):
            values = {r["metric"]: r["value_json"] for r in flatten(obj.get("insights"), mid)}
            yield _media_row(plan, mid, obj, {"business_account_id": (obj.get("owner") or {}).get("id")}, values)
    if retry:
        for chunk in chunked(_targets_by_ids(plan, ctx, retry), 50):
            yield from _media_chunk(plan, ctx, chunk, wanted)


def _media_rows_expanded(plan, ctx, ask, wanted):
    """Every media of the account with its insights by field expansion on
    the media pages (``insights.metric(...)``): the insights cost the media
    pages.  On the real API one media's error fails the whole expanded page,
    so a page the expansion fails for is read again without it and its media
    go the batched way (_media_chunk: NULL rows and NOTICEs as always);
    media older than the business conversion (subcode 2108006) mean every
    later page of that account is older too: those go the batched way
    without trying."""
    from ig_fdw import executor     # the executor imports this module
    spec = plan.table.source.insights
    expansion = "insights.metric(%s)" % ",".join(ask)     # names from the table's metric rules, never from SQL
    pending = []
    for row, answer in executor.expanded_parent_rows(plan.parents_plan, ctx, "insights", expansion,
                                                      fallback=_expansion_fallback, prefetch=plan.limit is None):
        ctx.saw_parent(row)
        if not plan.table.metrics.in_scope(spec, row):
            continue
        target = (row["id"], row, {"business_account_id": row.get("business_account_id")})
        if answer is executor.NOT_EXPANDED:
            pending.append(target)
            if len(pending) == 50:
                yield from _media_chunk(plan, ctx, pending, wanted)
                pending = []
            continue
        if pending:         # rows stay in the media's order
            yield from _media_chunk(plan, ctx, pending, wanted)
            pending = []
        values = {r["metric"]: r["value_json"] for r in flatten(answer, row["id"])}
        yield _media_row(plan, row["id"], row, target[2], values)
    if pending:
        yield from _media_chunk(plan, ctx, pending, wanted)


def _expansion_fallback(err):
    """How to go on when an expanded media page fails: 'rest' (media older
    than the business conversion: so are the later pages), 'page' (a metric
    or media the expansion cannot take), None (raise: token, permission,
    rate limit are not about the expansion)."""
    if isinstance(err, GraphError) and (err.subcode == 2108006 or err.code == 1):
        return "rest"       # code 1 after the retries: "Please reduce the amount of data you're asking for"
    if isinstance(err, InvalidParameter) or _unavailable(err):
        return "page"
    return None


def _targets_by_ids(plan, ctx, ids):
    """(media id, object, context) for the given media ids that are in scope."""
    rules, spec = plan.table.metrics, plan.table.source.insights
    fields = ["id", "media_type", "media_product_type", "owner{id}"]
    for mid, obj in zip(ids, ctx.client.get_many(ids, fields=fields)):
        if isinstance(obj, NotFound):
            continue
        if isinstance(obj, Exception):
            raise obj
        if rules.in_scope(spec, obj):
            yield mid, obj, {"business_account_id": (obj.get("owner") or {}).get("id")}


def _unavailable(err):
    """Errors that mean "no insights for this object" (a NULL row), as
    opposed to a missing permission, which is the same code 10 but must fail
    the query (its hint names the table's scope)."""
    if not isinstance(err, GraphError):
        return False
    if err.subcode == 2108006:
        return True
    return err.code == 10 and "permission" not in str(getattr(err, "message", err)).lower()


def _rejected_metric(err, metrics):
    """The metric named in a code-100 rejection, if any."""
    if not isinstance(err, InvalidParameter) or err.subcode == 2108006:
        return None
    text = str(err)
    for m in metrics:
        if re.search(r"\b%s\b" % re.escape(m), text):
            return m
    return None


def _media_chunk(plan, ctx, chunk, wanted):
    table = plan.table
    rules = table.metrics
    asks = {}
    for mid, obj, _ in chunk:
        asks[mid] = rules.valid(wanted, rules.surface_of(obj.get("media_type"), obj.get("media_product_type")),
                                ctx.version)
    answers = {}
    todo = [mid for mid, _, _ in chunk if asks[mid]]
    for _round in range(4):
        if not todo:
            break
        reqs = [BatchRequest("GET", "%s/insights" % mid, {"metric": ",".join(asks[mid])}) for mid in todo]
        results = ctx.client.batch(reqs)
        retry = []
        for mid, res in zip(todo, results):
            bad = _rejected_metric(res, asks[mid]) if isinstance(res, Exception) else None
            if bad:
                ctx.notice_once(("metric", bad), "ig_fdw: the Graph API rejected metric '%s' for %s "
                                "(version %s); its column is NULL" % (bad, table.name, ctx.version))
                asks[mid] = [m for m in asks[mid] if m != bad]
                if asks[mid]:
                    retry.append(mid)
                continue
            answers[mid] = res
        todo = retry
    for mid, obj, context in chunk:
        res = answers.get(mid)
        values = {}
        if isinstance(res, Exception):
            if not _unavailable(res):
                raise res
            ctx.notice_once(("unavailable", res.code, res.subcode),
                            "ig_fdw: insights unavailable for some media in %s (%s); their metrics are NULL"
                            % (table.name, res.message if hasattr(res, "message") else res))
        elif res is not None:
            for long_row in flatten(res, mid):
                values[long_row["metric"]] = long_row["value_json"]
        yield _media_row(plan, mid, obj, context, values)


def _media_row(plan, mid, obj, context, values):
    table = plan.table
    context = dict(context)
    context["media_id"] = mid
    context["media_type"] = obj.get("media_type")
    context["media_product_type"] = obj.get("media_product_type")
    row_obj = {name: values.get(table.column(name).source_path) for name in _metric_columns(table, plan.columns)}
    return build_row(table, plan.columns, row_obj, context)


# ----------------------------------------------------------------- account

def _account_params(plan):
    """API parameters: control columns (filter value, else default), the
    table's fixed metric_type/breakdown, since/until."""
    table, spec = plan.table, plan.table.source.insights
    params = {}
    for col in table.columns:
        if col.origin == "control" and col.name not in ("since", "until"):
            value = plan.params.get(col.name, col.default)
            if value is not None:
                params[col.name] = value
    if spec.metric_type:
        params["metric_type"] = spec.metric_type
    if spec.breakdown:
        params["breakdown"] = spec.breakdown
    for key in ("since", "until"):
        if key in plan.params:
            params[key] = plan.params[key]
    return params


def _requested_metrics(plan, params):
    table, spec = plan.table, plan.table.source.insights
    if spec.shape == "long":
        return (plan.filter_values("metric") or [])
    if "metric" in params:
        return params["metric"].split(",")
    metric_type = params.get("metric_type") or "default"
    wanted, skipped = [], []
    for name in _metric_columns(table, plan.columns) or \
            [c.name for c in table.columns if c.origin == "metric"][:1]:
        col = table.column(name)
        if col.metric_types and metric_type not in col.metric_types:
            skipped.append((name, col.metric_types))
        else:
            wanted.append(col.source_path)
    if skipped:
        plan_notice(plan, _metric_type_notice(table, skipped, metric_type))
    return wanted


def _metric_type_notice(table, skipped, metric_type):
    """One NOTICE for every selected column the metric_type cannot give (a
    SELECT * names several)."""
    by_types = {}
    for name, types in skipped:
        by_types.setdefault(tuple(types), []).append("%s.%s" % (table.name, name))
    cols = ", ".join(c for names in by_types.values() for c in names)
    verb = "is" if len(skipped) == 1 else "are"

    def types_text(types):
        return " or ".join("'%s'" % t for t in types)
    if len(by_types) == 1:
        types = next(iter(by_types))
        return ("ig_fdw: %s %s NULL: the Graph API gives %s only with metric_type %s, and this query has "
                "metric_type '%s'" % (cols, verb, "it" if len(skipped) == 1 else "them", types_text(types),
                                      metric_type))
    parts = "; ".join("%s only with metric_type %s" % (", ".join(names), types_text(types))
                      for types, names in by_types.items())
    return "ig_fdw: %s %s NULL with metric_type '%s': the Graph API gives %s" % (cols, verb, metric_type, parts)


def plan_notice(plan, message):
    plan.notices.append(message)


def _get_insights(plan, ctx, object_id, params, metrics):
    """GET /{object}/insights, dropping (with a NOTICE) metrics the API
    rejects; None when the object's insights are unavailable."""
    metrics = _follower_count_where_given(plan, ctx, params, metrics)
    while metrics:
        query = dict(params)
        query["metric"] = ",".join(metrics)
        try:
            return ctx.client.get("%s/insights" % object_id, params=query)
        except GraphError as err:
            if is_retention_error(err):
                raise retention_error(plan, params, err) from None
            if is_follower_count_window(err) and FOLLOWER_COUNT in metrics:
                if len(metrics) == 1:
                    raise follower_count_error(plan, params, err) from None
                _follower_count_notice(plan, ctx, params)
                metrics.remove(FOLLOWER_COUNT)
                continue
            bad = _rejected_metric(err, metrics)
            if bad and len(metrics) > 1:
                ctx.notice_once(("metric", bad), "ig_fdw: the Graph API rejected metric '%s' for %s "
                                "(version %s); its column is NULL" % (bad, plan.table.name, ctx.version))
                metrics.remove(bad)
                continue
            if _unavailable(err):
                ctx.notice_once(("unavailable", object_id), "ig_fdw: insights unavailable for %s in %s: %s"
                                % (object_id, plan.table.name, getattr(err, "message", err)))
                return None
            raise
    return None


# ----------------------------------------------------------------- API limits

FOLLOWER_COUNT = "follower_count"
FOLLOWER_COUNT_DAYS = 30        # Meta, since v9.0: "a maximum of 30 days of data"
RETENTION_DAYS = 730            # insights are kept 2 years
DAY = 86400


#: how far before the API's "now" a since is surely outside follower_count's window: its 30 days end at
#: the last complete day (midnight Pacific time), at most a day and 8 hours back, so 32 days leave a margin
FOLLOWER_COUNT_SURELY_OUT_DAYS = FOLLOWER_COUNT_DAYS + 2


def _follower_count_where_given(plan, ctx, params, metrics):
    """The metrics to ask for: without follower_count (NULL, with the NOTICE the API's refusal gives)
    when other metrics are asked too and `since` is surely outside its last 30 days by the API's clock,
    so that the window costs one call, not a refused call and a second round.  With the clock not
    known yet (no answer in this backend) or near the limit, the API decides, as before."""
    metrics = list(metrics)
    if FOLLOWER_COUNT not in metrics or len(metrics) == 1 or params.get("since") is None:
        return metrics
    now = api_now(ctx.client)
    if now is None or int(params["since"]) >= now - FOLLOWER_COUNT_SURELY_OUT_DAYS * DAY:
        return metrics
    _follower_count_notice(plan, ctx, params)
    return [m for m in metrics if m != FOLLOWER_COUNT]


def _follower_count_notice(plan, ctx, params):
    ctx.notice_once(("follower_count_window", plan.table.name),
                    "ig_fdw: %s.follower_count is NULL: the Graph API gives daily follower counts "
                    "for the last %d days only, excluding today, and this query starts earlier "
                    "(since %s)" % (plan.table.name, FOLLOWER_COUNT_DAYS, _since_text(params)))


class InsightsLimit(InvalidParameter):
    """A request outside what the Graph API keeps (SQLSTATE 22023), with a
    hint saying which filter to change."""


def is_follower_count_window(err):
    """Meta's answer to follower_count outside the last 30 days."""
    text = str(getattr(err, "message", err))
    return isinstance(err, InvalidParameter) and FOLLOWER_COUNT in text and "30 days" in text


def is_retention_error(err):
    """Meta's answer to a since more than 2 years back."""
    text = str(getattr(err, "message", err)).lower()
    return isinstance(err, InvalidParameter) and "since" in text and "2 years" in text


def _since_text(params):
    since = params.get("since")
    if since is None:
        return "not set"
    return datetime.datetime.fromtimestamp(int(since), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00")


def _graph_detail(err):
    return "the Graph API said: %s" % getattr(err, "message", err) if err is not None else \
        "refused before calling the Graph API"


def follower_count_error(plan, params, err):
    return InsightsLimit(
        "%s.follower_count: the Graph API gives daily follower counts for the last %d days only, excluding "
        "today, and this query starts earlier (since %s; %s)"
        % (plan.table.name, FOLLOWER_COUNT_DAYS, _since_text(params), _graph_detail(err)),
        code=getattr(err, "code", None), subcode=getattr(err, "subcode", None),
        # "days" end at midnight Pacific time, so current_date - 30 can still reach one day too far
        hint="Filter since within the last %d days (e.g. since >= current_date - %d), or select other "
             "metrics too: follower_count is then NULL outside that window." % (FOLLOWER_COUNT_DAYS,
                                                                                FOLLOWER_COUNT_DAYS - 1))


def retention_error(plan, params, err=None):
    return InsightsLimit(
        "%s: since %s is more than 2 years ago; the Graph API keeps insights for 2 years (%d days) "
        "(%s)" % (plan.table.name, _since_text(params), RETENTION_DAYS, _graph_detail(err)),
        code=getattr(err, "code", None), subcode=getattr(err, "subcode", None),
        hint="Filter since within the last 2 years (e.g. since >= now() - interval '2 years' + interval '1 day').")


def api_now(client):
    """Epoch seconds by the Graph API's clock, or None when this backend has
    not had an answer from it yet.

    The API's ``Date`` header is the clock its limits are judged by; the
    local clock may be skewed (and the sandbox has a clock of its own).  The
    offset is kept by ``ig_fdw.graph.apiclock`` (issue 16) where available.
    """
    try:
        from ig_fdw.graph import apiclock
        offset = apiclock.offset(client.base_url)
    except (ImportError, AttributeError):
        return None
    # 0.0 means "no answer seen yet": a real offset carries the fraction of the local clock
    return time.time() + offset if offset else None


def check_retention(plan, ctx, params):
    """Refuse, before any call, a since more than 2 years back by the API's
    clock (when known); otherwise the API's own refusal gives the same error."""
    since = params.get("since")
    now = api_now(ctx.client) if since is not None else None
    if now is not None and int(since) < now - RETENTION_DAYS * DAY:
        raise retention_error(plan, params)


def account_insight_rows(plan, ctx):
    """Account (or object) insights: one request per target; rows are long
    (insights), hourly (online_followers) or pivoted (wide tables)."""
    table, spec = plan.table, plan.table.source.insights
    params = _account_params(plan)
    params.pop("metric", None)
    metrics = _requested_metrics(plan, _account_params(plan))
    for message in plan.notices:
        ctx.notice_once(message, message)
    if not metrics:
        return
    check_retention(plan, ctx, params)
    windows = list(_days(params)) if spec.daily else _windows(plan, params)
    if plan.parents is not None:
        targets = [(oid, None) for oid in plan.parents]
    else:
        targets = [(acct, acct) for acct in ctx.accounts(plan.accounts)]
    for object_id, acct in targets:
        bodies = _get_windows(plan, ctx, object_id, windows, metrics)
        if not spec.daily and all(body is None for body in bodies):
            continue
        long_rows = []
        seen = set()
        for window, body in zip(windows, bodies):
            for r in flatten(body, object_id) if body else []:
                if spec.daily:
                    r["end_time"] = parse_graph_time(int(window["until"]))
                key = (r["metric"], r["end_time"], r["breakdown"], tuple(r["dimension_values"]))
                if r["end_time"] is not None and key in seen:
                    continue        # a value at the boundary of two windows
                seen.add(key)
                long_rows.append(r)
        echo = dict(params)
        echo.update({k: v for k, v in plan.echo.items() if v is not None})
        echo["business_account_id"] = acct
        for key in ("since", "until"):
            if key in params and key not in plan.echo:
                echo[key] = parse_graph_time(int(params[key]))
        if spec.shape == "long":
            for r in long_rows:
                context = dict(echo)
                context.update(r)
                yield build_row(table, plan.columns, r, context)
        elif spec.shape == "hourly":
            for r in long_rows:
                for hour, count in sorted((r["value_json"] or {}).items(), key=lambda kv: int(kv[0])):
                    context = dict(echo)
                    context.update({"end_time": r["end_time"], "hour": int(hour), "followers": count})
                    yield build_row(table, plan.columns, {}, context)
        else:
            yield from _pivot(table, plan.columns, long_rows, echo)


def _days(params):
    """One-day windows: every whole day from since's day up to until
    (default: 7 days), at least one.  ``until < '2024-01-08'`` (or ``=``,
    or ``<=``) is 7 days, Jan 1 to Jan 7: a day is asked when it ends by
    until (the second the planner adds to an inclusive until does not add
    a day)."""
    since = int(params["since"]) // DAY * DAY
    until = int(params.get("until") or since + 7 * DAY) // DAY * DAY
    day = since
    while day < max(until, since + DAY):
        p = dict(params)
        p["since"], p["until"] = str(day), str(day + DAY)
        yield p
        day += DAY


#: the longest since..until range one insights call may have (Meta: "There cannot be more than 30 days")
MAX_RANGE_DAYS = 30


def _windows(plan, params):
    """The since/until windows of one insights call each: the range itself,
    or, when it is longer than the API allows, consecutive windows of at
    most 30 days (time series only: a total over a range is not the sum of
    totals over its parts, so a long range there is a clear error)."""
    if "since" not in params or "until" not in params:
        return [params]
    since, until = int(params["since"]), int(params["until"])
    if until - since <= MAX_RANGE_DAYS * DAY:
        return [params]
    if not _splittable(params):
        raise InsightsLimit(
            "%s: since %s to until %s is more than %d days, the longest range the Graph API gives a total "
            "for (metric_type %s, period %s)" % (plan.table.name, _since_text(params), _time_text(until),
                                                  MAX_RANGE_DAYS, params.get("metric_type") or "default",
                                                  params.get("period") or "day"),
            hint="Filter since and until at most %d days apart (a total over a longer range is not the sum "
                 "of totals over its parts), or use a daily time series." % MAX_RANGE_DAYS)
    out = []
    start = since
    while start < until:
        p = dict(params)
        p["since"], p["until"] = str(start), str(min(start + MAX_RANGE_DAYS * DAY, until))
        out.append(p)
        start += MAX_RANGE_DAYS * DAY
    return out


def _splittable(params):
    """A time series (values by end_time) can be asked in parts and joined."""
    return params.get("metric_type") in (None, "default", "time_series") and "breakdown" not in params and \
        params.get("period") not in ("lifetime", "total_over_range")


def _time_text(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00")


def _get_windows(plan, ctx, object_id, windows, metrics):
    """The insights of every window, fetched concurrently (up to the
    client's MaxConcurrency) and returned in window order.  NOTICEs raised
    on the workers are given afterwards, on the calling thread (the only
    one that may talk to PostgreSQL)."""
    if len(windows) == 1:
        return [_get_insights(plan, ctx, object_id, windows[0], metrics)]
    deferred = _DeferredNotices(ctx)
    bodies = ctx.client.map_concurrent(lambda w: _get_insights(plan, deferred, object_id, w, metrics), windows)
    deferred.replay()
    return bodies


class _DeferredNotices:
    """A ScanContext stand-in for worker threads: NOTICEs are kept, in order, for `replay()`."""

    def __init__(self, ctx):
        self._ctx = ctx
        self.client, self.version = ctx.client, ctx.version
        self._notes = []

    def notice_once(self, key, message):
        self._notes.append((key, message))

    def replay(self):
        for key, message in self._notes:
            self._ctx.notice_once(key, message)


def _pivot(table, columns, long_rows, echo):
    """Long rows -> one row per (end_time, dimension values)."""
    groups = {}
    order = []
    for r in long_rows:
        key = (r["end_time"], tuple(r["dimension_values"]))
        if key not in groups:
            groups[key] = {}
            order.append(key)
        groups[key][r["metric"]] = r["value_json"]
    for key in order:
        end_time, dims = key
        context = dict(echo)
        context["end_time"] = end_time
        values = groups[key]
        obj = dict(values)
        obj["dimension"] = ",".join(dims) if dims else None
        obj["value"] = next(iter(values.values()), None) if len(values) == 1 else None
        yield build_row(table, columns, obj, context)
