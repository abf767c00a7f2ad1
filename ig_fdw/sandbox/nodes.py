"""Node types, field getters and the renderer used for every object read.

A node type lists its scalar fields, nested objects (``owner{id}``), edges
(paged collections, usable in field expansion as ``edge.limit(n){...}``) and
parametric fields (``business_discovery.username(x){...}``).  Unknown fields
raise the real "(#100) Tried accessing nonexisting field (x) on node type (T)".
"""

from urllib.parse import urlencode

from .clock import fmt_ts, parse_time, DAY
from .errors import GraphError, nonexisting_field, param_error
from .fields import FieldSpec
from .paging import paginate, parse_limit
from .permissions import require_field

OMIT = object()


class Edge:
    def __init__(self, fn, nt, sortkey, default_limit=25, max_limit=None, forward_only=False):
        self.fn = fn
        self.nt = nt            # node type name (resolved lazily)
        self.sortkey = sortkey
        self.default_limit = default_limit
        self.max_limit = max_limit
        # hashtag top_media/recent_media: "a before cursor will not be included"
        # (Meta's top_media/recent_media pages), so no cursors.before and no paging.previous
        self.forward_only = forward_only


class NT:
    def __init__(self, name, default, scalars, subnodes=None, edges=None, params=None, reject=None):
        self.name = name
        self.default = default
        self.scalars = scalars
        self.subnodes = subnodes or {}
        self.edges = edges or {}
        self.params = params or {}
        self.reject = reject or {}


# ------------------------------------------------------------------ provided fields
# Some parametric fields do a handler's work: ``business_discovery`` (looks an
# account up, handlers_graph.py) and a media's ``insights.metric(...)``
# (handlers_insights.py).  Handlers import this module, so this module must
# not import them: a handler registers the function with ``@provides(name)``
# and the node type holds ``provided(name)``, which looks it up when a
# request renders the field.  routes.py, which loads every handler module,
# calls ``check_provided()`` so a missing registration fails at import, not on
# the first request that asks for the field.
_PROVIDERS = {}
_WANTED = set()


def provides(name):
    """Decorator for a handler function ``fn(ctx, obj, spec)`` implementing the
    parametric field registered as ``name``."""
    def register(fn):
        if _PROVIDERS.get(name, fn) is not fn:
            raise RuntimeError("sandbox: two handlers provide %r" % name)
        _PROVIDERS[name] = fn
        return fn
    return register


def provided(name):
    """The field getter a node type holds for ``name``: calls the registered
    handler function at render time."""
    _WANTED.add(name)

    def field(ctx, obj, spec):
        return _PROVIDERS[name](ctx, obj, spec)
    field.__name__ = "provided_" + name
    return field


def check_provided():
    """Raise if a node type asks for a field no loaded handler provides."""
    missing = sorted(_WANTED - set(_PROVIDERS))
    if missing:
        raise RuntimeError("sandbox: no handler provides %s (is its handlers_*.py module imported?)"
                           % ", ".join(missing))


TYPES = {}


def spec_to_str(specs):
    out = []
    for s in specs:
        t = s.name
        for k, v in s.mods.items():
            t += ".%s(%s)" % (k, v)
        if s.children:
            t += "{%s}" % spec_to_str(s.children)
        out.append(t)
    return ",".join(out)


