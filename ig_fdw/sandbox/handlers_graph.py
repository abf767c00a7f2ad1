"""Handlers for the Graph API objects: IG users, media, comments, pages,
hashtags, discovery, multi-id reads."""

import re

from .clock import DAY
from .errors import GraphError, not_found, param_error, nonexisting_field, unknown_path
from .fields import parse_fields, FieldSpec
from .nodes import TYPES, NT, Edge, provides, render, render_edge
from . import permissions

TYPES["Permission"] = NT("Permission", ["permission", "status"],
                         {"permission": lambda ctx, p: p[0], "status": lambda ctx, p: p[1]})
PAGE_LIST_DEFAULT = ["access_token", "category", "category_list", "name", "id", "tasks"]

HASHTAG_WINDOW = 7 * DAY
HASHTAG_LIMIT = 30


def specs_of(ctx):
    return parse_fields(ctx.params.get("fields"))


def bool_param(ctx, name):
    v = ctx.params.get(name)
    if v is None:
        return None
    s = str(v).strip().lower()
    if s in ("true", "1"):
        return True
    if s in ("false", "0"):
        return False
    raise param_error("Param %s must be a boolean" % name)  # [U] exact wording


def require(ctx, name):
    v = ctx.params.get(name)
    if v is None or v == "":
        raise param_error("The parameter %s is required" % name)
    return v


def require_scope(ctx, fb_scope, ig_scope):
    permissions.require(ctx, (fb_scope, ig_scope))


# ----------------------------------------------------------------- nodes
def get_node(ctx, kind, obj):
    specs = specs_of(ctx)
    if kind == "iguser":
        require_scope(ctx, "instagram_basic", "instagram_business_basic")
        nt = "IGUserIGLogin" if ctx.flavour == "ig" else "IGUser"
        return render(ctx, obj, nt, specs)
    if kind == "media":
        require_scope(ctx, "instagram_basic", "instagram_business_basic")
        nt = "IGMediaChild" if obj.parent is not None else "IGMedia"
        return render(ctx, obj, nt, specs)
    if kind == "comment":
        permissions.require(ctx, permissions.COMMENTS)  # Meta's IG Comment page
        return render(ctx, obj, "IGComment", specs)
    if kind == "hashtag":
        return render(ctx, obj, "Hashtag", specs)
    if kind == "container":
        return render(ctx, obj, "Container", specs)
    if kind == "page":
        return render(ctx, obj, "Page", specs)
    if kind == "user":
        return render(ctx, obj, "User", specs)
    raise not_found(getattr(obj, "id", "?"))


def get_edge(ctx, kind, obj, edge):
    specs = specs_of(ctx)
    if kind == "iguser" and edge in ("media", "stories", "tags"):
        require_scope(ctx, "instagram_basic", "instagram_business_basic")
        permissions.require_field(ctx, edge)
        if edge == "tags" and ctx.flavour == "ig":
            raise unknown_path("/tags")
        nt = TYPES["IGUserIGLogin"] if ctx.flavour == "ig" else TYPES["IGUser"]
        return render_edge(ctx, obj, nt.edges[edge], ctx.params, specs, path=ctx.rel_path)
    if kind == "iguser" and edge == "recently_searched_hashtags":
        if ctx.flavour == "ig":
            raise unknown_path("/" + edge)
        items = recently_searched(ctx, obj.id)
        e = Edge(lambda c, o, p: items, "Hashtag", lambda h: (h[2], h[0]), default_limit=25, max_limit=30)
        return render_edge(ctx, obj, e, ctx.params, specs, path=ctx.rel_path)
    if kind == "media" and edge in ("children", "comments"):
        nt = TYPES["IGMediaChild"] if obj.parent is not None else TYPES["IGMedia"]
        if edge not in nt.edges:
            raise nt.reject.get(edge, lambda f: nonexisting_field(f, "IGMedia"))(edge)
        if edge == "comments":
            require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
        return render_edge(ctx, obj, nt.edges[edge], ctx.params, specs, path=ctx.rel_path)
    if kind == "comment" and edge == "replies":
        permissions.require_field(ctx, edge)
        if obj.parent is not None:
            return {"data": []}
        return render_edge(ctx, obj, TYPES["IGComment"].edges["replies"], ctx.params, specs, path=ctx.rel_path)
    if kind == "hashtag" and edge in ("top_media", "recent_media"):
        return hashtag_media(ctx, obj, edge, specs)
    if kind == "user" and edge == "accounts":
        require_scope(ctx, "pages_show_list", None)
        user = ctx.world.users[obj.id]
        pages = [ctx.world.pages[p] for p in user.pages]
        e = Edge(lambda c, o, p: pages, "Page", lambda pg: (user.pages.index(pg.id),), 25, 100)
        return render_edge(ctx, obj, e, ctx.params, specs or [FieldSpec(f) for f in PAGE_LIST_DEFAULT],
                           path=ctx.rel_path)
    if kind == "user" and edge == "permissions":
        scopes = ctx.token.scopes or []
        items = [(s, "granted") for s in scopes]
        e = Edge(lambda c, o, p: items, "Permission", lambda it: (scopes.index(it[0]),), 100, 100)
        return render_edge(ctx, obj, e, ctx.params, specs, path=ctx.rel_path)
    raise unknown_path("/" + edge)


