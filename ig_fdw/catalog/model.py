"""The vocabulary of the declarative catalog.

A `Table` says where its rows come from (a `Source`), which columns it has
and where each column's value comes from, which WHERE clauses can be pushed to
the Graph API and which are required, what it accepts in writes (`Writes`,
`writer`) and, for media insights, which metrics the API gives (`metrics`).
The entries live in ig_fdw/tables/, one module per table family; the FDW core
(fdw, planner, executor, insights, rows) reads them only through these fields.

This package and ig_fdw/tables/ import nothing from ig_fdw.graph or
ig_fdw.auth: loading the catalog loads no HTTP or crypto library.
"""

import importlib
from dataclasses import dataclass
from typing import Optional, Tuple

EQ = ("=",)
IN = ("=", "IN")            # '=' and '= ANY(...)' / IN lists
RANGE = (">", ">=", "<", "<=")


@dataclass(frozen=True)
class Column:
    """A column.

    origin:
      'field'   a Graph API field (``path`` is the field, dotted for nested
                objects: 'from.id'); only requested columns become ``fields=``
      'context' a value of the request: the account, the parent object id,
                a control parameter echoed back ('business_account_id',
                'parent', or the name of a control parameter)
      'control' an API parameter the user filters on (period, metric_type...);
                its value is echoed back from the qual or the default
      'metric'  an insights metric value (``path`` is the metric name)
    """
    name: str
    type: str
    origin: str = "field"
    path: Optional[str] = None
    doc: str = ""
    default: Optional[str] = None      # control columns: value used when not filtered
    choices: Tuple[str, ...] = ()      # control columns: accepted values
    metric_types: Tuple[str, ...] = ()  # metric columns: the metric_type values the API accepts it with
    kind: Optional[str] = None          # what a value from SQL must look like before it goes into a
    #                                     request: a key of ig_fdw.values.KINDS ('graph_id', 'username',
    #                                     'hashtag', 'name', 'names') or 'text' (free, encoded by its user)

    @property
    def source_path(self):
        return self.path or self.name


@dataclass(frozen=True)
class KeyQual:
    """A WHERE clause the Graph API can answer.

    role:
      'id'      direct object reads (``?ids=``, batched 50 a call)
      'parent'  the id of the object whose edge is listed (media_id for comments)
      'account' the business account to read (business_account_id)
      'param'   passed as the API parameter ``param``
      'since'   lower bound of a time range (since=)
      'until'   upper bound of a time range (until=)
    """
    column: str
    operators: Tuple[str, ...]
    role: str
    param: Optional[str] = None
    required: bool = False


@dataclass(frozen=True)
class Source:
    """Where rows come from.

    kind:
      'node'      one object per account: GET /{account}?fields=...
      'edge'      the rows of an edge: GET /{parent}/{edge} paged; parent is the
                  account, a key column, or (fan_out) each row of another table
      'insights'  GET /{object}/insights, flattened to rows
      'me'        an edge of the token's user (/me/accounts, /me/permissions)
      'expansion' a field expansion on the account node
                  (business_discovery.username(x){...})
      'search'    GET /{edge}?<params> once per filter value (hashtag search)
      'procedure' an OAuth stored procedure (ig_fdw.procedures)

    Any table with an 'id' KeyQual is read by id (``?ids=``, 50 a call)
    when the query gives its ids, whatever its kind.

    params: fixed API parameters; a value '{account}' is the business
    account being read, '{column}' the filter value of that column.
    """
    kind: str
    edge: Optional[str] = None          # 'media', 'comments', 'insights', 'accounts'
    parent: str = "account"             # 'account' | column name of a 'parent' KeyQual | 'me'
    fan_out: Optional[str] = None       # table whose rows are the parents when no parent qual is given
    page_cap: Optional[int] = None      # largest page the edge accepts (None: the client's Pagesize, at most 100)
    params: Tuple[Tuple[str, str], ...] = ()   # fixed API parameters
    expansion: Optional[str] = None     # 'business_discovery.username' etc.
    insights: Optional["InsightsSpec"] = None
    procedure: Optional[str] = None
    native_order: Optional[Tuple[str, bool]] = None   # (column, descending) the edge returns


@dataclass(frozen=True)
class InsightsSpec:
    """How an insights table asks and flattens.

    shape 'wide': one row per (end_time, breakdown value), one column per
    metric.  'long': one row per metric value.  'hourly': one row per hour
    of an online_followers value.
    target: 'media' (media ids: media_id qual, or the rows of the Source's
    fan_out table) or 'account' (the accounts, or object_id for 'long').
    daily: one request per whole day between since and until (the API
    breaks down totals, not time series); otherwise a range longer than
    the API's 30 days is asked in windows of at most 30 days.
    """
    target: str
    shape: str = "wide"
    metric_type: Optional[str] = None        # fixed metric_type, or None = from the control column
    breakdown: Optional[str] = None          # fixed breakdown
    media_types: Tuple[str, ...] = ()        # which media a wide media table covers
    product_types: Tuple[str, ...] = ()
    daily: bool = False                      # one request per day between since and until


@dataclass(frozen=True)
class Writes:
    """What a writable table accepts: the one declaration of writability.

    insert / update: the columns an INSERT / UPDATE may set (None: the
    operation is not offered); delete: DELETE is offered; required: columns
    an INSERT must set; other: a hint for the operations it does not offer.
    """
    insert: Optional[Tuple[str, ...]] = None
    update: Optional[Tuple[str, ...]] = None
    delete: bool = False
    required: Tuple[str, ...] = ()
    other: Optional[str] = None

    @property
    def operations(self):
        return tuple(op for op, on in (("insert", self.insert is not None), ("update", self.update is not None),
                                       ("delete", self.delete)) if on)

    @property
    def columns(self):
        return tuple(dict.fromkeys((self.insert or ()) + (self.update or ())))


def resolve(ref):
    """'package.module:Name' -> the object (write handlers are named, not
    imported, so that the catalog does not load the Graph client)."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    source: Source
    columns: Tuple[Column, ...]
    quals: Tuple[KeyQual, ...] = ()
    reference: Optional[str] = None          # CData object name
    rows_estimate: int = 1000
    path_keys: Tuple[Tuple[Tuple[str, ...], int], ...] = ()
    scopes: Tuple[str, ...] = ()
    writes: Optional[Writes] = None          # None: read-only
    writer: Optional[str] = None             # 'module:Class' handling the writes (resolve())
    metrics: Optional[object] = None         # media insights: the metric rules (tables/media_insights.py)
    account_from: Optional[str] = None       # column holding a media id whose owner is the row's account,
    #                                          asked when rows read by id or by parent do not carry it

    @property
    def writable(self):
        """The write operations offered ('insert', 'update', 'delete')."""
        return self.writes.operations if self.writes is not None else ()

    @property
    def page_cap(self):
        return self.source.page_cap

    def column(self, name):
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def quals_for(self, column):
        return [q for q in self.quals if q.column == column]

    @property
    def required_quals(self):
        return [q for q in self.quals if q.required]
