"""Naming the permission a table needs when the Graph API answers code 10.

The catalog lists each table's scopes (Facebook-Login names).  A permission
error on ``comments`` must send the user after ``instagram_manage_comments``,
not after some other table's scope: the hint names the scopes of *this*
table that go beyond the basic ones every table needs, in the names of the
server's login flavour.
"""

from ig_fdw.graph.errors import PermissionDenied

BASIC = ("instagram_basic", "pages_show_list", "pages_read_engagement")

#: Facebook-Login scope -> Instagram-Login scope (None: no such permission there)
INSTAGRAM_LOGIN = {
    "instagram_basic": "instagram_business_basic",
    "instagram_manage_comments": "instagram_business_manage_comments",
    "instagram_manage_insights": "instagram_business_manage_insights",
    "instagram_content_publish": "instagram_business_content_publish",
    "pages_show_list": None,
    "pages_read_engagement": None,
}


#: writes that need a permission their table's reads do not (reference 2.5, 2.7)
WRITE_SCOPES = {
    ("media", "insert"): ("instagram_content_publish",),      # publishing
    ("ig_media", "update"): ("instagram_manage_comments",),   # comment_enabled
}


def table_scopes(table, login="facebook", operation=None):
    """(the table's own scopes, the basic ones) in the login flavour's names;
    for a write, the permission that write needs."""
    scopes = WRITE_SCOPES.get((table.name, operation), ()) + tuple(table.scopes)
    own = [s for s in scopes if s not in BASIC] or [s for s in scopes if s in BASIC]
    own = list(dict.fromkeys(own))[:1] if (table.name, operation) in WRITE_SCOPES else own
    basic = [s for s in scopes if s in BASIC and s not in own]
    if login == "instagram":
        own = [INSTAGRAM_LOGIN.get(s, s) for s in own if INSTAGRAM_LOGIN.get(s, s)]
        basic = [INSTAGRAM_LOGIN.get(s, s) for s in basic if INSTAGRAM_LOGIN.get(s, s)]
        basic = [s for s in basic if s not in own]
    return own, basic


def is_missing_permission(err):
    """Code 10 / 200-299 that is about a permission (code 10 also says "Not
    enough viewers" for small stories, which is no permission problem)."""
    return isinstance(err, PermissionDenied) and "viewers" not in str(getattr(err, "message", err)).lower()


def scope_hint(table, login="facebook", operation=None):
    """The HINT for a permission error on ``table``, or None if it has no scopes."""
    own, basic = table_scopes(table, login, operation) if getattr(table, "scopes", None) else ([], [])
    if not own:
        return None
    also = (" (besides %s)" % ", ".join(basic)) if basic else ""
    how = ("add it to the Scope option and authorize again (ig-fdw login), or have the account's admin grant "
           "it to the app" if login != "instagram" else
           "add it to the Scope option and authorize again with Instagram Login (ig-fdw login)")
    return "Grant %s%s to the token: %s." % (" and ".join(own), also, how)


def name_table_scope(err, table, login="facebook", operation=None):
    """The same error, its message and hint naming the table's missing scope."""
    hint = scope_hint(table, login, operation) if is_missing_permission(err) else None
    if hint is None:
        return err
    own, _ = table_scopes(table, login, operation)
    return PermissionDenied(
        "%s needs the permission %s, which the access token does not have: %s"
        % (table.name, " and ".join(own), getattr(err, "message", err)),
        code=err.code, subcode=err.subcode, type=err.type, fbtrace_id=err.fbtrace_id,
        http_status=err.http_status, hint=hint)


def name_scope_in_hint(err, table, login="facebook", operation=None):
    """A write error that wraps a permission denial (SQLSTATE 42501) keeps
    its message (which rows were sent) and gets the table's scope as hint."""
    if getattr(err, "sqlstate", None) == "42501" and "viewers" not in str(err).lower():
        hint = scope_hint(table, login, operation)
        if hint is not None:
            err.hint = hint
    return err
