"""Test FDWs that fail in the ways a real FDW can."""

from multicorn import ForeignDataWrapper
from multicorn.utils import log_to_postgres, ERROR


class Oops(Exception):
    pass


class RaiseFDW(ForeignDataWrapper):
    """Option `how`: plain | sqlstate | multicorn | in_init | midway | key_error."""

    def __init__(self, options, columns):
        super(RaiseFDW, self).__init__(options, columns)
        self.how = options.get("how", "plain")
        if self.how == "in_init":
            raise Oops("cannot initialise: bad option x")

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        if self.how == "plain":
            raise Oops("something broke: token=SECRET-never-shown")
        if self.how == "sqlstate":
            e = Oops("rate limited, wait 60 s")
            e.sqlstate = "53400"
            e.hint = "Retry after a minute."
            e.detail = "Calls: 200/200"
            raise e
        if self.how == "multicorn":
            log_to_postgres("logged error", ERROR, hint="the hint", detail="the detail")
        if self.how == "midway":
            yield {"id": 1}
            yield {"id": 2}
            raise Oops("failed after two rows")
        if self.how == "message_attr":
            e = Oops("short message\nHint: do this")
            e.message = "short message"
            e.hint = "do this"
            raise e
        if self.how == "key_error":
            {}["missing"]
        yield {"id": 0}
