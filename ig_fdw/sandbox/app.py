"""The sandbox application: state, authentication, rate limits, faults,
statistics and the dispatch of one logical Graph call (also used for batch
items).  Transport lives in server.py."""

import collections
import hashlib
import hmac
import json
import threading
import traceback
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import handlers_graph as hg
from . import handlers_publish as hp
from .clock import Clock, EPOCH
from .errors import GraphError, not_found
from .faults import Faults
from .keyed import h64
from .limits import Limits, throttle_error
from .nodes import OMIT
from .oauth import OAuth, Redirect, RawResponse, expired_error
from .routes import Parsed, oauth_route, template_for, dispatch, _VERSION
from .tokens import TokenStore, Token, token_hash, B62
from .world import World

MAX_BATCH = 50
JSON_CT = "application/json; charset=UTF-8"


def dumps(obj):
    # the Graph API answers compact JSON with non-ASCII escaped and "/" as "\/"
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


#: query parameters a call's record leaves out (credentials)
_UNRECORDED = frozenset({"access_token", "appsecret_proof", "client_secret", "code", "fb_exchange_token",
                         "input_token"})

class Ctx:
    def __init__(self, app, method, parsed, params, query_pairs, token_str, token_source, host):
        self.app = app
        self.world = app.world
        self.now = app.clock.now()
        self.method = method
        self.parsed = parsed
        self.flavour = parsed.flavour
        self.version = parsed.version
        self.rel_path = parsed.rel_path
        self.base = "http://%s%s/%s" % (host, "/ig" if parsed.flavour == "ig" else "", parsed.version_str)
        self.params = params
        self.query_pairs = query_pairs
        self.token_str = token_str
        self.url_token = token_str if token_source == "query" else None
        self.token = None
        self.targets = set()

    def page_token(self, page):
        t = self.token
        if t is None:
            return OMIT
        if t.kind == "page":
            return t.value
        if t.kind.startswith("user"):
            return self.app.tokens.page_token_for(t, page)
        return OMIT

    def container_status(self, c):
        return hp.status(self, c)


