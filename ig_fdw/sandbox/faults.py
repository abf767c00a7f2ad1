"""Fault injection.

Spec string: rules separated by ``;``.  A rule is ``KIND[=VALUE]`` followed by
options, either after ``@`` or after ``,``::

    status=503@nth=3                 the 3rd API call answers HTTP 503
    reset@rate=0.1,path=/media       10 % of calls whose path contains /media: socket closed
    latency=200ms                    every call waits 200 ms
    reset_after@nth=1,method=POST    the 1st POST is applied, then the socket is closed
    status_after=500@method=POST     every POST is applied, then answered HTTP 500 (code 1)
    slow=3000ms@nth=2                headers + half of the body, then a 3 s stall
    malformed@nth=1,count=2          calls 1 and 2 answer 200 with broken JSON
    throttle=17@nth=5                the 5th call gets "(#17) User request limit reached"
    expire_token@nth=4               from the 4th call the token in use is expired (190/463)
    batch_null@nth=2                 the 2nd batch item answers null

Kinds: ``latency`` (ms; "200", "200ms", "1.5s"), ``status`` (500|502|503), ``status_after``
(500|502|503: the request is applied, then answered with that status),
``reset``, ``reset_after``, ``slow`` (stall in ms), ``malformed``, ``throttle``
(4|17|32|613|80002), ``expire_token``, ``batch_null``.

Options: ``nth=N`` (fires on the N-th matching call, and on the following ones
while ``count`` allows; default count 1), ``rate=R`` (fires with probability R,
drawn from a generator seeded by the sandbox seed and the rule index, so
deterministic for a given call sequence; default count unlimited), neither
(fires on every matching call), ``path=P`` (substring of the request path, or an
fnmatch pattern when it contains ``*``), ``method=M``, ``count=N``.

Matching calls are counted per rule.  ``latency``, ``status``, ``reset``,
``reset_after``, ``slow`` and ``malformed`` act on HTTP requests (a batch POST is
one request); ``throttle``, ``expire_token`` and ``batch_null`` act on logical
calls (each batch item is one call; ``batch_null`` only on batch items).
Control endpoints (``/__sandbox/``) are never faulted.

JSON form (control endpoint ``POST /__sandbox/faults``): ``{"spec": "..."}`` or
``{"rules": [{"kind": "status", "value": 503, "nth": 3, "path": "/media",
"method": "GET", "count": 1}]}`` (or the list alone); ``null``/``{}`` clears.
"""

import fnmatch
import random

from .keyed import h64

HTTP_KINDS = {"latency", "status", "status_after", "reset", "reset_after", "slow", "malformed"}
CALL_KINDS = {"throttle", "expire_token", "batch_null"}
KINDS = HTTP_KINDS | CALL_KINDS


class FaultSpecError(ValueError):
    pass


def _ms(v):
    s = str(v).strip().lower()
    try:
        if s.endswith("ms"):
            return float(s[:-2])
        if s.endswith("s"):
            return float(s[:-1]) * 1000
        return float(s)
    except ValueError:
        raise FaultSpecError("bad duration %r" % v)


class Rule:
    def __init__(self, kind, value=None, nth=None, rate=None, path=None, method=None, count=None):
        if kind not in KINDS:
            raise FaultSpecError("unknown fault kind %r" % kind)
        self.kind = kind
        if kind in ("latency", "slow"):
            value = _ms(value if value is not None else (200 if kind == "latency" else 3000))
        elif kind in ("status", "status_after"):
            value = int(value if value is not None else (503 if kind == "status" else 500))
            if value not in (500, 502, 503):
                raise FaultSpecError("status must be 500, 502 or 503")
        elif kind == "throttle":
            value = int(value if value is not None else 17)
            if value not in (4, 17, 32, 613, 80002):
                raise FaultSpecError("throttle code must be one of 4, 17, 32, 613, 80002")
        self.value = value
        self.nth = int(nth) if nth is not None else None
        self.rate = float(rate) if rate is not None else None
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise FaultSpecError("rate must be within 0..1")
        self.path = path
        self.method = method.upper() if method else None
        if count is None:
            count = 1 if self.nth is not None else None
        self.count = int(count) if count is not None else None
        self.seen = 0
        self.fired = 0
        self.rng = None

    def to_json(self):
        d = {"kind": self.kind}
        for k in ("value", "nth", "rate", "path", "method", "count"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["seen"] = self.seen
        d["fired"] = self.fired
        return d

    def matches(self, method, path):
        if self.method and self.method != method:
            return False
        if self.path:
            if "*" in self.path:
                return fnmatch.fnmatchcase(path, self.path)
            return self.path in path
        return True

    def consider(self):
        """Called for a matching call: count it and decide whether to fire."""
        self.seen += 1
        if self.count is not None and self.fired >= self.count:
            return False
        if self.nth is not None:
            fire = self.seen >= self.nth
        elif self.rate is not None:
            fire = self.rng.random() < self.rate
        else:
            fire = True
        if fire:
            self.fired += 1
        return fire


def parse_spec(spec):
    if spec is None:
        return []
    if isinstance(spec, (list, dict)):
        return parse_json(spec)
    rules = []
    for part in str(spec).split(";"):
        part = part.strip()
        if not part:
            continue
        tokens = [t.strip() for t in part.split(",") if t.strip()]
        head = tokens[0]
        opts = {}
        if "@" in head:
            head, trig = head.split("@", 1)
            tokens = [trig] + tokens[1:]
        else:
            tokens = tokens[1:]
        if "=" in head:
            kind, value = head.split("=", 1)
        else:
            kind, value = head, None
        for t in tokens:
            if "=" not in t:
                raise FaultSpecError("bad option %r" % t)
            k, v = t.split("=", 1)
            k = k.strip()
            if k not in ("nth", "rate", "path", "method", "count"):
                raise FaultSpecError("unknown option %r" % k)
            opts[k] = v.strip()
        rules.append(Rule(kind.strip(), value, **opts))
    return rules


def parse_json(obj):
    if obj is None or obj == {} or obj == []:
        return []
    if isinstance(obj, dict):
        if "spec" in obj:
            return parse_spec(obj["spec"])
        if "rules" in obj:
            obj = obj["rules"]
        else:
            raise FaultSpecError("expected {'spec': ...} or {'rules': [...]}")
    rules = []
    for r in obj:
        if not isinstance(r, dict) or "kind" not in r:
            raise FaultSpecError("each rule needs a 'kind'")
        extra = set(r) - {"kind", "value", "nth", "rate", "path", "method", "count"}
        if extra:
            raise FaultSpecError("unknown rule keys %s" % sorted(extra))
        rules.append(Rule(**r))
    return rules


class Faults:
    def __init__(self, seed, spec=None):
        self.seed = seed
        self.rules = []
        self.set(spec)

    def set(self, spec):
        rules = parse_spec(spec)
        for i, r in enumerate(rules):
            r.rng = random.Random(h64(self.seed, "fault", i))
        self.rules = rules

    def to_json(self):
        return {"rules": [r.to_json() for r in self.rules]}

    def fire(self, kinds, method, path):
        """Return the rules of the given kinds that fire for this call (each
        matching rule counts the call)."""
        out = []
        for r in self.rules:
            if r.kind in kinds and r.matches(method, path):
                if r.consider():
                    out.append(r)
        return out
