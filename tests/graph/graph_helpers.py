"""Helpers shared by the graph client tests (imported by conftest and tests)."""

import threading

VERSION = "v22.0"
BIG_BUDGET = 1_000_000  # calls per hour: tests that are not about throttling never hit it

try:
    from ig_fdw.sandbox import Sandbox
    HAVE_SANDBOX = True
except Exception:  # pragma: no cover - only while the sandbox is being built
    Sandbox = None
    HAVE_SANDBOX = False


class Provider:
    """Token provider backed by the sandbox: refresh mints a new long-lived token."""

    def __init__(self, sb, token=None, refresh_to=None):
        self.sb = sb
        self._token = token or sb.user_token()
        self.refreshes = []
        self.refresh_to = refresh_to  # callable returning the "refreshed" token, for bad refreshes
        self.identity = "test-user-%d" % id(self)

    def token(self):
        return self._token

    def refresh(self, stale):
        self.refreshes.append(stale)
        self._token = self.refresh_to() if self.refresh_to else self.sb.mint_token(kind="user_long")
        return self._token


class RequestLog:
    """Every request the client really sent (a ``requests`` response hook)."""

    def __init__(self):
        self.requests = []
        self._lock = threading.Lock()

    def __call__(self, response, *args, **kwargs):
        req = response.request
        with self._lock:
            self.requests.append((req.method, req.url, dict(req.headers), req.body))
        return response


