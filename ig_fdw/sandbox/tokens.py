"""Access tokens of the sandbox (minted deterministically from the seed).

Kinds: ``user_short`` (1 h [U]), ``user_long`` (60 d), ``page`` (derived from a
user token; never expires when derived from a long-lived one, Meta's
long-lived page token docs), ``ig_short`` (1 h), ``ig_long`` (60 d), plus the
app token ``{app_id}|{app_secret}``.
"""

import hashlib

from .keyed import h64

B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

LIFETIMES = {
    "user_short": 3600,      # [U] real short-lived tokens last 1-2 h
    "user_long": 60 * 86400,
    "page": 0,
    "ig_short": 3600,
    "ig_long": 60 * 86400,
}


class Token:
    __slots__ = ("value", "kind", "user_id", "page_id", "ig_id", "issued", "expires", "scopes",
                 "revoked", "data_access_expires", "parent")

    def __init__(self, value, kind, issued, expires, scopes):
        self.value = value
        self.kind = kind
        self.issued = issued
        self.expires = expires
        self.scopes = scopes
        self.user_id = None
        self.page_id = None
        self.ig_id = None
        self.revoked = False
        self.data_access_expires = issued + 90 * 86400
        self.parent = None

    @property
    def flavour(self):
        return "ig" if self.kind.startswith("ig_") else "fb"

    @property
    def type_name(self):
        return {"page": "PAGE", "app": "APP"}.get(self.kind, "USER")

    def expired(self, now):
        return self.expires != 0 and now >= self.expires


def token_hash(value):
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class TokenStore:
    def __init__(self, world, clock):
        self.world = world
        self.clock = clock
        self.tokens = {}
        self.n = 0
        self.page_tokens = {}

    def _value(self, kind):
        self.n += 1
        prefix = "IGAA" if kind.startswith("ig_") else "EAA"
        out = []
        j = 0
        length = 150 if kind.startswith("ig_") else 180
        while len(out) < length:
            x = h64(self.world.seed, "token", self.n, j)
            j += 1
            for _ in range(10):
                out.append(B62[x % 62])
                x //= 62
        return prefix + "".join(out[:length])

    def mint(self, kind="user_long", user=None, expires_in=None, scopes=None):
        if kind not in LIFETIMES:
            raise ValueError("unknown token kind %r" % kind)
        world = self.world
        now = self.clock.now()
        life = LIFETIMES[kind] if expires_in is None else int(expires_in)
        t = Token(self._value(kind), kind, now, (now + life) if life else 0, None)
        if kind in ("user_short", "user_long"):
            uid = user or world.user.id
            if uid not in world.users:
                raise ValueError("unknown user %r" % uid)
            t.user_id = uid
            t.scopes = list(scopes) if scopes is not None else list(world.users[uid].scopes)
        elif kind == "page":
            pid = user or next(iter(world.pages))
            if pid not in world.pages:
                raise ValueError("unknown page %r" % pid)
            t.page_id = pid
            t.user_id = world.user.id
            t.ig_id = world.pages[pid].ig_id
            t.scopes = list(scopes) if scopes is not None else list(world.user.scopes)
        else:
            aid = user or world.account_ids[0]
            if aid not in world.accounts:
                raise ValueError("unknown IG account %r" % aid)
            t.ig_id = aid
            t.scopes = list(scopes) if scopes is not None else list(world.IG_SCOPES)
        self.tokens[t.value] = t
        return t

    def lookup(self, value):
        return self.tokens.get(value)

    def page_token_for(self, user_token, page):
        key = (user_token.value, page.id)
        v = self.page_tokens.get(key)
        if v is None:
            life = 0 if user_token.kind == "user_long" else max(0, user_token.expires - self.clock.now())
            t = self.mint("page", user=page.id, expires_in=life, scopes=user_token.scopes)
            if user_token.kind != "user_long" and life == 0:
                t.expires = self.clock.now()
            t.parent = user_token.value
            v = self.page_tokens[key] = t.value
        return v
