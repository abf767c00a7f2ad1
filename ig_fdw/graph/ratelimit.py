"""Rate-limit bookkeeping shared by every backend of one server.

Meta reports usage in response headers as percentages of a rolling quota:
``X-App-Usage`` (app), ``X-Business-Use-Case-Usage`` (per business object,
with ``estimated_time_to_regain_access`` in minutes once throttled) and
``X-Ad-Account-Usage``.  The app's share and an app-wide block concern every
call; a Business Use Case share or block concerns one business account only,
so it is kept under that account (``accounts`` in the state): a throttled
account waits alone and never delays calls about the others.  Every PostgreSQL backend is its own process, so the
state lives in a small JSON file under ``state_dir``, guarded by
``fcntl.flock`` and replaced atomically: ten backends see one budget instead
of each spending it blindly.  Without a ``state_dir`` the state is kept in
memory for this process only.
"""

import copy
import fcntl
import json
import os
import tempfile
import threading
import time

STATE_FILE = "graph_rate_state.json"
LOCK_FILE = "graph_rate_state.lock"
USAGE_HEADERS = ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Ad-Account-Usage")
APP_HEADERS = ("X-App-Usage", "X-Ad-Account-Usage")
BUC_HEADER = "X-Business-Use-Case-Usage"
USAGE_MERGE_SECONDS = 5.0
#: A BUC header naming more accounts than this is about the token's accounts in
#: general (a call about no account in particular): only its blocks are kept.
BUC_MAX_ACCOUNTS = 10
#: Objects whose business account was learned from a response (per process).
MAX_OWNERS = 50000
_USAGE_KEYS = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")


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
    return _highest(headers, USAGE_HEADERS)


def parse_app_usage(headers):
    """``(usage_percent, regain_seconds)`` of the app-wide headers only
    (``X-App-Usage``, ``X-Ad-Account-Usage``): what every call shares."""
    return _highest(headers, APP_HEADERS)


def parse_buc(headers):
    """``{business_id: (usage_percent, regain_seconds)}`` from one
    ``X-Business-Use-Case-Usage`` header (``{id: [entries]}``); either value
    is ``None`` when the entries give none."""
    data = _header_json(headers, BUC_HEADER)
    if not isinstance(data, dict):
        return {}
    out = {}
    for business_id, value in data.items():
        out[str(business_id)] = _entries_usage(_usage_entries(value))
    return out


def _header_json(headers, name):
    raw = headers.get(name) if headers is not None else None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _highest(headers, names):
    highest = regain = None
    for name in names:
        u, r = _entries_usage(_usage_entries(_header_json(headers, name)))
        if u is not None:
            highest = u if highest is None else max(highest, u)
        if r is not None:
            regain = r if regain is None else max(regain, r)
    return highest, regain


def _entries_usage(entries):
    """The highest percentage and the longest regain (seconds) of some entries."""
    highest = regain = None
    for entry in entries:
        for key in _USAGE_KEYS:
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
    if any(k in data for k in _USAGE_KEYS + ("estimated_time_to_regain_access",)):
        return [data]
    entries = []
    for value in data.values():  # BUC header: {business_id: [entries]}
        entries.extend(_usage_entries(value))
    return entries


