"""A test FDW that reports, through NOTICEs, every call the runtime makes.

Table options:
  rows       number of rows to produce (columns: id int, name text, ...)
  path_keys  JSON list like [[["id"], 1]] returned by get_path_keys()
  sortable   comma-separated columns can_sort() accepts (in request order)
  limit_ok   'true' to accept can_limit() (execute() then applies limit/offset)
  rel_size   'rows,width' returned by get_rel_size()
  ids_per_call, concurrency, scan_calls
             turn on get_call_estimate() (our runtime's extension): a list qual of n
             values costs ceil(n / ids_per_call) calls, concurrency at a time; a scan
             without an '=' qual costs scan_calls calls in as many rounds
Rows are dicts: id = 1..rows, name = 'n<id>', flag = id % 2 = 0,
ts = 2024-01-<id> UTC, tags = ['t<id>'], score = id * 1.5 (only the columns
the table has are filled).
"""

import datetime
import json

from multicorn import ForeignDataWrapper, TableDefinition, ColumnDefinition
from multicorn.utils import log_to_postgres


def describe(value):
    if isinstance(value, list):
        return "[%s]" % ", ".join(describe(v) for v in value)
    return "%r:%s" % (value, type(value).__name__)


class Recorder(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Recorder, self).__init__(options, columns)
        self.options = options
        self.columns = columns
        self.nrows = int(options.get("rows", "5"))
        log_to_postgres("init %s" % ",".join(sorted(k for k in options)))

    def get_rel_size(self, quals, columns):
        if "rel_size" in self.options:
            rows, width = self.options["rel_size"].split(",")
            return (int(rows), int(width))
        return super(Recorder, self).get_rel_size(quals, columns)

    def __getattr__(self, name):
        # get_call_estimate exists only when the table asks for it (the runtime feature-detects it)
        if name == "get_call_estimate" and "ids_per_call" in self.__dict__.get("options", {}):
            return self._call_estimate
        raise AttributeError(name)

    def _call_estimate(self, quals, columns):
        per, conc = int(self.options["ids_per_call"]), int(self.options.get("concurrency", "1"))
        log_to_postgres("get_call_estimate %s" % ", ".join(self._qual_text(q) for q in quals))
        for q in quals:
            if q.is_list_operator and q.operator[1] and isinstance(q.value, list):
                calls = max(1, -(-len(q.value) // per))
                return (calls, -(-calls // conc))
            if q.operator == "=":
                return (1, 1)
        n = int(self.options.get("scan_calls", "1"))
        return (n, n)

    def get_path_keys(self):
        if "path_keys" in self.options:
            return [(tuple(cols), rows) for cols, rows in json.loads(self.options["path_keys"])]
        return []

    def can_sort(self, sortkeys):
        allowed = [c for c in self.options.get("sortable", "").split(",") if c]
        log_to_postgres("can_sort %s" % [(k.attname, k.is_reversed, k.nulls_first) for k in sortkeys])
        accepted = []
        for key in sortkeys:
            if key.attname not in allowed:
                break
            accepted.append(key)
        return accepted

    def can_limit(self, limit, offset):
        log_to_postgres("can_limit %r %r" % (limit, offset))
        return self.options.get("limit_ok") == "true"

    def explain(self, quals, columns, sortkeys=None, verbose=False, limit=None, offset=None):
        yield "quals: %s" % ", ".join(self._qual_text(q) for q in quals)
        yield "columns: %s" % ",".join(columns)
        if verbose:
            yield "verbose explain"

    def _qual_text(self, q):
        from multicorn import UNBOUND
        value = "UNBOUND" if q.value is UNBOUND else describe(q.value)
        op = q.operator if not q.is_list_operator else "%s %s" % (
            q.operator[0], "ANY" if q.list_any_or_all is not None and q.operator[1] else "ALL")
        return "%s %s %s" % (q.field_name, op, value)

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for q in quals:
            log_to_postgres("qual %s | list=%s" % (self._qual_text(q), q.is_list_operator))
        log_to_postgres("columns %s" % ",".join(columns))
        if sortkeys:
            log_to_postgres("sortkeys %s" % [(k.attname, k.is_reversed) for k in sortkeys])
        if limit is not None or offset is not None:
            log_to_postgres("limit %r offset %r" % (limit, offset))
        order = list(range(1, self.nrows + 1))
        if sortkeys and sortkeys[0].attname == "id" and sortkeys[0].is_reversed:
            order.reverse()
        # as multicorn2 requires once can_limit() said yes: skip offset, stop at limit
        order = order[offset or 0:]
        if limit is not None:
            order = order[:limit]
        for i in order:
            yield self.row(i, columns)

    def row(self, i, columns):
        full = {
            "id": i,
            "name": "n%d" % i,
            "flag": i % 2 == 0,
            "ts": datetime.datetime(2024, 1, min(i, 28), tzinfo=datetime.timezone.utc),
            "tags": ["t%d" % i],
            "score": i * 1.5,
        }
        return {k: v for k, v in full.items() if k in self.columns}

    def end_scan(self):
        log_to_postgres("end_scan")

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        log_to_postgres("import_schema %s %s %s %s" % (
            schema, sorted(srv_options), restriction_type, sorted(restricts or [])))
        tables = []
        for name in ("alpha", "beta", "gamma"):
            tables.append(TableDefinition(
                name,
                columns=[ColumnDefinition("id", type_name="integer"),
                         ColumnDefinition("name", type_name="text", options={"src": name})],
                options={"rows": "3", "kind": options.get("kind", "none")}))
        return tables
