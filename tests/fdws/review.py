"""Test FDWs for the runtime review regressions (tests/runtime/test_review.py).

Probe: option `mode` selects what execute() does:
  rows            yield `rows` rows {id, name} (the default)
  logmsg          log_to_postgres(option `msg`) once, then the rows
  gen_fin         the rows from a generator whose finally block logs `msg`
  typed           `rows` rows of many types (leak checks)
  names           one row: every column holds its own name
  expr            the rows of the Python expression in option `expr`
  bad_row         one row that cannot be converted (BAD_ROW)
  report_refcount log BAD_ROW's reference count
  report_running  log how many kept generators (option `keep`) still run
  whoami          log the option `who` (from the user mapping)
  api             exercise multicorn2's public names
Other options: show_quals (log the quals), path_keys, fail_on (a hook that
raises), hook_msg/hook_msg_on (a hook that logs hook_msg), bad_limit.
Hooks log 'hook <name>' unless option `quiet_hooks`; validate_options logs
'validate <class> <level> <keys>'.
"""

from multicorn import ForeignDataWrapper
from multicorn.utils import log_to_postgres, WARNING


def _unescape(text):
    """Options are ASCII-safe: '\\u20ac' in an option stands for the euro sign."""
    return text.encode("ascii", "backslashreplace").decode("unicode_escape")


class NoOffset(__import__("datetime").tzinfo):
    """A tzinfo whose utcoffset() is None: Python treats such datetimes as naive."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None

    def tzname(self, dt):
        return None


#: Generators kept alive for inspection (option `keep`).
GENERATORS = []

#: The one row mode 'bad_row' yields; its refcount shows leaked references.
BAD_ROW = {"id": "not an integer", "name": "x"}


class Probe(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Probe, self).__init__(options, columns)
        self.options = options
        self.columns = columns
        self.mode = options.get("mode", "rows")
        self.nrows = int(options.get("rows", "3"))

    @classmethod
    def validate_options(cls, level, options):
        log_to_postgres("validate %s %s %s" % (cls.__name__, level, ",".join(sorted(options))))

    def _hook(self, name):
        if self.options.get("fail_on") and name.startswith(self.options["fail_on"]):
            log_to_postgres("hook %s (failing)" % name)
            raise RuntimeError("%s failed on purpose" % name)
        if "hook_msg" in self.options and name in self.options.get("hook_msg_on", ""):
            log_to_postgres(_unescape(self.options["hook_msg"]), WARNING)
        if "quiet_hooks" not in self.options:
            log_to_postgres("hook %s" % name)

    def can_limit(self, limit, offset):
        if "bad_limit" in self.options:
            class NoTruth(object):
                def __bool__(self):
                    raise ValueError("no truth value")
            return NoTruth()
        return False

    def get_path_keys(self):
        keys = self.options.get("path_keys")
        return [((keys,), 1)] if keys else []

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        if self.mode == "whoami":
            log_to_postgres("who=%s" % self.options.get("who"))
            return iter([])
        if self.mode == "api":
            # What a wrapper written for multicorn2 3.2 may use.
            import multicorn
            from multicorn import Qual
            from multicorn._utils import _log_to_postgres, check_interrupts
            check_interrupts()
            _log_to_postgres("via _utils", 1)
            log_to_postgres("get_class %s" % multicorn.get_class("tests.fdws.review.ProbeB").__name__)
            log_to_postgres("repr %r | %r" % (Qual("name", "=", "x"), Qual("id", ("=", True), [1, 2])))
            return iter([])
        if self.mode == "report_refcount":
            import sys
            log_to_postgres("refcount=%d" % sys.getrefcount(BAD_ROW))
            return iter([])
        if self.mode == "bad_row":
            return iter([BAD_ROW])
        if self.mode == "report_running":
            # Generators abandoned by a longjmp stay "running" for ever.
            log_to_postgres("running=%d" % sum(1 for g in GENERATORS if g.gi_running))
            return iter([])
        gen = self._rows(quals, columns)
        if "keep" in self.options:
            GENERATORS.append(gen)
        return gen

    def _typed_rows(self):
        import datetime
        import decimal
        tz = datetime.timezone(datetime.timedelta(hours=-5))
        for i in range(self.nrows):
            yield {"id": i, "name": "name %d" % i,
                   "ts": datetime.datetime(2024, 3, 10, 1, 0, tzinfo=tz) + datetime.timedelta(seconds=i),
                   "amount": decimal.Decimal(i) / 7, "meta": {"k": i, "s": "x", "l": [1, None]},
                   "tags": ["a%d" % i, None], "raw": b"xy%d" % i, "score": i * 0.5,
                   "day": datetime.date(2024, 1, 1)}

    @property
    def rowid_column(self):
        return "id"

    def update(self, rowid, newvalues):
        log_to_postgres("update %r %s" % (rowid, sorted(newvalues.items())))
        return newvalues

    def insert(self, values):
        log_to_postgres("insert %s" % sorted(values.items()))
        return values

    def _rows(self, quals, columns):
        if self.mode == "typed":
            yield from self._typed_rows()
            return
        if self.mode == "expr":
            # One row per item of the Python expression in option `expr`.
            import datetime, decimal, zoneinfo  # noqa: F401  (for the expression)
            for row in eval(self.options["expr"]):
                yield row
            return
        if "show_quals" in self.options:
            for q in quals:
                log_to_postgres("qual %r %r %r" % (q.field_name, q.operator, q.value))
        if self.mode == "names":
            # One row: every column holds its own name (as this class sees it).
            yield {name: name for name in self.columns}
            return
        if self.mode == "logmsg":
            log_to_postgres(_unescape(self.options["msg"]))
        try:
            for i in range(1, self.nrows + 1):
                yield {"id": i, "name": "n%d" % i}
        finally:
            if self.mode == "gen_fin":
                log_to_postgres(_unescape(self.options["msg"]), WARNING)

    def begin(self, serializable):
        self._hook("begin")

    def pre_commit(self):
        self._hook("pre_commit")

    def commit(self):
        self._hook("commit")

    def rollback(self):
        self._hook("rollback")

    def sub_begin(self, level):
        self._hook("sub_begin %d" % level)

    def sub_commit(self, level):
        self._hook("sub_commit %d" % level)

    def sub_rollback(self, level):
        self._hook("sub_rollback %d" % level)


class ProbeB(Probe):
    """The same, under another name (which class validated what)."""
