"""Writable test FDWs: an in-memory table and a transaction-aware one.

Every hook reports itself with a NOTICE, so tests can check the order.
Data lives in a class-level dict keyed by the table option `store`.
"""

from multicorn import ForeignDataWrapper, TransactionAwareForeignDataWrapper
from multicorn.utils import log_to_postgres

STORES = {}


class Writable(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Writable, self).__init__(options, columns)
        self.store = STORES.setdefault(options.get("store", "default"), {})
        self.batch = int(options.get("batch", "1"))
        self.next_id = 100

    @property
    def rowid_column(self):
        return "id"

    @property
    def modify_batch_size(self):
        return self.batch

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for key in sorted(self.store):
            yield dict(self.store[key])

    def insert(self, values):
        log_to_postgres("insert %s" % sorted((k, v) for k, v in values.items() if v is not None))
        row = dict(values)
        if row.get("id") is None:
            self.next_id += 1
            row["id"] = self.next_id
        row["note"] = "created"
        self.store[row["id"]] = row
        return row

    def bulk_insert(self, all_values):
        log_to_postgres("bulk_insert %d" % len(all_values))
        return [self.insert(v) for v in all_values]

    def update(self, rowid, newvalues):
        log_to_postgres("update %r -> %s" % (rowid, sorted(newvalues.items())))
        row = dict(newvalues)
        row["note"] = "updated"
        self.store.pop(rowid, None)
        self.store[row["id"]] = row
        return row

    def delete(self, rowid):
        log_to_postgres("delete %r" % (rowid,))
        return self.store.pop(rowid, None)

    def begin(self, serializable):
        log_to_postgres("begin %s" % serializable)

    def pre_commit(self):
        log_to_postgres("pre_commit")

    def commit(self):
        log_to_postgres("commit")

    def rollback(self):
        log_to_postgres("rollback")

    def sub_begin(self, level):
        log_to_postgres("sub_begin %d" % level)

    def sub_commit(self, level):
        log_to_postgres("sub_commit %d" % level)

    def sub_rollback(self, level):
        log_to_postgres("sub_rollback %d" % level)

    def end_modify(self):
        log_to_postgres("end_modify")


class Queued(TransactionAwareForeignDataWrapper):
    """Applies queued writes to its store at pre_commit."""

    def __init__(self, options, columns):
        super(Queued, self).__init__(options, columns)
        self.store = STORES.setdefault(options.get("store", "queued"), {})

    @property
    def rowid_column(self):
        return "id"

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        for key in sorted(self.store):
            yield dict(self.store[key])

    def pre_commit(self):
        for kind, payload in self.current_transaction_state:
            if kind == "insert":
                self.store[payload["id"]] = payload
            elif kind == "delete":
                self.store.pop(payload, None)
            elif kind == "update":
                rowid, values = payload
                self.store.pop(rowid, None)
                self.store[values["id"]] = values
        log_to_postgres("applied %d" % len(self.current_transaction_state))
        self._init_transaction_state()