def render(ctx, obj, ntname, specs):
    nt = TYPES[ntname] if isinstance(ntname, str) else ntname
    if specs is None:
        specs = [FieldSpec(f) for f in nt.default]
    out = {}
    for sp in specs:
        n = sp.name
        if n in nt.reject:
            raise nt.reject[n](n)
        if n in nt.scalars:
            v = nt.scalars[n](ctx, obj)
            if v is not OMIT:
                out[n] = v
        elif n in nt.subnodes:
            r = nt.subnodes[n](ctx, obj)
            if r is not None:
                sub_obj, sub_nt, default = r
                out[n] = render(ctx, sub_obj, sub_nt, sp.children or [FieldSpec(f) for f in default])
        elif n in nt.edges:
            require_field(ctx, n)
            res = render_edge(ctx, obj, nt.edges[n], dict(sp.mods), sp.children,
                              nested_path="/%s/%s" % (obj_id(obj), n))
            if res["data"]:
                out[n] = res
        elif n in nt.params:
            require_field(ctx, n)
            v = nt.params[n](ctx, obj, sp)
            if v is not OMIT:
                out[n] = v
        else:
            raise nonexisting_field(n, nt.name)
    if "id" not in out and "id" in nt.scalars:
        v = nt.scalars["id"](ctx, obj)
        if v is not OMIT:
            out["id"] = v
    return out


def obj_id(obj):
    return getattr(obj, "id", "")


def render_edge(ctx, parent, edge, params, child_specs, path=None, nested_path=None):
    """Render one page of an edge.  ``params`` are query params (top level) or
    field modifiers (nested)."""
    items = edge.fn(ctx, parent, params)
    limit = parse_limit(params.get("limit"), edge.default_limit, edge.max_limit)
    pg = paginate(items, edge.sortkey, limit, params.get("after"), params.get("before"))
    data = [render(ctx, it, edge.nt, child_specs) for it in pg.items]
    out = {"data": data}
    paging = {}
    if pg.items:
        paging["cursors"] = {"after": pg.after} if edge.forward_only else {"before": pg.before, "after": pg.after}
    if nested_path is not None:
        q = []
        if ctx.url_token:
            q.append(("access_token", ctx.url_token))
        if child_specs:
            q.append(("fields", spec_to_str(child_specs)))
        q.append(("limit", str(limit)))
        for k, v in params.items():
            if k not in ("limit", "after", "before"):
                q.append((k, v))
        base = ctx.base + nested_path
    else:
        q = [(k, v) for k, v in ctx.query_pairs if k not in ("after", "before")]
        base = ctx.base + path
    if pg.has_prev and pg.items and not edge.forward_only:
        paging["previous"] = base + "?" + urlencode(q + [("before", pg.before)])
    if pg.has_next and pg.items:
        paging["next"] = base + "?" + urlencode(q + [("after", pg.after)])
    if paging:
        out["paging"] = paging
    return out


# ------------------------------------------------------------------ getters
def _f(attr):
    return lambda ctx, o: getattr(o, attr)


def _caption(ctx, m):
    return m.caption if m.caption is not None else OMIT


def _like_count(ctx, m):
    # like counts hidden by the owner are omitted for other viewers; the
    # owner still sees them through the API of its own account [U]: the
    # sandbox omits them everywhere so clients handle the missing field.
    return OMIT if m.hide_likes else m.like_count


def _thumb(ctx, m):
    return m.thumbnail_url if m.thumbnail_url else OMIT


def _media_url(ctx, m):
    return OMIT if m.no_media_url else m.media_url


def _owner(ctx, m):
    if m.owner is None:
        return None
    a = ctx.world.accounts.get(m.owner) or ctx.world.by_username.get(m.username)
    return (a, "IGUserRef", ["id"])


def _children_items(ctx, m, params):
    if not m.children:
        return []
    return [ctx.world.media[c] for c in m.children]


def _comment_items(ctx, m, params):
    if m.public and m.owner not in ctx.world.accounts:
        return []
    cs = ctx.world.load_comments(m)
    return sorted((c for c in cs if not c.deleted), key=lambda c: (-c.ts, c.k))


def _reply_items(ctx, c, params):
    return sorted((r for r in c.replies if not r.deleted), key=lambda r: (r.ts, r.k))


def _account_media(ctx, a, params):
    world = ctx.world
    items = world.discovery_media(a)
    now = ctx.now
    items = [m for m in items if not m.deleted and m.ts <= now]
    since = parse_time(params.get("since"), "since")
    until = parse_time(params.get("until"), "until")
    if since is not None:
        items = [m for m in items if m.ts >= since]
    if until is not None:
        items = [m for m in items if m.ts <= until]
    return items


