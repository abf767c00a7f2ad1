"""Rate limiting and usage headers.

Windows are one rolling hour of the sandbox clock.  Every Graph call (each
batch item counts separately; OAuth and control endpoints do not count) is
recorded against:

* a call about an IG account (an IG user, its media, comments, insights,
  hashtag searches on its behalf...): that account's Instagram Business Use
  Case window only (code 80002 [U: code not confirmed by a primary source]).
  Meta: "Instagram Platform requests are subject to BUC rate limits ... if
  both Platform and BUC rate limits can be applied, BUC rate limits will be
  applied" (Meta's rate-limits page), so such a call is not counted against the user,
  page or app Platform budget, whatever the token;
* any other call (``/me``, ``/me/accounts``, ``/debug_token``...): its
  principal's Platform window: the user of a user token (code 17 "User
  request limit reached"), the page of a page token (code 32), the IG account
  of an Instagram-Login token (80002), or the app for an app token (budget =
  budget_per_hour x distinct active users/pages, like the real "200 x daily
  active users" rule, code 4 "Application request limit reached").

Throttled calls also count, so hammering extends the block, as with the real
API.  A call throttled by BUC always carries, in X-Business-Use-Case-Usage,
the blocked account with call_count >= 100 and a non-zero
estimated_time_to_regain_access: waiting that long is enough for one call.

``X-App-Usage`` reports the principal's percentages; ``X-Business-Use-Case-
Usage`` reports the IG account(s) concerned, with estimated_time_to_regain_access
in minutes.  total_cputime / total_time are derived deterministically from the
call count (no wall clock).
"""

import collections
import json

from .errors import GraphError

WINDOW = 3600

THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. "
           "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}


def throttle_error(code, subcode=None):
    msg = THROTTLE_MESSAGES.get(code, "(#%d) Rate limit reached" % code)
    return GraphError(msg, code, subcode=subcode, transient=True)


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


class Limits:
    def __init__(self, clock, budget_per_hour=200):
        self.clock = clock
        self.budget = max(1, int(budget_per_hour))
        self.windows = collections.defaultdict(collections.deque)

    def reset(self):
        self.windows.clear()

    def _count(self, key, now):
        dq = self.windows.get(key)
        if not dq:
            return 0
        while dq and dq[0] <= now - WINDOW:
            dq.popleft()
        return len(dq)

    def _regain_minutes(self, key, now, budget):
        dq = self.windows.get(key)
        if not dq or len(dq) < budget:
            return 0
        # the oldest call that has to drop out of the window before the
        # count is back under the budget
        idx = len(dq) - budget
        t = dq[idx]
        secs = t + WINDOW - now
        return max(1, -(-secs // 60))

    def _pct(self, n, budget):
        return int(n * 100 // budget)

    def principal(self, token):
        if token is None:
            return None
        if token.kind == "app":
            return ("app",)
        if token.kind == "page":
            return ("page", token.page_id)
        if token.kind.startswith("ig_"):
            return ("igl", token.ig_id)
        return ("user", token.user_id)

    def budget_of(self, account):
        """Calls per rolling hour of one IG account's Business Use Case budget."""
        return self.budget

    def _principal_budget(self, p):
        """Calls per rolling hour of a user's, Page's or Instagram Login's Platform budget."""
        return self.budget

    def _app_budget(self, now):
        active = set()
        for key, dq in self.windows.items():
            if key[0] in ("user", "page", "igl") and self._count(key, now):
                active.add(key)
        return self.budget * max(1, len(active))

    def record(self, token, target_accounts):
        """Count one call and raise the throttling error if over budget."""
        now = self.clock.now()
        p = self.principal(token)
        if target_accounts:
            # An Instagram call: Business Use Case limits only ("if both
            # Platform and BUC rate limits can be applied, BUC rate limits
            # will be applied", Meta's rate-limits page), so the per-user/page/app
            # Platform window neither counts nor throttles it.
            keys = [("buc", a) for a in target_accounts]
        else:
            keys = [p] if p is not None else []
        for k in keys:
            self._count(k, now)
            self.windows[k].append(now)
        if target_accounts:
            for a in target_accounts:
                if self._count(("buc", a), now) > self.budget_of(a):
                    return throttle_error(80002)
            return None
        if p is not None and p[0] != "app" and self._count(p, now) > self._principal_budget(p):
            return throttle_error({"user": 17, "page": 32, "igl": 80002}[p[0]])
        if p == ("app",) and self._count(p, now) > self._app_budget(now):
            return throttle_error(4)
        return None

    def headers(self, token, target_accounts):
        now = self.clock.now()
        p = self.principal(token)
        h = {}
        if p is not None and p[0] != "app":
            n = self._count(p, now)
            b = self._principal_budget(p)
        else:
            n = self._count(("app",), now)
            b = self._app_budget(now)
        pct = self._pct(n, b)
        h["X-App-Usage"] = _compact({"call_count": pct, "total_cputime": pct * 2 // 5, "total_time": pct * 3 // 5})
        buc = {}
        for a in target_accounts:
            n, b = self._count(("buc", a), now), self.budget_of(a)
            pct = self._pct(n, b)
            buc[a] = [{"type": "instagram", "call_count": pct, "total_cputime": pct * 2 // 5,
                       "total_time": pct * 3 // 5,
                       "estimated_time_to_regain_access": self._regain_minutes(("buc", a), now, b)
                       if n >= b else 0}]
        h["X-Business-Use-Case-Usage"] = _compact(buc)
        return h

    def regain_minutes_for(self, token):
        now = self.clock.now()
        p = self.principal(token)
        if p is None:
            return 0
        return self._regain_minutes(p, now, self._principal_budget(p))
