"""A bounded worker pool that keeps the calling (PostgreSQL) thread responsive.

PostgreSQL can only cancel a statement if the backend thread calls
``multicorn.utils.check_interrupts()`` now and then, and that function is
only safe on that thread.  So every HTTP request runs on a worker; the
calling thread waits on futures in slices of ``POLL`` seconds and calls the
interrupt check between slices.  Workers never call it: they watch a cancel
event that the calling thread sets when the check raises, and stop before
their next attempt or during a backoff sleep.
"""

import concurrent.futures
import threading
import time

from .errors import Cancelled

POLL = 0.05  # seconds the calling thread may block between interrupt checks

_local = threading.local()


def default_interrupt_check():
    """``multicorn.utils.check_interrupts`` when running inside PostgreSQL, else a no-op."""
    try:
        from multicorn.utils import check_interrupts  # type: ignore
    except Exception:
        return lambda: None
    return check_interrupts


def in_worker():
    return getattr(_local, "worker", False)


def current_cancel():
    """The cancel event of the task this worker runs (``None`` on the calling thread)."""
    return getattr(_local, "cancel", None)


class Runner:
    """Runs functions on at most ``max_concurrency`` threads, results in input order."""

    def __init__(self, max_concurrency=4, interrupt_check=None):
        self.max_concurrency = max(1, int(max_concurrency))
        self.interrupt_check = interrupt_check or default_interrupt_check()
        self._pool = None
        self._pool_lock = threading.Lock()

    def _executor(self):
        with self._pool_lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="ig-graph")
            return self._pool

    def close(self):
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- waiting -----------------------------------------------------------
    def sleep(self, seconds):
        """Sleep without going deaf: interrupt checks on the calling thread,
        the cancel event on a worker."""
        deadline = time.monotonic() + max(0.0, seconds)
        cancel = current_cancel()
        while True:
            remaining = deadline - time.monotonic()
            if in_worker():
                if cancel is not None and cancel.is_set():
                    raise Cancelled("request cancelled")
                if remaining <= 0:
                    return
                if cancel is not None:
                    cancel.wait(min(POLL, remaining))
                else:
                    time.sleep(min(POLL, remaining))
            else:
                self.interrupt_check()
                if remaining <= 0:
                    return
                time.sleep(min(POLL, remaining))

    # -- running -----------------------------------------------------------
    def run(self, fn, *args):
        """Run ``fn(*args)`` on a worker and wait for it (inline if already on one)."""
        return self.map(lambda _: fn(*args), [None])[0]

    def map(self, fn, items, return_exceptions=False):
        """``[fn(item) for item in items]`` with bounded concurrency.

        At most ``max_concurrency`` calls are scheduled at once, so a cancel
        stops the rest from ever starting.  With ``return_exceptions`` an
        item's exception is returned in its slot; otherwise the first one
        raised cancels the rest and propagates.
        """
        items = list(items)
        if in_worker():  # nested use from inside a task: no new threads, no deadlock
            return self._map_inline(fn, items, return_exceptions)
        results = [None] * len(items)
        cancel = threading.Event()
        pending = {}
        next_index = 0
        pool = self._executor()
        try:
            while next_index < len(items) or pending:
                while next_index < len(items) and len(pending) < self.max_concurrency:
                    future = pool.submit(_task, fn, items[next_index], cancel)
                    pending[future] = next_index
                    next_index += 1
                self.interrupt_check()
                done, _ = concurrent.futures.wait(
                    list(pending), timeout=POLL, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    try:
                        results[index] = future.result()
                    except Exception as exc:
                        if not return_exceptions:
                            raise
                        results[index] = exc
        except BaseException:
            cancel.set()
            for future in pending:
                future.cancel()
            raise
        return results

    @staticmethod
    def _map_inline(fn, items, return_exceptions):
        results = []
        for item in items:
            try:
                results.append(fn(item))
            except Exception as exc:
                if not return_exceptions:
                    raise
                results.append(exc)
        return results


def _task(fn, item, cancel):
    _local.worker = True
    _local.cancel = cancel
    try:
        if cancel.is_set():
            raise Cancelled("request cancelled before it started")
        return fn(item)
    finally:
        _local.worker = False
        _local.cancel = None