class RateState:
    """Usage seen recently, and until when calls are blocked.

    App-wide fields: ``usage`` (percent), ``usage_at`` (epoch seconds of that
    reading), ``blocked_until`` (epoch seconds).  ``accounts`` maps a business
    account id to the same three fields, read from its
    ``X-Business-Use-Case-Usage`` entry: an account's block or high share
    concerns the calls about that account only.  Usage readings expire after
    ``usage_ttl`` seconds: the quota is rolling, so an old figure overstates.
    Account entries with neither a fresh reading nor a block are dropped, so
    the file stays small with hundreds of accounts.
    """

    def __init__(self, state_dir=None, usage_ttl=300.0, clock=time.time):
        self.state_dir = state_dir
        self.usage_ttl = usage_ttl
        self.clock = clock
        self._memory = {}
        self._lock = threading.Lock()
        self._owners = {}   # object id -> business account id (learned from responses)
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

    def _load(self):
        """The state to modify (a copy: the in-memory one is replaced, never edited in place)."""
        if self.state_dir:
            return self._read_file()
        return copy.deepcopy(self._memory)

    def _store(self, data):
        if self.state_dir:
            self._write_file(data)
        else:
            self._memory = data

    def read(self):
        """A snapshot dict of the current state."""
        with self._locked(False):
            return self._read_file() if self.state_dir else copy.deepcopy(self._memory)

    def update(self, usage=None, regain_seconds=None, throttled=False, accounts=None, clear_accounts=(),
               clear_app=False):
        """Record what one response said, in one locked step.

        ``usage``/``regain_seconds``/``throttled``: the app-wide reading
        (``throttled`` with a regain blocks every call).  ``accounts``:
        ``{business_id: (usage, regain_seconds)}``; a regain > 0 blocks the
        calls about that account only.  ``clear_accounts``/``clear_app``: the
        blocks a success has shown to be over (cleared before the readings).
        """
        now = self.clock()
        with self._locked(True):
            data = self._load()
            table = data.get("accounts")
            table = table if isinstance(table, dict) else {}
            if clear_app:
                data.pop("blocked_until", None)
            for business_id in clear_accounts:
                entry = table.get(str(business_id))
                if isinstance(entry, dict):
                    entry.pop("blocked_until", None)
            _merge_reading(data, usage, regain_seconds, throttled, now)
            for business_id, (u, r) in (accounts or {}).items():
                entry = table.get(str(business_id))
                entry = entry if isinstance(entry, dict) else {}
                _merge_reading(entry, u, r, bool(r), now)
                table[str(business_id)] = entry
            table = {k: v for k, v in table.items() if isinstance(v, dict) and self._live(v, now)}
            if table:
                data["accounts"] = table
            else:
                data.pop("accounts", None)
            self._store(data)

    def _live(self, entry, now):
        return (_pct(entry.get("blocked_until")) > now
                or now - _pct(entry.get("usage_at")) <= self.usage_ttl)

    def clear_block(self, accounts=None):
        """Lift the app-wide block, or (``accounts`` given) those accounts' blocks."""
        if accounts is None:
            self.update(clear_app=True)
        else:
            self.update(clear_accounts=accounts)

    # -- which account a call is about -----------------------------------------
    def learn_owner(self, objects, business_id):
        """Remember that these objects (media, comments...) belong to ``business_id``,
        so that a later call about them waits for that account's block."""
        if len(self._owners) > MAX_OWNERS:
            self._owners.clear()
        for obj in objects:
            if obj != business_id:
                self._owners[obj] = business_id

    def accounts_of(self, objects):
        """The business accounts a call about ``objects`` concerns, as far as known
        (an account id stands for itself)."""
        return sorted({self._owners.get(o, o) for o in objects})

    # -- decisions ---------------------------------------------------------
    def _account_entries(self, data, accounts):
        table = data.get("accounts")
        if not accounts or not isinstance(table, dict):
            return []
        return [(a, table[a]) for a in accounts if isinstance(table.get(a), dict)]

    def blocked_for(self, snapshot=None, accounts=()):
        """Seconds left before calls (about ``accounts``) may resume (0 when not blocked)."""
        data = self.read() if snapshot is None else snapshot
        until = max([_pct(data.get("blocked_until"))] +
                    [_pct(e.get("blocked_until")) for _a, e in self._account_entries(data, accounts)])
        return max(0.0, until - self.clock())

    def blocked_account(self, snapshot=None, accounts=()):
        """``(business_id, seconds)`` of the listed account blocked longest, or None."""
        data = self.read() if snapshot is None else snapshot
        now = self.clock()
        best = None
        for a, e in self._account_entries(data, accounts):
            left = _pct(e.get("blocked_until")) - now
            if left > 0 and (best is None or left > best[1]):
                best = (a, left)
        return best

    def current_usage(self, snapshot=None, accounts=()):
        """The app-wide share, or the highest of it and the listed accounts' shares."""
        data = self.read() if snapshot is None else snapshot
        readings = [data] + [e for _a, e in self._account_entries(data, accounts)]
        now = self.clock()
        return max([0.0] + [_pct(r.get("usage")) for r in readings
                            if now - _pct(r.get("usage_at")) <= self.usage_ttl])


def _merge_reading(data, usage, regain_seconds, throttled, now):
    """Fold one reading into a state dict (the app's or one account's)."""
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

