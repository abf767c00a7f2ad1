"""Routing table of the Graph API emulation.

Paths are ``[/ig][/vNN.N]/<segments>``: the optional ``/ig`` prefix selects the
Instagram-Login flavour (graph.instagram.com), the optional version prefix
selects the API version (default: DEFAULT_VERSION [U] — the real API uses the
app's default version when none is given).

``TEMPLATE_NAMES`` gives the normalised path templates reported by
``/__sandbox/stats`` (e.g. ``GET /{ig-user-id}/media``).
"""

import re

from . import handlers_graph as hg
from . import handlers_insights as hi
from . import handlers_publish as hp
from .errors import not_found, unknown_path
from .nodes import check_provided

check_provided()  # every handler module is loaded above

DEFAULT_VERSION = "v22.0"
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")

TEMPLATE_NAMES = {
    "iguser": "{ig-user-id}", "page": "{page-id}", "user": "{user-id}", "media": "{media-id}",
    "comment": "{comment-id}", "container": "{container-id}", "hashtag": "{hashtag-id}", None: "{id}",
}

# (method, kind, edge) -> handler(ctx, kind, obj, edge)
ROUTES = {
    ("GET", "iguser", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "iguser", "media"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "iguser", "stories"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "iguser", "tags"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "iguser", "recently_searched_hashtags"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "iguser", "insights"): lambda c, k, o, e: (hg.require_scope(c, "instagram_manage_insights",
                                                                         "instagram_business_manage_insights"),
                                                        hi.user_insights(c, o))[1],
    ("GET", "iguser", "content_publishing_limit"): lambda c, k, o, e: hp.publishing_limit(c, o),
    ("POST", "iguser", "media"): lambda c, k, o, e: hp.create_container(c, o),
    ("POST", "iguser", "media_publish"): lambda c, k, o, e: hp.publish(c, o),
    ("POST", "iguser", "mentions"): lambda c, k, o, e: hg.reply_to_mention(c, o),
    ("GET", "media", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "media", "children"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "media", "comments"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "media", "insights"): lambda c, k, o, e: (hg.require_scope(c, "instagram_manage_insights",
                                                                        "instagram_business_manage_insights"),
                                                       hi.media_insights(c, o))[1],
    ("POST", "media", None): lambda c, k, o, e: hg.post_media(c, o),
    ("POST", "media", "comments"): lambda c, k, o, e: hg.create_comment(c, o),
    ("DELETE", "media", None): lambda c, k, o, e: hg.delete_media(c, o),
    ("GET", "comment", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "comment", "replies"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("POST", "comment", None): lambda c, k, o, e: hg.post_comment(c, o),
    ("POST", "comment", "replies"): lambda c, k, o, e: hg.create_reply(c, o),
    ("DELETE", "comment", None): lambda c, k, o, e: hg.delete_comment(c, o),
    ("GET", "hashtag", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "hashtag", "top_media"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "hashtag", "recent_media"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "container", None): lambda c, k, o, e: _get_container(c, o),
    ("GET", "page", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "user", None): lambda c, k, o, e: hg.get_node(c, k, o),
    ("GET", "user", "accounts"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
    ("GET", "user", "permissions"): lambda c, k, o, e: hg.get_edge(c, k, o, e),
}
KNOWN_EDGES = {}
for (_m, _k, _e) in ROUTES:
    KNOWN_EDGES.setdefault(_k, set()).add(_e)


def _get_container(ctx, c):
    specs = hg.specs_of(ctx)
    if specs and any(s.name in ("status", "status_code") for s in specs):
        c.polls += 1
    return hg.get_node(ctx, "container", c)


class Parsed:
    """Result of splitting a request path."""
    __slots__ = ("flavour", "version", "version_str", "segments", "rel_path")

    def __init__(self, path):
        segs = [s for s in path.split("/") if s]
        self.flavour = "fb"
        if segs and segs[0] == "ig":
            self.flavour = "ig"
            segs = segs[1:]
        self.version_str = DEFAULT_VERSION
        if segs and _VERSION.match(segs[0]):
            self.version_str = segs[0]
            segs = segs[1:]
        mv = _VERSION.match(self.version_str)
        self.version = float("%s.%s" % (mv.group(1), mv.group(2)))
        self.segments = segs
        self.rel_path = "/" + "/".join(segs)


def oauth_route(parsed, method):
    """Return the name of an OAuth endpoint or None."""
    s = parsed.segments
    if parsed.flavour == "fb":
        if s == ["dialog", "oauth"]:
            return "fb_dialog"
        if s == ["oauth", "access_token"]:
            return "fb_access_token"
    else:
        if s == ["oauth", "authorize"]:
            return "ig_authorize"
        if s == ["oauth", "access_token"]:
            return "ig_code_exchange"
        if s == ["access_token"]:
            return "ig_exchange"
        if s == ["refresh_access_token"]:
            return "ig_refresh"
    return None


def template_for(parsed, kind, method):
    s = parsed.segments
    prefix = "/ig" if parsed.flavour == "ig" else ""
    if not s:
        path = "/"
    elif s[0] in ("me", "debug_token", "ig_hashtag_search") and len(s) <= 2:
        path = "/" + "/".join(s)
    else:
        path = "/" + TEMPLATE_NAMES.get(kind, "{id}") + ("/" + "/".join(s[1:]) if len(s) > 1 else "")
    return "%s %s%s" % (method, prefix, path)


def dispatch(ctx, kind, obj, edge):
    h = ROUTES.get((ctx.method, kind, edge))
    if h is None:
        if edge is not None and edge not in KNOWN_EDGES.get(kind, ()):
            raise unknown_path("/" + edge)
        raise not_found(getattr(obj, "id", obj[0] if isinstance(obj, tuple) else "?"), ctx.method)
    return h(ctx, kind, obj, edge)
