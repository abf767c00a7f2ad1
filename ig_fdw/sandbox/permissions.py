"""Which permission each edge and expanded field needs (Meta's reference page
of each edge).

A token lacking it gets code 10 "(#10) Application does not have permission
for this action", whether the edge is called directly (``/{media}/insights``)
or through field expansion (``fields=insights.metric(reach)``) or a batch
item, as the real API answers.  Facebook-Login names first, Instagram-Login
names second (None: not available with that login).

[U] only the ``instagram_*`` permission of each edge is checked; the
``pages_read_engagement`` / ``ads_*`` requirements Meta lists for
Business-Manager roles are not enforced.
"""

from .errors import GraphError

BASIC = ("instagram_basic", "instagram_business_basic")
COMMENTS = ("instagram_manage_comments", "instagram_business_manage_comments")
INSIGHTS = ("instagram_manage_insights", "instagram_business_manage_insights")
PUBLISH = ("instagram_content_publish", "instagram_business_content_publish")

#: edge or parametric field name -> permission (any node type that has it)
FIELD_SCOPES = {
    "insights": INSIGHTS,            # code 10 without instagram_manage_insights
    "business_discovery": INSIGHTS,  # Meta's Business Discovery page
    "comments": COMMENTS,            # Meta's IG Media comments page
    "replies": COMMENTS,             # Meta's IG Comment replies page
    "tags": COMMENTS,                # Meta's IG User tags page
    "mentioned_media": COMMENTS,     # Meta's Mentioned Media page
    "mentioned_comment": COMMENTS,   # Meta's Mentioned Comment page
}


def no_permission():
    return GraphError("(#10) Application does not have permission for this action", 10)


def require(ctx, scope_pair):
    """Raise code 10 when the call's token lacks the permission."""
    tok = ctx.token
    need = scope_pair[1] if tok.flavour == "ig" else scope_pair[0]
    if need and need not in (tok.scopes or []):
        raise no_permission()


def require_field(ctx, name):
    """The permission of an edge or parametric field, if it needs one."""
    pair = FIELD_SCOPES.get(name)
    if pair is not None:
        require(ctx, pair)