# ----------------------------------------------------------------- discovery
@provides("business_discovery")
def business_discovery(ctx, a, spec):
    if ctx.flavour == "ig":
        raise nonexisting_field("business_discovery", "User")
    username = spec.mods.get("username")
    if not username:
        raise param_error("The parameter username is required for business_discovery")  # [U]
    other = ctx.world.by_username.get(username.strip().lower())
    if other is None:
        raise GraphError("Invalid user id", 110, subcode=2207013, user_title="Cannot find User",
                         user_msg="The user with username: %s cannot be found." % username)
    ctx.targets.add(a.id)
    return render(ctx, other, "IGUserDiscovery", spec.children or [FieldSpec("id")])


# ----------------------------------------------------------------- hashtags
_TAG_RE = re.compile(r"^[^\W]+$", re.UNICODE)


def hashtag_search(ctx):
    if ctx.flavour == "ig":
        raise unknown_path("/ig_hashtag_search")
    user_id = require(ctx, "user_id")
    q = require(ctx, "q").strip()
    acct = ctx.app.check_account(ctx, user_id)
    ctx.targets.add(acct.id)
    if q.startswith("#"):
        q = q[1:]
    if not q or not _TAG_RE.match(q) or any(ord(ch) > 0x2000 for ch in q):
        # emoji and punctuation are not valid hashtags (Meta's Hashtag Search page) [U] wording
        raise GraphError("(#100) Invalid hashtag name: %s" % q, 100)
    hid = ctx.world.register_hashtag(q)
    now = ctx.now
    searched = ctx.app.hashtag_searches.setdefault(acct.id, {})
    for k in [k for k, t in searched.items() if t <= now - HASHTAG_WINDOW]:
        del searched[k]
    if hid not in searched:
        if len(searched) >= HASHTAG_LIMIT:
            # [U] code/subcode of the real "30 unique hashtags in 7 days" error
            raise GraphError("(#24) The user has reached the maximum number of unique hashtags (30) "
                             "that can be queried in a rolling 7 day period", 24, subcode=2207034,
                             user_title="Hashtag limit reached",
                             user_msg="You can query up to 30 unique hashtags within 7 days.")
        searched[hid] = now
    return {"data": [{"id": hid}]}


def recently_searched(ctx, acct_id):
    now = ctx.now
    searched = ctx.app.hashtag_searches.get(acct_id, {})
    return sorted(((hid, ctx.world.hashtags[hid], t) for hid, t in searched.items()
                   if t > now - HASHTAG_WINDOW), key=lambda h: (h[2], h[0]))


def hashtag_media(ctx, tag, edge, specs):
    hid, name = tag
    user_id = ctx.params.get("user_id")
    if not user_id:
        raise param_error("The parameter user_id is required")
    acct = ctx.app.check_account(ctx, user_id)
    ctx.targets.add(acct.id)
    world = ctx.world
    if edge == "top_media":
        items = world.top_media(name)
        key = None
        pos = {m.id: i for i, m in enumerate(items)}
        key = lambda m: (pos[m.id],)  # noqa: E731
    else:
        items = world.recent_media(name, ctx.now)
        key = lambda m: (-m.ts, m.id)  # noqa: E731
    e = Edge(lambda c, o, p: items, "IGMediaHashtag", key, default_limit=25, max_limit=50, forward_only=True)
    return render_edge(ctx, tag, e, ctx.params, specs, path=ctx.rel_path)


# ----------------------------------------------------------------- comments
_HASHTAG = re.compile(r"#\w+", re.UNICODE)
_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co|me|ly)\b(?:/\S*)?")


def validate_comment_text(text):
    """Instagram's comment rules: <= 300 characters, <= 4
    hashtags, <= 1 URL, not all capitals.  [U] the real error wording; the
    sandbox uses code 100 like other parameter errors."""
    if text is None or text == "":
        raise param_error("The parameter message is required")
    if len(text) > 300:
        raise param_error("The comment is too long: comments can be at most 300 characters")
    if len(_HASHTAG.findall(text)) > 4:
        raise param_error("Comments can contain at most 4 hashtags")
    if len(_URL.findall(text)) > 1:
        raise param_error("Comments can contain at most 1 URL")
    cased = [c for c in text if c.isupper() or c.islower()]
    if len(cased) >= 3 and all(c.isupper() for c in cased):
        raise param_error("Comments cannot consist of only capital letters")


def _owner_account(ctx, m):
    return ctx.world.accounts.get(m.owner)


