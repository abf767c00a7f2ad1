"""From what PostgreSQL asks (quals, columns, sort, limit) to what to ask the
Graph API: which objects, which edge, which fields and parameters.

The planner only reads the catalog entry; it never calls the API.  Its
result, a `ScanPlan`, is also what EXPLAIN prints.  It is the only planner:
when a table's rows hang off the rows of another table (comments of every
media, insights of every media, replies of every comment), the plan holds
the plan of that other table (`ScanPlan.parents_plan`), built here and run
by the executor for every consumer, insights included.
"""

import datetime
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ig_fdw import catalog, values

UTC = datetime.timezone.utc


class MissingQual(Exception):
    """A required WHERE clause is absent (Steampipe-style message)."""

    sqlstate = "HV00L"   # fdw_unable_to_create_execution

    def __init__(self, table, alternatives):
        self.table = table
        self.alternatives = alternatives
        parts = ["column '%s' operator %s" % (q.column, " or ".join(_op_names(q.operators)))
                 for q in alternatives]
        super().__init__("table '%s' is missing a required qual: %s" % (table.name, "; or ".join(parts)))
        self.hint = "Add e.g. WHERE %s = '...' (or join on that column)." % alternatives[0].column


# A filter value that cannot go into a request (22023); ig_fdw.values checks kinds and allowed values.
BadQualValue = values.InvalidValue


def _op_names(ops):
    return ["IN" if o == "IN" else "'%s'" % o for o in ops]


@dataclass
class Filter:
    """The pushable conditions on one column: equal values, range bounds."""
    values: Optional[List] = None      # '=' / IN: the accepted values (intersection)
    lower: Optional[object] = None     # (value, inclusive)
    upper: Optional[object] = None


def as_text(value):
    """Qual values arrive typed (our runtime) or as strings (multicorn2)."""
    if value is None or value is values.UNBOUND:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_datetime(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-3] in "+-" and text[-2:].isdigit():   # '+02' -> '+02:00'
        text += ":00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadQualValue("cannot read %r as a timestamp" % (value,))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def collect_filters(table, quals):
    """Map column -> Filter for the quals the table can push; others ignored
    (PostgreSQL rechecks every qual anyway)."""
    filters: Dict[str, Filter] = {}
    for q in quals:
        specs = table.quals_for(q.field_name)
        if not specs:
            continue
        ops = set(o for s in specs for o in s.operators)
        f = filters.setdefault(q.field_name, Filter())
        if q.is_list_operator:
            op, is_any = q.operator
            if op != "=" or not is_any or "IN" not in ops:
                continue
            if q.value is values.UNBOUND:       # = ANY($array): the list comes at execution
                _narrow(f, [values.UNBOUND])
            elif isinstance(q.value, (list, tuple)):
                _narrow(f, [v for v in q.value if v is not None])
        elif q.operator == "=" and "=" in ops and q.value is not None:
            _narrow(f, [q.value])
        elif q.operator in (">", ">=") and q.operator in ops and q.value is not None:
            f.lower = (q.value, q.operator == ">=")
        elif q.operator in ("<", "<=") and q.operator in ops and q.value is not None:
            f.upper = (q.value, q.operator == "<=")
    return {k: v for k, v in filters.items() if v.values is not None or v.lower or v.upper}


def _narrow(f, given):
    """Keep the values both filters allow.  Unbound values (a join's keys,
    known at execution) are kept one each: planning counts them."""
    texts = [as_text(v) for v in given]
    if f.values is None:
        out, seen = [], set()
        for v in texts:
            if v is values.UNBOUND:
                out.append(v)
            elif v not in seen:
                seen.add(v)
                out.append(v)
        f.values = out
    else:
        f.values = [v for v in f.values if v in texts]


@dataclass
class ScanPlan:
    table: object
    columns: List[str]
    filters: Dict[str, Filter]
    fields: List[str]                   # Graph fields to request
    mode: str                           # 'ids' | 'edge' | 'node' | 'insights' | 'me' | 'expansion' | 'procedure'
    ids: Optional[List[str]] = None     # direct reads
    parents: Optional[List[str]] = None # parent ids given by quals
    parents_plan: Optional["ScanPlan"] = None   # no parent ids given: the plan whose rows are the parents
    accounts: Optional[List[str]] = None  # business_account_id filter
    params: Dict[str, str] = field(default_factory=dict)
    echo: Dict[str, object] = field(default_factory=dict)   # control column -> the filter's own value
    limit: Optional[int] = None         # rows to fetch: LIMIT + OFFSET
    offset: int = 0                     # rows to skip (can_limit() said yes: PostgreSQL does not)
    sort_desc: bool = False
    empty: bool = False                 # contradictory quals: nothing can match
    expand: bool = False                # the rows come by field expansion on the parents' pages (see below)
    notices: List[str] = field(default_factory=list)   # NOTICEs the plan explains itself with (once each)

    def filter_values(self, column):
        f = self.filters.get(column)
        return f.values if f else None


def graph_fields(table, columns):
    """The fields= list for the requested columns (nested paths -> a{b})."""
    top = {}
    for name in columns:
        col = table.column(name)
        if col is None or col.origin not in ("field", "context") or (col.origin == "context" and not col.path):
            continue
        path = col.source_path.split(".")
        top.setdefault(path[0], set())
        if len(path) > 1:
            top[path[0]].add(path[1])
    out = []
    for name, subs in top.items():
        out.append("%s{%s}" % (name, ",".join(sorted(subs))) if subs else name)
    return out


