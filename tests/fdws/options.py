"""Echoes its options (or column definitions) as rows (k, v)."""

from multicorn import ForeignDataWrapper


class Echo(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Echo, self).__init__(options, columns)
        self.options = options
        self.columns = columns

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        if self.options.get("mode") == "columns":
            for name, col in self.columns.items():
                yield {"k": name, "v": "%s|%s|%d|%d|%s" % (col.type_name, col.base_type_name, col.type_oid,
                                                          col.typmod, dict(sorted(col.options.items())))}
            return
        for key, value in sorted(self.options.items()):
            yield {"k": key, "v": value}
