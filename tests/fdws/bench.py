"""The throughput FDW of bench/runtime.py: 6 columns of native values.

Options: rows (count), shape ('dict' | 'tuple').  Rows are precomputed once
per instance so the measure is the runtime's, not Python's row building.
"""

import datetime

from multicorn import ForeignDataWrapper

UTC = datetime.timezone.utc


def make_rows(n, shape):
    base = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        values = (i, "caption %d #tag" % i, base + datetime.timedelta(seconds=i), i % 1000,
                  {"likes": i % 97, "kind": "IMAGE"}, ["a", "b"])
        if shape == "dict":
            rows.append(dict(zip(("id", "caption", "ts", "likes", "meta", "tags"), values)))
        else:
            rows.append(values)
    return rows


class Throughput(ForeignDataWrapper):
    _cache = {}

    def __init__(self, options, columns):
        super(Throughput, self).__init__(options, columns)
        key = (int(options.get("rows", "1000")), options.get("shape", "dict"))
        if key not in self._cache:
            self._cache[key] = make_rows(*key)
        self.rows = self._cache[key]

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        return iter(self.rows)
