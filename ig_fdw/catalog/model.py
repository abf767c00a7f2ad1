"""The vocabulary of the declarative catalog.

A `Table` says where its rows come from (a `Source`), which columns it has
and where each column's value comes from, which WHERE clauses can be pushed to
the Graph API and which are required.  The FDW core reads these entries; it
has no per-table code.
"""

from dataclasses import dataclass, field as dc_field
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
      'raw'     the whole Graph object as jsonb
    """
    name: str
    type: str
    origin: str = "field"
    path: Optional[str] = None
    doc: str = ""
    writable: Tuple[str, ...] = ()      # the operations that may set it: 'insert', 'update' (ig_fdw.writes)
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
      'ids'       objects read by id only (an 'id' KeyQual is required)
      'insights'  GET /{object}/insights, flattened to rows
      'me'        an edge of the token's user (/me/accounts, /me/permissions)
      'expansion' a field expansion on the account node
                  (business_discovery.username(x){...})
      'procedure' an OAuth stored procedure (ig_fdw.procedures)
    """
    kind: str
    edge: Optional[str] = None          # 'media', 'comments', 'insights', 'accounts'
    parent: str = "account"             # 'account' | column name of a 'parent' KeyQual | 'me'
    fan_out: Optional[str] = None       # table whose rows are the parents when no parent qual is given
    page_cap: Optional[int] = None      # largest page the edge accepts
    params: Tuple[Tuple[str, str], ...] = ()   # fixed API parameters
    expansion: Optional[str] = None     # 'business_discovery.username' etc.
    insights: Optional["InsightsSpec"] = None
    procedure: Optional[str] = None
    native_order: Optional[Tuple[str, bool]] = None   # (column, descending) the edge returns


@dataclass(frozen=True)
class InsightsSpec:
    """How an insights table asks and flattens.

    shape 'wide': one row per object (and end_time for time series), one
    column per metric.  shape 'long': one row per metric value.
    target: 'media' (media ids: media_id qual or fan-out over media) or
    'account'.
    """
    target: str
    shape: str = "wide"
    metric_type: Optional[str] = None        # fixed metric_type, or None = from the control column
    breakdown: Optional[str] = None          # fixed breakdown
    media_types: Tuple[str, ...] = ()        # which media a wide media table covers
    product_types: Tuple[str, ...] = ()
    daily: bool = False                      # one request per day between since and until


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
    writable: Tuple[str, ...] = ()           # 'insert', 'update', 'delete'
    scopes: Tuple[str, ...] = ()
    extra_options: Tuple[str, ...] = dc_field(default=())

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