def _stories(ctx, a, params):
    now = ctx.now
    return sorted((m for m in a.stories if not m.deleted and now - DAY < m.ts <= now),
                  key=lambda m: (-m.ts, m.id))


def _tags(ctx, a, params):
    return ctx.world.tagged_media(a)


def _media_key(m):
    return (-m.ts, m.id)


def _comment_key_desc(c):
    return (-c.ts, c.k)


def _comment_key_asc(c):
    return (c.ts, c.k)


def _mentioned_media(ctx, a, spec):
    mid = spec.mods.get("media_id")
    if not mid:
        raise param_error("The parameter media_id is required for mentioned_media")
    if mid not in a.mentions:
        raise GraphError("(#100) Invalid media_id %s: the media does not mention this user" % mid, 100)  # [U]
    return render(ctx, ctx.world.media[mid], "IGMediaPublic", spec.children or [FieldSpec("id")])


def _mentioned_comment(ctx, a, spec):
    cid = spec.mods.get("comment_id")
    if not cid:
        raise param_error("The parameter comment_id is required for mentioned_comment")
    if cid not in a.mention_comments:
        raise GraphError("(#100) Invalid comment_id %s: the comment does not mention this user" % cid, 100)  # [U]
    return render(ctx, ctx.world.extra_comments[cid], "IGComment", spec.children or [FieldSpec("id")])


def _reject_child(field):
    # [U] the real wording for fields that carousel children do not support
    return GraphError("(#100) The field %s is not supported for carousel album children" % field, 100)


def _reject_username_public(field):
    return GraphError("(#100) The username field is not available for hashtag media", 100)


def _reject_discovery_stories(field):
    return GraphError("(#10) Application does not have permission for this action", 10)


MEDIA_SCALARS = {
    "id": _f("id"),
    "caption": _caption,
    "comments_count": lambda ctx, m: ctx.world.comments_count(m),
    "ig_id": _f("ig_id"),
    "is_comment_enabled": lambda ctx, m: m.comments_enabled,
    "like_count": _like_count,
    "media_product_type": lambda ctx, m: m.product,
    "media_type": _f("media_type"),
    "media_url": _media_url,
    "permalink": lambda ctx, m: m.permalink if m.permalink else OMIT,
    "shortcode": _f("shortcode"),
    "thumbnail_url": _thumb,
    "timestamp": lambda ctx, m: fmt_ts(m.ts),
    "username": lambda ctx, m: m.username if m.username else OMIT,
    "is_shared_to_feed": lambda ctx, m: (m.product == "REELS") if m.product in ("REELS", "FEED") else OMIT,
    "legacy_instagram_media_id": _f("ig_id"),
    "alt_text": lambda ctx, m: OMIT,
}


