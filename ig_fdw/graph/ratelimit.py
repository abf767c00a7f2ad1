"""Rate-limit bookkeeping shared by every backend of one server.

Meta reports usage in response headers as percentages of a rolling quota:
``X-App-Usage`` (app), ``X-Business-Use-Case-Usage`` (per business object,
with ``estimated_time_to_regain_access`` in minutes once throttled) and
``X-Ad-Account-Usage``.  Every PostgreSQL backend is its own process, so the
state lives in a small JSON file under ``state_dir``, guarded by
``fcntl.flock`` and replaced atomically: ten backends see one budget instead
of each spending it blindly.  Without a ``state_dir`` the state is kept in
memory for this process only.
"""

import fcntl
import json
import os
import tempfile
import threading
import time

STATE_FILE = "graph_rate_state.json"
LOCK_FILE = "graph_rate_state.lock"
USAGE_HEADERS = ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Ad-Account-Usage")
USAGE_MERGE_SECONDS = 5.0


def _pct(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def parse_usage(headers):
    """Read the usage headers of one response.

    Returns ``(usage_percent, regain_seconds)``: the highest percentage found
    in any header and the longest ``estimated_time_to_regain_access`` (minutes
    converted to seconds), or ``None`` when no header gives one.
    """
    highest = None
    regain = None
    for name in USAGE_HEADERS:
        raw = headers.get(name) if headers is not None else None
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for entry in _usage_entries(data):
            for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
                if key in entry:
                    p = _pct(entry[key])
                    highest = p if highest is None else max(highest, p)
            minutes = entry.get("estimated_time_to_regain_access")
            if minutes is not None:
                seconds = _pct(minutes) * 60.0
                regain = seconds if regain is None else max(regain, seconds)
    return highest, regain


def _usage_entries(data):
    """Flatten the three header shapes into a list of dicts."""
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    if not isinstance(data, dict):
        return []
    if any(k in data for k in ("call_count", "total_cputime", "total_time", "acc_id_util_pct",
                               "estimated_time_to_regain_access")):
        return [data]
    entries = []
    for value in data.values():  # BUC header: {business_id: [entries]}
        entries.extend(_usage_entries(value))
    return entries


class RateState:
    """Usage seen recently, and until when calls are blocked.

    Fields: ``usage`` (percent), ``usage_at`` (epoch seconds of that reading),
    ``blocked_until`` (epoch seconds).  Usage readings expire after
    ``usage_ttl`` seconds: the quota is rolling, so an old figure overstates.
    """

    def __init__(self, state_dir=None, usage_ttl=300.0, clock=time.time):
        self.state_dir = state_dir
        self.usage_ttl = usage_ttl
        self.clock = clock
        self._memory = {}
        self._lock = threading.Lock()
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)

    # -- storage -----------------------------------------------------------
    def _path(self, name):
        return os.path.join(self.state_dir, name)

    def _read_file(self):
        try:
            with open(self._path(STATE_FILE), "r", encoding="utf-8") as f:
                data = json.load(f)
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_file(self, data):
        fd, tmp = tempfile.mkstemp(prefix=".rate.", dir=self.state_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path(STATE_FILE))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _locked(self, exclusive):
        """Context manager holding the cross-process lock (and the thread lock)."""
        return _FileLock(self._path(LOCK_FILE), exclusive, self._lock) if self.state_dir else self._lock

    def read(self):
        """A snapshot dict of the current state."""
        with self._locked(False):
            return dict(self._read_file() if self.state_dir else self._memory)

    def update(self, usage=None, regain_seconds=None, throttled=False):
        """Record what one response said.  ``throttled`` blocks calls for a while."""
        now = self.clock()
        with self._locked(True):
            data = self._read_file() if self.state_dir else dict(self._memory)
            if usage is not None:
                # Concurrent responses land out of order; usage only falls as the
                # hour rolls on, so within a few seconds the highest reading wins.
                if now - _pct(data.get("usage_at")) < USAGE_MERGE_SECONDS:
                    usage = max(usage, _pct(data.get("usage")))
                data["usage"] = usage
                data["usage_at"] = now
            if regain_seconds is not None and (throttled or regain_seconds > 0):
                data["blocked_until"] = max(_pct(data.get("blocked_until")), now + regain_seconds)
            elif throttled:
                data["throttled_at"] = now
            if self.state_dir:
                self._write_file(data)
            else:
                self._memory = data

    def clear_block(self):
        with self._locked(True):
            data = self._read_file() if self.state_dir else dict(self._memory)
            data.pop("blocked_until", None)
            if self.state_dir:
                self._write_file(data)
            else:
                self._memory = data

    # -- decisions ---------------------------------------------------------
    def blocked_for(self, snapshot=None):
        """Seconds left before calls may resume (0 when not blocked)."""
        data = self.read() if snapshot is None else snapshot
        return max(0.0, _pct(data.get("blocked_until")) - self.clock())

    def current_usage(self, snapshot=None):
        data = self.read() if snapshot is None else snapshot
        if self.clock() - _pct(data.get("usage_at")) > self.usage_ttl:
            return 0.0
        return _pct(data.get("usage"))


class _FileLock:
    """``flock`` on a side file (the state file itself is replaced by rename)."""

    def __init__(self, path, exclusive, thread_lock):
        self.path = path
        self.exclusive = exclusive
        self.thread_lock = thread_lock
        self.fd = None

    def __enter__(self):
        self.thread_lock.acquire()
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH)
        except BaseException:
            if self.fd is not None:
                os.close(self.fd)
            self.thread_lock.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
        finally:
            self.thread_lock.release()


def pacing_delay(usage, threshold=80.0, max_delay=2.0):
    """Extra delay before a call when usage is past ``threshold`` percent.

    Grows linearly from 0 at the threshold to ``max_delay`` at 100 %, so a
    scan slows down smoothly instead of running into the wall.
    """
    if usage is None or usage <= threshold:
        return 0.0
    fraction = min(1.0, (usage - threshold) / max(1e-9, 100.0 - threshold))
    return fraction * max_delay


def throttle_wait_allowed(wait, waited, budget):
    """Whether the statement may wait ``wait`` more seconds for a throttle.

    ``estimated_time_to_regain_access`` says how long a Business Use Case
    block lasts; calling earlier only extends it, so the choice is "wait
    that long" or "fail now with a clear error".  ``budget``
    (RateLimitMaxWait) bounds the total a statement spends waiting for
    throttles (``waited`` so far), not each wait on its own: a scan that is
    throttled again and again must not hang for an unbounded time.
    """
    return wait >= 0 and waited + wait <= budget