def create_comment(ctx, m):
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    text = ctx.params.get("message")
    validate_comment_text(text)
    if m.parent is not None:
        raise not_found(m.id, "POST")
    if not m.comments_enabled or m.product == "STORY":
        # [U] wording/code for commenting on media with comments turned off
        raise GraphError("(#100) Comments are disabled for this media", 100)
    a = _owner_account(ctx, m)
    c = ctx.world.new_comment(m, None, text, ctx.now, a.username, a.id)
    ctx.app.log_write(ctx, "comment.create", comment_id=c.id, media_id=m.id, text=text)
    return {"id": c.id}


def create_reply(ctx, c):
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    text = ctx.params.get("message")
    validate_comment_text(text)
    top = c
    if c.parent is not None:
        # replies to a reply land on the top-level comment (Meta's IG Comment replies page)
        top = c.parent
    if top.hidden:
        # [U] the real code for replying to a hidden comment
        raise GraphError("(#100) Cannot reply to a hidden comment", 100)
    m = top.media
    if not m.comments_enabled:
        raise GraphError("(#100) Comments are disabled for this media", 100)
    a = _owner_account(ctx, m)
    r = ctx.world.new_comment(m, top, text, ctx.now, a.username, a.id)
    ctx.app.log_write(ctx, "reply.create", comment_id=r.id, parent_id=top.id, media_id=m.id, text=text)
    return {"id": r.id}


def post_comment(ctx, c):
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    hide = bool_param(ctx, "hide")
    if hide is None:
        raise param_error("The parameter hide is required")
    if c.from_id == c.media.owner:
        # comments by the media owner are always shown [U]
        raise GraphError("(#100) Comments made by the media owner cannot be hidden", 100)
    c.hidden = hide
    ctx.app.log_write(ctx, "comment.hide" if hide else "comment.unhide", comment_id=c.id, media_id=c.media.id)
    return {"success": True}


def delete_comment(ctx, c):
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    c.deleted = True
    for r in c.replies:
        r.deleted = True
    ctx.app.log_write(ctx, "comment.delete", comment_id=c.id, media_id=c.media.id)
    return {"success": True}


def post_media(ctx, m):
    v = bool_param(ctx, "comment_enabled")
    if v is None:
        raise param_error("The parameter comment_enabled is required")
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    if m.parent is not None or m.product == "STORY":
        raise not_found(m.id, "POST")
    m.comments_enabled = v
    ctx.app.log_write(ctx, "media.comment_enabled", media_id=m.id, comment_enabled=v)
    return {"success": True}


def delete_media(ctx, m):
    require_scope(ctx, "instagram_manage_contents", "instagram_business_content_publish")  # [U] IG Login scope
    if m.parent is not None:
        raise not_found(m.id, "DELETE")
    m.deleted = True
    ctx.app.log_write(ctx, "media.delete", media_id=m.id)
    return {"success": True}


# ----------------------------------------------------------------- ids=
MAX_IDS = 50  # [U]


def multi_get(ctx):
    ids = [i.strip() for i in ctx.params.get("ids", "").split(",") if i.strip()]
    if not ids:
        raise param_error("The parameter ids is required")
    if len(ids) > MAX_IDS:
        raise param_error("Too many IDs. Maximum: %d" % MAX_IDS)  # [U]
    resolved = []
    bad = []
    for i in ids:
        try:
            kind, obj = ctx.app.resolve(ctx, i, "GET")
            resolved.append((i, kind, obj))
        except GraphError:
            bad.append(i)
    if bad:
        # the whole call fails, like the real API
        raise GraphError("(#803) Some of the aliases you requested do not exist: %s" % ",".join(bad), 803)
    out = {}
    for i, kind, obj in resolved:
        out[i] = get_node(ctx, kind, obj)
    return out


def reply_to_mention(ctx, acct):
    """POST /{ig-user-id}/mentions: reply to a caption mention (media_id) or a
    comment mention (media_id + comment_id) with ``message``."""
    require_scope(ctx, "instagram_manage_comments", "instagram_business_manage_comments")
    if ctx.flavour == "ig":
        raise unknown_path("/mentions")
    media_id = require(ctx, "media_id")
    text = ctx.params.get("message")
    validate_comment_text(text)
    cid = ctx.params.get("comment_id")
    world = ctx.world
    if cid:
        if cid not in acct.mention_comments or world.extra_comments[cid].media.id != media_id:
            raise param_error("Invalid comment_id %s for media_id %s" % (cid, media_id))  # [U]
    elif media_id not in acct.mentions:
        raise param_error("Invalid media_id %s: the media does not mention this user" % media_id)  # [U]
    m = world.media[media_id]
    c = world.new_comment(m, None, text, ctx.now, acct.username, acct.id)
    ctx.app.log_write(ctx, "mention.reply", comment_id=c.id, media_id=media_id, mentioned_comment_id=cid, text=text)
    return {"id": c.id}