def build_types():
    media_edges = {
        # positional edge (sortkey None): wrapped with item indexes at the end of this module
        "children": Edge(_children_items, "IGMediaChild", None, default_limit=25),
        "comments": Edge(_comment_items, "IGComment", _comment_key_desc, default_limit=25, max_limit=100),
    }
    TYPES["IGMedia"] = NT("IGMedia", ["id"], MEDIA_SCALARS, subnodes={"owner": _owner},
                          edges=media_edges, params={"insights": provided("media_insights")})
    child_scalars = {k: v for k, v in MEDIA_SCALARS.items()
                     if k not in ("caption", "comments_count", "is_comment_enabled", "like_count", "permalink")}
    TYPES["IGMediaChild"] = NT("IGMedia", ["id"], child_scalars, subnodes={"owner": _owner},
                               reject={k: _reject_child for k in ("caption", "comments_count", "is_comment_enabled",
                                                                 "like_count", "children", "comments", "insights")})
    pub_scalars = {k: MEDIA_SCALARS[k] for k in ("id", "caption", "comments_count", "like_count", "media_type",
                                                 "media_url", "permalink", "timestamp", "media_product_type")}
    TYPES["IGMediaHashtag"] = NT("IGMedia", ["id"], pub_scalars,
                                 edges={"children": Edge(lambda ctx, m, p: [ctx.world.media[c] for c in (m.children or [])],
                                                         "IGMediaHashtagChild", None)},
                                 reject={"username": _reject_username_public})
    TYPES["IGMediaHashtagChild"] = NT("IGMedia", ["id"], {k: MEDIA_SCALARS[k] for k in ("id", "media_type", "media_url", "timestamp")},
                                      reject={"username": _reject_username_public})
    # media of other accounts (tags, mentions, business discovery): public fields
    pubm = {k: MEDIA_SCALARS[k] for k in ("id", "caption", "comments_count", "like_count", "media_type", "media_url",
                                          "permalink", "timestamp", "username", "media_product_type", "thumbnail_url",
                                          "shortcode", "ig_id")}
    TYPES["IGMediaPublic"] = NT("IGMedia", ["id"], pubm, subnodes={"owner": _owner},
                                edges={"children": Edge(lambda ctx, m, p: [ctx.world.media[c] for c in (m.children or [])],
                                                        "IGMediaHashtagChild", None)})
    TYPES["IGUserRef"] = NT("IGUser", ["id"], {"id": _f("id"), "username": _f("username")})
    comment_scalars = {
        "id": _f("id"),
        "text": _f("text"),
        "timestamp": lambda ctx, c: fmt_ts(c.ts),
        "username": _f("username"),
        "like_count": _f("like_count"),
        "hidden": _f("hidden"),
        "parent_id": lambda ctx, c: c.parent.id if c.parent is not None else OMIT,
        "legacy_instagram_comment_id": lambda ctx, c: str(int(c.id) // 7 + 10 ** 16),
    }
    TYPES["IGComment"] = NT(
        "IGComment", ["timestamp", "text", "id"], comment_scalars,
        subnodes={
            "from": lambda ctx, c: (c, "IGCommentFrom", ["id", "username"]),
            "media": lambda ctx, c: (c.media, "IGMediaRef", ["id"]),
            "user": lambda ctx, c: ((ctx.world.accounts[c.from_id], "IGUserRef", ["id"])
                                    if c.from_id in ctx.world.accounts else None),
        },
        edges={"replies": Edge(_reply_items, "IGComment", _comment_key_asc, default_limit=25, max_limit=100)})
    TYPES["IGCommentFrom"] = NT("IGCommentFromUser", ["id", "username"],
                                {"id": _f("from_id"), "username": _f("username")})
    TYPES["IGMediaRef"] = NT("IGMedia", ["id"], {"id": _f("id"), "media_product_type": lambda ctx, m: m.product})

    def _ig_user_scalars():
        return {
            "id": _f("id"),
            "ig_id": _f("ig_id"),
            "username": _f("username"),
            "name": _f("name"),
            "biography": _f("biography"),
            "website": _f("website"),
            "profile_picture_url": _f("picture"),
            "followers_count": _f("followers"),
            "follows_count": _f("follows"),
            "media_count": lambda ctx, a: sum(1 for m in ctx.world.discovery_media(a) if not m.deleted and m.ts <= ctx.now),
            "has_profile_pic": lambda ctx, a: True,
            "is_published": lambda ctx, a: True,
        }
    sc = _ig_user_scalars()
    TYPES["IGUser"] = NT(
        "IGUser", ["id"], sc,
        edges={
            "media": Edge(_account_media, "IGMedia", _media_key, default_limit=25, max_limit=100),
            "stories": Edge(_stories, "IGMedia", _media_key, default_limit=25, max_limit=100),
            "tags": Edge(_tags, "IGMediaPublic", _media_key, default_limit=25, max_limit=100),
        },
        params={"business_discovery": provided("business_discovery"), "mentioned_media": _mentioned_media,
                "mentioned_comment": _mentioned_comment})
    igl = dict(sc)
    igl["user_id"] = lambda ctx, a: int(a.id)  # [U] the sandbox reuses the professional account id
    igl["account_type"] = lambda ctx, a: "BUSINESS"
    for k in ("ig_id", "has_profile_pic", "is_published"):
        igl.pop(k)
    TYPES["IGUserIGLogin"] = NT("User", ["id"], igl, edges={
        "media": TYPES["IGUser"].edges["media"], "stories": TYPES["IGUser"].edges["stories"],
        "tags": TYPES["IGUser"].edges["tags"]})
    disc = {k: sc[k] for k in ("id", "ig_id", "username", "name", "biography", "website", "profile_picture_url",
                               "followers_count", "follows_count", "media_count")}
    TYPES["IGUserDiscovery"] = NT("IGUser", ["id"], disc,
                                  edges={"media": Edge(_account_media, "IGMediaPublic", _media_key, 25, 100)},
                                  reject={"stories": _reject_discovery_stories, "tags": _reject_discovery_stories})
    TYPES["Hashtag"] = NT("IGHashtag", ["id"], {"id": lambda ctx, h: h[0], "name": lambda ctx, h: h[1]})
    TYPES["Container"] = NT("IGContainer", ["id"], {
        "id": _f("id"),
        "status_code": lambda ctx, c: ctx.container_status(c)[0],
        "status": lambda ctx, c: ctx.container_status(c)[1],
    })
    TYPES["User"] = NT("User", ["id", "name"], {"id": _f("id"), "name": _f("name")},
                       edges={"accounts": Edge(lambda ctx, u, p: [ctx.world.pages[i] for i in u.pages], "Page",
                                               None, default_limit=25, max_limit=100)})
    TYPES["Page"] = NT("Page", ["name", "id"], {
        "id": _f("id"),
        "name": _f("name"),
        "category": _f("category"),
        "category_list": lambda ctx, p: [{"id": "128673187201735", "name": p.category}],
        "tasks": lambda ctx, p: ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
        "access_token": lambda ctx, p: ctx.page_token(p),
    }, subnodes={
        "instagram_business_account": lambda ctx, p: ((ctx.world.accounts[p.ig_id], "IGUser", ["id"])
                                                      if p.ig_id else None),
        "connected_instagram_account": lambda ctx, p: ((ctx.world.accounts[p.ig_id], "IGUserRef", ["id"])
                                                       if p.ig_id else None),
    })


build_types()


# positional edges (children): paginate needs a sortkey; give each item its index
def _positional(edge):
    fn = edge.fn

    def wrapped(ctx, parent, params):
        return [(_Pos(i, it)) for i, it in enumerate(fn(ctx, parent, params))]
    return wrapped


class _Pos:
    """Wrap an item with its index so positional edges can use the generic pager."""
    __slots__ = ("i", "item")

    def __init__(self, i, item):
        self.i = i
        self.item = item


def _unwrap_nt(ntname):
    inner = TYPES[ntname]
    return NT(inner.name, inner.default,
              {k: (lambda f: (lambda ctx, p: f(ctx, p.item)))(f) for k, f in inner.scalars.items()},
              subnodes={k: (lambda f: (lambda ctx, p: f(ctx, p.item)))(f) for k, f in inner.subnodes.items()},
              edges={k: Edge((lambda f: (lambda ctx, p, prm: f(ctx, p.item, prm)))(e.fn), e.nt, e.sortkey,
                             e.default_limit, e.max_limit) for k, e in inner.edges.items()},
              params={k: (lambda f: (lambda ctx, p, s: f(ctx, p.item, s)))(f) for k, f in inner.params.items()},
              reject=inner.reject)


for _tn in list(TYPES):
    _t = TYPES[_tn]
    for _en, _e in list(_t.edges.items()):
        if _e.sortkey is None:
            _t.edges[_en] = Edge(_positional(_e), _unwrap_nt(_e.nt), lambda p: (p.i,), _e.default_limit, _e.max_limit)
