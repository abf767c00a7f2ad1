"""Control API under /__sandbox/ (the real API cannot have this prefix).

GET  /__sandbox/stats             counters, see App.stats()
POST /__sandbox/reset[?all=1]     reset statistics (all=1: the whole state, as a fresh start)
GET  /__sandbox/clock             {"now": unix, "iso": "..."}
POST /__sandbox/clock             {"advance": seconds} or {"now": unix}
GET  /__sandbox/faults            active rules with their counters
POST /__sandbox/faults            {"spec": "..."} | {"rules": [...]} | [...] | null
GET  /__sandbox/writes            write log
POST /__sandbox/tokens            {"kind", "user", "expires_in", "scopes"} -> {"access_token", ...}
POST /__sandbox/oauth             {"deny": bool, "ig_account": id}
GET  /__sandbox/info              app ids/secrets, accounts, pages, usernames, hashtags (no tokens)
POST /__sandbox/limits            {"budget_per_hour": n}
"""

import json
from urllib.parse import parse_qsl

from .clock import fmt_ts
from .words import DISCOVERY, HASHTAGS
from .faults import FaultSpecError


def _body_json(raw, ctype):
    if not raw:
        return {}
    if "json" in (ctype or "") or raw[:1] in (b"{", b"[", b"n"):
        return json.loads(raw.decode())
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


def info(app):
    w = app.world
    accounts = []
    for aid in w.account_ids:
        a = w.accounts[aid]
        accounts.append({"id": a.id, "username": a.username, "name": a.name, "role": a.role,
                         "followers_count": a.followers, "page_id": a.page_id,
                         "business_since": a.business_since,
                         "mentioned_media_ids": list(a.mentions),
                         "mentioned_comment_ids": list(a.mention_comments)})
    return {
        "seed": app.seed, "app_id": w.app_id, "app_secret": w.app_secret,
        "ig_app_id": w.ig_app_id, "ig_app_secret": w.ig_app_secret,
        "user": {"id": w.user.id, "name": w.user.name, "scopes": list(w.user.scopes)},
        "accounts": accounts,
        # `--accounts N` (agency.py): reachable by the user token, and each by an Instagram Login token
        # (POST /__sandbox/tokens {"kind": "ig_long", "user": id}, or the /ig/oauth/authorize dialog
        # after POST /__sandbox/oauth {"ig_account": id})
        "agency_accounts": list(getattr(w, "agency_ids", [])),
        "pages": [{"id": p.id, "name": p.name, "instagram_business_account": p.ig_id} for p in w.pages.values()],
        "discovery_usernames": [d[0] for d in DISCOVERY] + [w.accounts[a].username for a in w.account_ids],
        "hashtags": list(HASHTAGS),
        "now": app.clock.now(), "budget_per_hour": app.limits.budget,
    }


def handle(app, method, path, query, raw, ctype):
    """Return (status, obj)."""
    q = dict(parse_qsl(query, keep_blank_values=True))
    name = path[len("/__sandbox/"):].strip("/")
    try:
        body = _body_json(raw, ctype) if method == "POST" else {}
    except ValueError:
        return 400, {"error": "body must be JSON"}
    with app.lock:
        if name == "stats" and method == "GET":
            return 200, app.stats()
        if name == "reset" and method == "POST":
            if q.get("all") in ("1", "true") or (isinstance(body, dict) and body.get("all")):
                app.reset_all()
            else:
                app.reset_stats()
            return 200, {"success": True}
        if name == "clock":
            if method == "POST":
                try:
                    if "advance" in body:
                        app.clock.advance(int(body["advance"]))
                    elif "now" in body:
                        app.clock.set(int(body["now"]))
                except ValueError as e:
                    return 400, {"error": str(e)}
            now = app.clock.now()
            return 200, {"now": now, "iso": fmt_ts(now)}
        if name == "faults":
            if method == "POST":
                try:
                    app.faults.set(body if body != {} else None)
                except (FaultSpecError, TypeError, ValueError) as e:
                    return 400, {"error": str(e)}
            return 200, app.faults.to_json()
        if name == "writes" and method == "GET":
            return 200, {"writes": list(app.write_log)}
        if name == "tokens" and method == "POST":
            try:
                t = app.tokens.mint(body.get("kind", "user_long"), user=body.get("user"),
                                    expires_in=body.get("expires_in"), scopes=body.get("scopes"))
            except ValueError as e:
                return 400, {"error": str(e)}
            return 200, {"access_token": t.value, "kind": t.kind, "expires_at": t.expires}
        if name == "oauth" and method == "POST":
            if "deny" in body:
                app.oauth.deny = bool(body["deny"])
            if "ig_account" in body:
                app.oauth.ig_account = body["ig_account"]
            return 200, {"deny": app.oauth.deny, "ig_account": app.oauth.ig_account or app.world.account_ids[0]}
        if name == "info" and method == "GET":
            return 200, info(app)
        if name == "limits" and method == "POST":
            if "budget_per_hour" in body:
                app.limits.budget = max(1, int(body["budget_per_hour"]))
            return 200, {"budget_per_hour": app.limits.budget}
    return 404, {"error": "unknown control endpoint %s %s" % (method, path)}