class Result:
    __slots__ = ("status", "body", "headers", "content_type", "template")

    def __init__(self, status, body, headers=None, content_type=JSON_CT, template=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type
        self.template = template


class App:
    def __init__(self, seed=1, latency_ms=0, faults=None, budget_per_hour=200):
        self.seed = int(seed)
        self.latency_ms = float(latency_ms or 0)
        self.budget_per_hour = budget_per_hour
        self.lock = threading.RLock()
        self._init_state()
        self.faults = Faults(self.seed, faults)
        self.reset_stats()

    def _init_state(self):
        self.clock = Clock(EPOCH)
        self.world = World(self.seed)
        self.tokens = TokenStore(self.world, self.clock)
        self.limits = Limits(self.clock, self.budget_per_hour)
        self.oauth = OAuth(self)
        self.hashtag_searches = {}
        self.publish_log = {}
        self.write_log = []
        self.trace_n = 0
        self.default_user_token = self.tokens.mint("user_long").value

    def reset_all(self):
        with self.lock:
            self._init_state()
            self.faults.set(None)
            self.reset_stats()

    # ------------------------------------------------------------ stats
    def reset_stats(self):
        with self.lock:
            self.stats_total = 0
            self.by_endpoint = collections.Counter()
            self.by_method = collections.Counter()
            self.by_token = collections.Counter()
            self.batches = 0
            self.batch_items = 0
            self.calls = collections.deque(maxlen=10000)
            self.in_flight = 0
            self.max_in_flight = 0
            # round trips as a client at latency feels them: a round starts each time the
            # number of requests in flight goes from 0 to 1 (N sequential calls = N rounds,
            # 4 overlapping calls = 1 round)
            self.rounds = 0

    def record(self, method, path, template, status, token_str=None, in_batch=False, query=None):
        if not in_batch:
            self.stats_total += 1
            self.by_method[method] += 1
        if template:
            self.by_endpoint[template] += 1
        if token_str:
            self.by_token[token_hash(token_str)] += 1
        entry = {"method": method, "path": path, "template": template, "status": status}
        if query:
            # lets tests see what a request asked (fields=, ids=, q=); credentials left out
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in _UNRECORDED]
            if pairs:
                entry["query"] = urlencode(pairs)
        if in_batch:
            entry["in_batch"] = True
        self.calls.append(entry)

    def stats(self):
        with self.lock:
            return {"total": self.stats_total, "by_endpoint": dict(self.by_endpoint),
                    "by_method": dict(self.by_method), "by_token": dict(self.by_token),
                    "batches": self.batches, "batch_items": self.batch_items,
                    "max_in_flight": self.max_in_flight, "in_flight": self.in_flight, "rounds": self.rounds,
                    "calls": list(self.calls)}

    def log_write(self, ctx, action, **ids):
        params = {k: v for k, v in ctx.params.items() if k not in ("access_token", "appsecret_proof")}
        self.write_log.append({"seq": len(self.write_log) + 1, "action": action, "time": ctx.now,
                               "ids": ids, "request": {"method": ctx.method, "path": ctx.parsed.rel_path,
                                                       "flavour": ctx.flavour, "params": params}})

    def trace_id(self):
        self.trace_n += 1
        out = ["A"]
        for j in range(3):
            x = h64(self.seed, "trace", self.trace_n, j)
            for _ in range(10 if j < 2 else 2):
                out.append(B62[x % 62])
                x //= 62
        return "".join(out)

    # ------------------------------------------------------------ tokens
    def token_from_string(self, s):
        if s and "|" in s:
            app_id, _, secret = s.partition("|")
            w = self.world
            if (app_id, secret) in ((w.app_id, w.app_secret), (w.ig_app_id, w.ig_app_secret)):
                t = Token(s, "app", 0, 0, [])
                return t
            return None
        return self.tokens.lookup(s)

    def authenticate(self, ctx):
        s = ctx.token_str
        fl = ctx.flavour
        if not s:
            if ctx.parsed.segments[:1] == ["me"]:
                raise GraphError("An active access token must be used to query information about the current user.",
                                 2500)
            raise GraphError("An access token is required to request this resource.", 104)
        t = self.token_from_string(s)
        if t is None:
            if "|" in s:
                raise GraphError("Invalid OAuth access token signature.", 190)
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)
        if t.kind != "app" and t.flavour != fl:
            # a Facebook token on graph.instagram.com or the other way round
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)
        if t.revoked:
            raise GraphError("Error validating access token: The session is invalid because the user logged out.",
                             190, subcode=467)
        if t.expired(ctx.now):
            raise expired_error(t, ctx.now)
        proof = ctx.params.get("appsecret_proof")
        if proof is not None:
            secret = self.world.ig_app_secret if fl == "ig" else self.world.app_secret
            good = hmac.new(secret.encode(), s.encode(), hashlib.sha256).hexdigest()
            alt = hmac.new(self.world.app_secret.encode(), s.encode(), hashlib.sha256).hexdigest()
            if not (hmac.compare_digest(proof, good) or hmac.compare_digest(proof, alt)):
                raise GraphError("Invalid appsecret_proof provided in the API argument", 100,
                                 type="GraphMethodException")
        ctx.token = t
        return t

    # ------------------------------------------------------------ objects
    def lookup(self, ctx, i):
        w = self.world
        if i == "me":
            t = ctx.token
            if t is None:
                return None, None
            if t.kind.startswith("user"):
                return "user", w.users[t.user_id]
            if t.kind == "page":
                return "page", w.pages[t.page_id]
            if t.kind.startswith("ig_"):
                return "iguser", w.accounts[t.ig_id]
            return None, None
        if i in w.accounts:
            return "iguser", w.accounts[i]
        if i in w.pages:
            return "page", w.pages[i]
        if i in w.users:
            return "user", w.users[i]
        if i in w.containers:
            return "container", w.containers[i]
        m = w.media.get(i)
        if m is not None:
            return "media", m
        if i in w.hashtags:
            return "hashtag", (i, w.hashtags[i])
        if i.isdigit():
            c = w.find_comment(i)
            if c is not None:
                return "comment", c
        return None, None

    def can_account(self, ctx, aid):
        t = ctx.token
        if t is None:
            return False
        if t.kind.startswith("user"):
            return aid in self.world.users[t.user_id].accounts
        if t.kind in ("page", "ig_short", "ig_long"):
            return aid == t.ig_id
        return False

    def target_of(self, kind, obj):
        w = self.world
        if kind == "iguser":
            return obj.id if obj.id in w.accounts else None
        if kind == "media":
            return obj.owner if obj.owner in w.accounts else None
        if kind == "comment":
            return obj.media.owner if obj.media.owner in w.accounts else None
        if kind == "container":
            return obj.owner
        return None  # pages, users, hashtags: not Instagram BUC calls

    def check_access(self, ctx, kind, obj, method, oid):
        t = ctx.token
        w = self.world
        ok = False
        if t is None or t.kind == "app":
            ok = False
        elif kind == "iguser":
            ok = obj.id in w.accounts and self.can_account(ctx, obj.id)
        elif kind == "media":
            ok = (obj.owner in w.accounts and self.can_account(ctx, obj.owner) and not obj.deleted
                  and not (obj.parent is not None and obj.parent.deleted)
                  and not (obj.product == "STORY" and obj.ts <= ctx.now - 86400))
        elif kind == "comment":
            m = obj.media
            ok = (obj.id not in w.extra_comments and not obj.deleted and not m.deleted
                  and m.owner in w.accounts and self.can_account(ctx, m.owner))
        elif kind == "container":
            ok = self.can_account(ctx, obj.owner)
        elif kind == "page":
            ok = ((t.kind.startswith("user") and obj.id in w.users[t.user_id].pages)
                  or (t.kind == "page" and t.page_id == obj.id))
        elif kind == "user":
            ok = t.kind.startswith("user") and t.user_id == obj.id
        elif kind == "hashtag":
            ok = ctx.flavour == "fb" and t.kind in ("user_short", "user_long", "page")
        if not ok:
            raise not_found(oid, method)

    def resolve(self, ctx, i, method):
        kind, obj = self.lookup(ctx, i)
        if kind is None:
            raise not_found(i, method)
        self.check_access(ctx, kind, obj, method, i)
        return kind, obj

    def check_account(self, ctx, aid):
        kind, obj = self.lookup(ctx, aid)
        if kind != "iguser":
            raise not_found(aid)
        self.check_access(ctx, kind, obj, "GET", aid)
        return obj

    # ------------------------------------------------------------ one call
    def call(self, method, path, query_pairs, body_pairs, token_str, token_source, host, in_batch=False):
        """Process one logical call (under the lock).  Returns a Result."""
        parsed = Parsed(path)
        params = dict(query_pairs)
        params.update(body_pairs)
        if token_str is None:
            v = params.get("access_token")
            if v:
                token_str = v
                token_source = "query" if any(k == "access_token" for k, _ in query_pairs) else "body"
        ctx = Ctx(self, method, parsed, params, query_pairs, token_str, token_source, host)
        name = oauth_route(parsed, method)
        if name is not None:
            return self._oauth(ctx, name)
        segs = parsed.segments
        kind = obj = None
        edge = None
        fl = parsed.flavour
        special = None
        if not segs:
            special = "root"
        elif segs == ["debug_token"]:
            special = "debug_token"
        elif segs == ["ig_hashtag_search"]:
            special = "hashtag_search"
        elif len(segs) > 2:
            special = "unknown"
        trace = self.trace_id()
        template = None
        try:
            if special is None:
                kind, obj = self.lookup(ctx, segs[0]) if segs[0] != "me" else (None, None)
            template = template_for(parsed, kind, method)
            if special == "unknown":
                raise GraphError("Unknown path components: /%s" % "/".join(segs[1:]), 2500)
            if special == "root" and method == "POST":
                raise GraphError("(#100) The parameter batch is required", 100)  # batch is handled earlier
            t = self.authenticate(ctx)
            if special is None and segs[0] == "me":
                kind, obj = self.lookup(ctx, "me")
                if kind is None:
                    raise GraphError("An active access token must be used to query information about the "
                                     "current user.", 2500)
            # call-level faults
            fired = self.faults.fire({"throttle", "expire_token"}, method, path)
            for r in fired:
                if r.kind == "expire_token":
                    if t.kind != "app":
                        t.expires = max(1, ctx.now - 1)
                        raise expired_error(t, ctx.now)
            targets = set()
            if kind is not None:
                tg = self.target_of(kind, obj)
                if tg:
                    targets.add(tg)
            if special == "hashtag_search" or (kind == "hashtag"):
                uid = params.get("user_id")
                if uid in self.world.accounts:
                    targets.add(uid)
            if special == "root" and method == "GET":
                targets.update(self._ids_targets(ctx, params.get("ids")))
            ctx.targets = targets
            for r in fired:
                if r.kind == "throttle":
                    self.limits.record(t, sorted(targets))
                    raise throttle_error(r.value)
            err = self.limits.record(t, sorted(targets))
            if err is not None:
                raise err
            if special == "root":
                body = hg.multi_get(ctx)
            elif special == "debug_token":
                body = self.oauth.debug_token(ctx)
            elif special == "hashtag_search":
                body = hg.hashtag_search(ctx)
            else:
                oid = segs[0]
                if kind is None:
                    raise not_found(oid, method)
                self.check_access(ctx, kind, obj, method, oid)
                edge = segs[1] if len(segs) > 1 else None
                body = dispatch(ctx, kind, obj, edge)
            status = 200
        except GraphError as e:
            body = e.body(trace, fl)
            status = e.status
        except Exception:  # a sandbox bug must still answer like the API does
            traceback.print_exc()
            body = GraphError("An unknown error has occurred.", 1, transient=True, status=500).body(trace, fl)
            status = 500
        headers = {"x-fb-trace-id": trace, "facebook-api-version": parsed.version_str}
        if ctx.token is not None:
            tg = sorted(ctx.targets)
            if not tg:
                tg = self._token_accounts(ctx.token)
            headers.update(self.limits.headers(ctx.token, tg))
        return Result(status, body, headers, template=template or template_for(parsed, kind, method))

    def _ids_targets(self, ctx, ids):
        """The IG accounts a ``?ids=`` read is about: such a read of IG
        objects is an Instagram call (BUC), like reading them one by one."""
        out = set()
        for i in (ids or "").split(","):
            try:
                kind, obj = self.lookup(ctx, i.strip())
            except GraphError:
                continue
            tg = self.target_of(kind, obj) if kind is not None else None
            if tg:
                out.add(tg)
        return out

    def _token_accounts(self, t):
        if t.kind.startswith("user"):
            return list(self.world.users[t.user_id].accounts)
        if t.ig_id:
            return [t.ig_id]
        return []

    def _oauth(self, ctx, name):
        template = template_for(ctx.parsed, None, ctx.method)
        try:
            fn = getattr(self.oauth, name)
            r = fn(ctx.params)
        except GraphError as e:
            return Result(e.status, e.body(self.trace_id(), ctx.flavour), template=template)
        if isinstance(r, Redirect):
            return Result(302, b"", {"Location": r.location}, content_type="text/html; charset=utf-8",
                          template=template)
        if isinstance(r, RawResponse):
            return Result(r.status, r.body, content_type=r.content_type, template=template)
        return Result(200, r, template=template)

    # ------------------------------------------------------------ batch
    def batch(self, query_pairs, body_pairs, token_str, token_source, host, path, path_prefix):
        params = dict(query_pairs)
        params.update(body_pairs)
        parsed = Parsed(path)
        raw = params.get("batch")
        trace = self.trace_id()
        try:
            try:
                items = json.loads(raw)
                if not isinstance(items, list):
                    raise ValueError
            except (TypeError, ValueError):
                raise GraphError("(#100) The parameter batch must be a JSON array", 100)  # [U]
            if len(items) > MAX_BATCH:
                raise GraphError("(#1) Too many requests in batch message. Maximum batch size is 50", 1)
            if token_str is None:
                token_str = params.get("access_token")
            if token_str:
                probe = Ctx(self, "POST", parsed, params, query_pairs, token_str, token_source, host)
                self.authenticate(probe)
            for it in items:
                if not isinstance(it, dict) or "relative_url" not in it:
                    raise GraphError("(#100) Each batch request needs method and relative_url", 100)  # [U]
        except GraphError as e:
            return Result(e.status, e.body(trace, parsed.flavour), template="POST " + path_prefix + "/")
        include_headers = str(params.get("include_headers", "true")).lower() != "false"
        self.batches += 1
        out = []
        for it in items:
            self.batch_items += 1
            method = str(it.get("method", "GET")).upper()
            rel = str(it["relative_url"]).lstrip("/")
            u = urlsplit("/" + rel)
            ipath = u.path
            first = ipath.split("/")[1] if ipath.count("/") >= 1 else ""
            if not _VERSION.match(first):
                ipath = "/" + parsed.version_str + ipath
            ipath = path_prefix + ipath
            q = parse_qsl(u.query, keep_blank_values=True)
            b = parse_qsl(str(it.get("body") or ""), keep_blank_values=True)
            item_token = dict(q).get("access_token") or dict(b).get("access_token")
            tok = item_token or token_str
            src = "query" if dict(q).get("access_token") else ("body" if item_token else "batch")
            if self.faults.fire({"batch_null"}, method, ipath):
                self.record(method, ipath, None, None, tok, in_batch=True)
                out.append(None)
                continue
            r = self.call(method, ipath, q, b, tok, src, host, in_batch=True)
            self.record(method, ipath, r.template, r.status, tok, in_batch=True, query=u.query)
            body = r.body if isinstance(r.body, (bytes, bytearray)) else dumps(r.body)
            entry = {"code": r.status}
            if include_headers:
                hl = [{"name": "Content-Type", "value": r.content_type}]
                for k, v in r.headers.items():
                    hl.append({"name": k, "value": v})
                entry["headers"] = hl
            entry["body"] = body.decode()
            out.append(entry)
        return Result(200, out, {"x-fb-trace-id": trace}, template="POST " + path_prefix + "/")
