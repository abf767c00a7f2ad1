"""Test FDWs that keep Python busy so that cancels can hit it.

Option `how`:
  sleep      time.sleep() in small steps, yielding nothing (I/O-like wait)
  longsleep  one long time.sleep(30)
  log        an endless loop of log_to_postgres(INFO)
  warnlog    an endless loop of log_to_postgres(WARNING)
  check      an endless loop of check_interrupts()
  busy       an endless pure-Python loop
  swallow    catches Exception around check_interrupts() and keeps going
  rows       yields rows forever
  threadwait waits on a worker thread that sleeps (thread pool pattern)
"""

import threading
import time

from multicorn import ForeignDataWrapper
from multicorn.utils import WARNING, check_interrupts, log_to_postgres


class Busy(ForeignDataWrapper):
    def __init__(self, options, columns):
        super(Busy, self).__init__(options, columns)
        self.how = options.get("how", "busy")

    def execute(self, quals, columns, sortkeys=None, limit=None, offset=None):
        how = self.how
        if how == "sleep":
            while True:
                time.sleep(0.05)
        elif how == "longsleep":
            time.sleep(30)
        elif how == "log":
            while True:
                log_to_postgres("tick")
        elif how == "warnlog":
            while True:
                log_to_postgres("tick", WARNING)
        elif how == "check":
            while True:
                check_interrupts()
        elif how == "busy":
            n = 0
            while True:
                n += 1
        elif how == "swallow":
            while True:
                try:
                    check_interrupts()
                except Exception:
                    pass
        elif how == "rows":
            i = 0
            while True:
                i += 1
                yield {"id": i}
        elif how == "threadwait":
            done = threading.Event()
            worker = threading.Thread(target=lambda: (time.sleep(30), done.set()), daemon=True)
            worker.start()
            while not done.wait(0.1):
                check_interrupts()
        yield {"id": 1}
