"""Saying what is wrong with BusinessAccountId when the account node fails.

A newcomer's first mistakes are an id that is not an Instagram business
account the token can see (a typo, another user's account) and the id of the
Facebook Page instead of the Instagram account linked to it.  The Graph API
answers those with "Object with ID ... does not exist" or "(#100) Tried
accessing nonexisting field (username) on node type (Page)", or an empty
profile.  Only when a call on the account itself fails (never on the happy
path: no extra request) do we ask the API which accounts the token sees and
replace the error with one naming the right id.
"""

from ig_fdw.auth.errors import AccountChoiceError, AuthError
from ig_fdw.auth.oauth import describe_accounts, discover_business_accounts
from ig_fdw.graph.errors import GraphError


def _set_hint(ig_id):
    return ("Set BusinessAccountId to %s where it is given (server, user mapping or foreign table option), e.g. "
            "ALTER SERVER <server> OPTIONS (SET BusinessAccountId '%s'); `ig-fdw accounts` lists the accounts "
            "the token sees." % (ig_id, ig_id))


def _linked_account(http_get, page_id):
    """(page name, Account-like tuple) when ``page_id`` is a Facebook Page with a linked IG account."""
    try:
        body = http_get(page_id, {"fields": "id,name,instagram_business_account{id,username}"})
    except (GraphError, AuthError):
        return None
    ig = (body or {}).get("instagram_business_account") or {}
    if not ig.get("id"):
        return None
    return body.get("name"), str(ig["id"]), ig.get("username")


def diagnose(opts, http_get, account_id, error=None):
    """An AccountChoiceError saying what ``account_id`` really is, or None when it is an account the token
    sees (then ``error`` is about something else and stands)."""
    account_id = str(account_id)
    try:
        accounts = discover_business_accounts(opts, http_get)
    except (GraphError, AuthError):
        return None   # cannot tell: keep the API's own error
    if any(a.ig_id == account_id for a in accounts):
        return None
    page = next((a for a in accounts if a.page_id == account_id), None)
    if page is not None:
        linked = (page.page_name, page.ig_id, page.username)
    elif opts.login == "facebook":
        linked = _linked_account(http_get, account_id)
    else:
        linked = None
    if linked is not None:
        name, ig_id, username = linked
        return AccountChoiceError(
            "BusinessAccountId %s is the id of the Facebook Page \"%s\", not of an Instagram business account; "
            "the Instagram business account linked to that Page is %s (@%s)" % (account_id, name, ig_id,
                                                                              username),
            _set_hint(ig_id), accounts=accounts)
    seen = describe_accounts(accounts) if accounts else "none"
    return AccountChoiceError(
        "BusinessAccountId %s is not an Instagram business account this token can see (the Graph API said: "
        "%s); the token sees: %s" % (account_id, _short(error), seen),
        _set_hint(accounts[0].ig_id) if accounts else
        "Link an Instagram professional account to a Facebook Page you manage and authorize with the "
        "pages_show_list and instagram_basic permissions (or use Login=instagram).", accounts=accounts)


def _short(error):
    if error is None:
        return "no such account"
    return getattr(error, "message", None) or str(error).split("\n")[0]
