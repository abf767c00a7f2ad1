"""Test wrappers that follow multicorn2 3.2's rules, for tests/runtime/test_conformance.py.

They do what a wrapper written for multicorn2 does, and report each call
with a NOTICE so that the tests can check what the runtime handed over.

Conform (table options):
  rows        number of rows (default 5): id = 1..rows, name = 'n<id>',
              flag = True / False / None in turn (id % 3 == 1 / 2 / 0)
  limit_ok    'true': can_limit() accepts; execute() then skips `offset`
              rows and returns at most `limit`, as multicorn2 requires
  sortable    comma-separated columns can_sort() accepts
  writable    'true': rowid_column is 'id' and writes change the rows
  returns     'none' (default): insert/update/delete return None
  produce     what execute() returns instead of rows: 'none' (None),
              'none_row' (a row, then None),
              'bytes' (name as UTF-8 bytes), 'bad_bytes' (name as bytes
              that are not UTF-8), 'hstore' (a dict in column `data`)
  warn_rowid  'true': reading rowid_column emits a WARNING (some wrappers
              warn there that they are read-only)
"""

from multicorn import ForeignDataWrapper, UNBOUND
from multicorn.utils import WARNING, log_to_postgres

#: Rows of writable tables, per table option `store`.
STORES = {}


class Conform(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Conform, self).__init__(options, columns)
        self.options = options
        self.columns = columns
        nrows = int(options.get("rows", "5"))
        self.store = STORES.setdefault(options.get("store", "default"), {})
        if not self.store:
            for i in range(1, nrows + 1):
                self.store[i] = {"id": i, "name": "n%d" % i,
                                 "flag": {1: True, 2: False, 0: None}[i % 3]}

    # ---- planning
    def can_sort(self, sortkeys):
        log_to_postgres("can_sort %r" % ([(k.attname, k.is_reversed, k.collate) for k in sortkeys],))
        allowed = [c for c in self.options.get("sortable", "").split(",") if c]
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
        yield "explain sortkeys=%r" % (sortkeys,)
        for q in quals:
            yield "qual %s %s %r%s" % (q.field_name, q.operator, q.value,
                                       " (UNBOUND)" if q.value is UNBOUND else "")

    @property
    def rowid_column(self):
        if self.options.get("warn_rowid") == "true":
            log_to_postgres("rowid_column read", WARNING)
        return "id" if self.options.get("writable") == "true" else None

    # ---- scans
    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        log_to_postgres("execute columns=%s limit=%r offset=%r" % (sorted(columns), limit, offset))
        for q in quals:
            log_to_postgres("qual %s %r %r" % (q.field_name, q.operator, q.value))
        produce = self.options.get("produce")
        if produce == "none":
            return None
        if produce == "none_row":
            return [{"id": 1}, None]
        rows = [dict(self.store[k]) for k in sorted(self.store)]
        if sortkeys and sortkeys[0].is_reversed:
            rows.reverse()
        if produce == "bytes":
            for r in rows:
                r["name"] = ("caf\u00e9 %s\n" % r["name"]).encode("utf-8")
        elif produce == "bad_bytes":
            for r in rows:
                r["name"] = b"\xff\xfe" + r["name"].encode("ascii")
        elif produce == "hstore":
            for r in rows:
                r["data"] = {"k": r["name"], 'q"uote': 'back\\slash', "empty": None}
        if offset:
            rows = rows[offset:]
        if limit is not None:
            rows = rows[:limit]
        return [{k: v for k, v in r.items() if k in self.columns} for r in rows]

    # ---- writes: report the call and return None (multicorn2 shows the row)
    def insert(self, values):
        log_to_postgres("insert %r" % (sorted(values.items()),))
        self.store[values["id"]] = dict(values)

    def update(self, oldvalues, newvalues):
        log_to_postgres("update %r" % (oldvalues,))
        self.store.pop(oldvalues, None)
        self.store[newvalues["id"]] = dict(newvalues)

    def delete(self, oldvalues):
        log_to_postgres("delete %r" % (oldvalues,))
        self.store.pop(oldvalues, None)

    def begin(self, serializable):
        log_to_postgres("begin")

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        log_to_postgres("import_schema srv_options=%s" % sorted(srv_options.items()))
        return []