def plan_scan(table, quals, columns, sortkeys=None, limit=None, offset=None):
    """Turn the scan's quals and columns into a ScanPlan (raises MissingQual)."""
    filters = collect_filters(table, quals)
    values.check_filters(table, filters)     # kinds and allowed values, before anything is built from them
    src = table.source
    plan = ScanPlan(table=table, columns=list(columns), filters=filters,
                    fields=graph_fields(table, columns), mode=src.kind)
    for spec in table.quals:
        f = filters.get(spec.column)
        if f is None:
            continue
        if spec.role == "id" and f.values is not None:
            plan.ids = f.values
            plan.mode = "ids"
        elif spec.role == "parent" and f.values is not None:
            plan.parents = f.values
        elif spec.role == "account" and f.values is not None:
            plan.accounts = f.values
        elif spec.role == "param" and f.values is not None:
            if any(v is values.UNBOUND for v in f.values):
                continue        # planning a generic plan: the value comes at execution
            plan.params[spec.param or spec.column] = ",".join(f.values)
            plan.echo[spec.column] = f.values[0] if len(f.values) == 1 else None
        elif spec.role in ("since", "until"):
            _time_bounds(plan, spec, f)
    for f in filters.values():
        if f.values == []:
            plan.empty = True
    _check_required(table, plan)
    if plan.parents is None and plan.mode != "ids" and src.fan_out and src.parent != "account":
        plan.parents_plan = parents_plan(table, plan.accounts)
        plan.expand = expandable(plan)
    if limit is not None:
        plan.limit = int(limit) + int(offset or 0)
        plan.offset = int(offset or 0)
    if sortkeys:
        plan.sort_desc = bool(sortkeys[0].is_reversed)
    return plan


def parents_plan(table, accounts):
    """The plan of the table whose rows are `table`'s parents (its Source's
    fan_out), itself nested when those rows have parents too (replies ->
    comments -> media).  Parents carry their account; media insights also
    need each media's type to choose its metrics."""
    parent = catalog.get(table.source.fan_out)
    columns = ["id", "business_account_id"]
    if table.source.insights is not None and table.source.insights.target == "media":
        columns += ["media_type", "media_product_type"]
    plan = ScanPlan(table=parent, columns=columns, filters={}, fields=graph_fields(parent, columns),
                    mode=parent.source.kind, accounts=accounts)
    if parent.source.fan_out and parent.source.parent != "account":
        plan.parents_plan = parents_plan(parent, accounts)
    return plan


def expandable(plan):
    """Whether a fan-out can read its rows by field expansion on the pages of
    its parents (``comments.limit(n){...}`` or ``insights.metric(...)`` on
    each media page), so that it costs the parents' pages, not a call or a
    batch item per parent.  Only a fan-out over an edge of the account itself
    (media, stories), or over an edge of those (replies of the comments of
    media), whose requests need no parameter of their own; whether
    the insights metrics allow it is the executor's decision (it depends on
    the configured version)."""
    parent = plan.parents_plan
    if parent is not None and parent.parents_plan is not None and plan.mode == "edge" and \
            parent.mode == "edge" and not parent.table.source.params:
        parent = parent.parents_plan        # replies: nested in the comments expanded on the media pages
    if parent is None or parent.parents_plan is not None or parent.mode != "edge" or \
            parent.table.source.parent != "account" or plan.table.source.params:
        return False
    if plan.mode == "insights":
        return plan.table.source.insights.target == "media" and plan.table.source.fan_out == "media"
    return plan.mode == "edge"


def _time_bounds(plan, spec, f):
    """Time filters -> since/until (unix seconds).  A filter on a control
    column is echoed back as a value that satisfies it, so that PostgreSQL's
    recheck keeps the rows (a strict bound is moved by a microsecond)."""
    tick = datetime.timedelta(microseconds=1)
    echo = None
    if values.UNBOUND in ((f.lower or (None,))[0], (f.upper or (None,))[0]) or values.UNBOUND in (f.values or ()):
        return      # a generic plan: the bound comes at execution (planning only counts calls)
    if spec.role == "since":
        if f.lower:
            value = as_datetime(f.lower[0])
            echo = value if f.lower[1] else value + tick
        elif f.values and len(f.values) == 1:
            value = echo = as_datetime(f.values[0])
        else:
            return
        plan.params["since"] = str(int(value.timestamp()))
    else:
        if f.upper:
            value = as_datetime(f.upper[0])
            echo = value if f.upper[1] else value - tick
            inclusive = f.upper[1]
        elif f.values and len(f.values) == 1:
            value = echo = as_datetime(f.values[0])
            inclusive = True
        else:
            return
        until = int(value.timestamp())
        col = plan.table.column(spec.column)
        if col is not None and col.origin == "control":
            # the end of an insights range (until < / <= / = X all mean "up to X"), in whole seconds
            plan.params["until"] = str(until + 1 if until != value.timestamp() else until)
        else:
            # a row filter (media timestamp): until= is exclusive and whole seconds; '<' sends the bound
            # itself, '<=' and '=' the next second, so that a row at the bound is still asked for
            plan.params["until"] = str(until + 1 if inclusive or until != value.timestamp() else until)
    col = plan.table.column(spec.column)
    if col is not None and col.origin == "control":
        plan.echo[spec.column] = echo


def _check_required(table, plan):
    """Required quals: each group of alternatives (same role) needs one."""
    required = table.required_quals
    if not required or plan.mode == "ids":
        return
    satisfied = any(q.column in plan.filters for q in required)
    if not satisfied:
        raise MissingQual(table, required)
