"""OAuth endpoints: Facebook Login and Instagram (Business) Login.

Facebook Login (Meta's Facebook Login and access-token docs):
  GET  /vNN.0/dialog/oauth            dialog; auto-approves the sandbox user -> 302
  GET  /vNN.0/oauth/access_token      code exchange, or grant_type=fb_exchange_token
  GET  /vNN.0/debug_token             token introspection
Instagram Login (Meta's Business Login for Instagram docs), under the /ig prefix:
  GET  /ig/oauth/authorize            (www.instagram.com / api.instagram.com)
  POST /ig/oauth/access_token         (api.instagram.com) code -> short-lived token
  GET  /ig/access_token               (graph.instagram.com) grant_type=ig_exchange_token
  GET  /ig/refresh_access_token       (graph.instagram.com) grant_type=ig_refresh_token

Authorization codes are single use and expire after 10 minutes of the
sandbox clock.  [U] the real Instagram code lifetime is 1 h (secondary
source); the sandbox uses 10 min for both flavours so tests of expiry are
uniform.
"""

import hmac
from urllib.parse import urlencode, urlsplit

from .keyed import h64
from .errors import GraphError
from .tokens import B62, LIFETIMES
from .clock import fmt_long

CODE_TTL = 600


class Redirect:
    def __init__(self, location):
        self.location = location


class RawResponse:
    def __init__(self, status, body, content_type="application/json; charset=UTF-8"):
        self.status = status
        self.body = body
        self.content_type = content_type


def _html_error(msg):
    body = ("<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Sorry, something went wrong."
            "</h1><p>%s</p></body></html>" % msg).encode()
    return RawResponse(400, body, "text/html; charset=utf-8")


def _append_query(uri, params, fragment):
    sep = "&" if "?" in uri else "?"
    return uri + sep + urlencode(params) + fragment


class OAuth:
    def __init__(self, app):
        self.app = app
        self.codes = {}
        self.n = 0
        self.deny = False
        self.ig_account = None

    def _code(self, prefix):
        self.n += 1
        x = h64(self.app.world.seed, "code", self.n)
        chars = []
        for j in range(0, 4):
            y = h64(x, j)
            for _ in range(10):
                chars.append(B62[y % 62])
                y //= 62
        return prefix + "".join(chars)

    def _valid_uri(self, uri):
        try:
            u = urlsplit(uri)
        except ValueError:
            return False
        return u.scheme in ("http", "https") and bool(u.netloc)

    # ------------------------------------------------------------ Facebook
    def fb_dialog(self, params):
        world = self.app.world
        cid = params.get("client_id")
        if cid != world.app_id:
            return _html_error("Invalid App ID: The provided app ID does not look like a valid app ID.")
        uri = params.get("redirect_uri")
        if not uri or not self._valid_uri(uri):
            return _html_error("URL blocked: This redirect failed because the redirect URI is not whitelisted "
                               "in the app's client OAuth settings.")
        rtype = params.get("response_type", "code")
        if rtype != "code":
            # [U] the sandbox only implements the code flow
            return _html_error("Unsupported response_type %s" % rtype)
        scopes = [s.strip() for s in params.get("scope", "").replace(" ", ",").split(",") if s.strip()]
        bad = [s for s in scopes if s not in world.SCOPES]
        if bad:
            return _html_error("Invalid Scopes: %s. This message is only shown to developers." % ", ".join(bad))
        if not scopes:
            scopes = ["public_profile"]
        state = params.get("state")
        if self.deny:
            q = [("error", "access_denied"), ("error_code", "200"),
                 ("error_description", "Permissions error"), ("error_reason", "user_denied")]
            if state is not None:
                q.append(("state", state))
            return Redirect(_append_query(uri, q, "#_=_"))
        code = self._code("AQ")
        self.codes[code] = {"flavour": "fb", "client_id": cid, "redirect_uri": uri, "scopes": scopes,
                            "created": self.app.clock.now(), "used": False, "user": world.user.id}
        q = [("code", code)]
        if state is not None:
            q.append(("state", state))
        return Redirect(_append_query(uri, q, "#_=_"))

    def fb_access_token(self, params):
        world = self.app.world
        now = self.app.clock.now()
        if params.get("client_id") != world.app_id:
            raise GraphError("Error validating application. Invalid application ID.", 101)
        if params.get("grant_type") == "fb_exchange_token":
            if not hmac.compare_digest(str(params.get("client_secret", "")), world.app_secret):
                raise GraphError("Error validating client secret.", 1)
            t = self.app.tokens.lookup(params.get("fb_exchange_token", ""))
            if t is None or t.kind not in ("user_short", "user_long") or t.revoked:
                raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)
            if t.expired(now):
                raise expired_error(t, now)
            nt = self.app.tokens.mint("user_long", user=t.user_id, scopes=t.scopes)
            return {"access_token": nt.value, "token_type": "bearer", "expires_in": LIFETIMES["user_long"]}
        if not hmac.compare_digest(str(params.get("client_secret", "")), world.app_secret):
            raise GraphError("Error validating client secret.", 1)
        code = params.get("code")
        if not code:
            raise GraphError("(#100) The parameter code is required", 100)
        rec = self.codes.get(code)
        if rec is None or rec["flavour"] != "fb":
            raise GraphError("Invalid verification code format.", 100)
        if rec["used"]:
            raise GraphError("This authorization code has been used.", 100, subcode=36009)
        if now - rec["created"] >= CODE_TTL:
            raise GraphError("This authorization code has expired.", 100, subcode=36007)
        if params.get("redirect_uri") != rec["redirect_uri"]:
            raise GraphError("Error validating verification code. Please make sure your redirect_uri is identical "
                             "to the one you used in the OAuth dialog request", 100, subcode=36008)
        rec["used"] = True
        t = self.app.tokens.mint("user_short", user=rec["user"], scopes=rec["scopes"])
        return {"access_token": t.value, "token_type": "bearer", "expires_in": LIFETIMES["user_short"]}

    def debug_token(self, ctx):
        world = self.app.world
        now = self.app.clock.now()
        v = ctx.params.get("input_token")
        if not v:
            raise GraphError("(#100) The parameter input_token is required", 100)
        t = self.app.token_from_string(v)
        if t is None:
            return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                             "is_valid": False, "scopes": []}}
        d = {"app_id": world.ig_app_id if t.flavour == "ig" else world.app_id,
             "type": t.type_name,
             "application": "ig_fdw sandbox"}
        if t.kind != "app":
            d["data_access_expires_at"] = t.data_access_expires
            d["expires_at"] = t.expires
        valid = not (t.expired(now) or t.revoked)
        if not valid:
            msg = ("Session has expired on %s. The current time is %s." % (fmt_long(t.expires), fmt_long(now))
                   if t.expired(now) else "The session is invalid because the user logged out.")
            d["error"] = {"code": 190, "message": msg, "subcode": 463 if t.expired(now) else 467}
        d["is_valid"] = valid
        if t.kind != "app":
            d["issued_at"] = t.issued
            d["scopes"] = list(t.scopes or [])
            targets = sorted(world.pages) if t.kind.startswith("user") else [t.page_id or t.ig_id]
            d["granular_scopes"] = [{"scope": s, "target_ids": targets}
                                    for s in (t.scopes or []) if s.startswith(("pages_", "instagram_"))]
        if t.kind == "page":
            d["profile_id"] = t.page_id
        if t.user_id:
            d["user_id"] = t.user_id
        elif t.ig_id:
            d["user_id"] = t.ig_id
        return {"data": d}

    # ------------------------------------------------------------ Instagram
    def _ig_app_ok(self, cid):
        world = self.app.world
        # [U] convenience: the Meta app id is accepted as the Instagram app id too
        return cid in (world.ig_app_id, world.app_id)

    def _ig_secret_ok(self, secret):
        world = self.app.world
        s = str(secret or "")
        return hmac.compare_digest(s, world.ig_app_secret) or hmac.compare_digest(s, world.app_secret)

    def ig_authorize(self, params):
        world = self.app.world
        if not self._ig_app_ok(params.get("client_id")):
            return _html_error("Invalid platform app")
        uri = params.get("redirect_uri")
        if not uri or not self._valid_uri(uri):
            return _html_error("Invalid redirect_uri")
        scopes = [s.strip() for s in params.get("scope", "").replace(" ", ",").split(",") if s.strip()]
        bad = [s for s in scopes if s not in world.IG_SCOPES + ["instagram_business_manage_messages"]]
        if bad:
            return _html_error("Invalid scope: %s" % ", ".join(bad))
        state = params.get("state")
        if self.deny:
            q = [("error", "access_denied"), ("error_reason", "user_denied"),
                 ("error_description", "The user denied your request.")]
            if state is not None:
                q.append(("state", state))
            return Redirect(_append_query(uri, q, "#_"))
        code = self._code("AQD")
        self.codes[code] = {"flavour": "ig", "client_id": params.get("client_id"), "redirect_uri": uri,
                            "scopes": scopes or ["instagram_business_basic"], "created": self.app.clock.now(),
                            "used": False, "ig": self.ig_account or world.account_ids[0]}
        q = [("code", code)]
        if state is not None:
            q.append(("state", state))
        return Redirect(_append_query(uri, q, "#_"))

    def ig_code_exchange(self, params):
        """api.instagram.com style: errors are {"error_type","code","error_message"}."""
        def err(msg):
            return RawResponse(400, {"error_type": "OAuthException", "code": 400, "error_message": msg})
        now = self.app.clock.now()
        if not self._ig_app_ok(params.get("client_id")):
            return err("Invalid platform app")
        if not self._ig_secret_ok(params.get("client_secret")):
            return err("Error validating client secret.")
        if params.get("grant_type") != "authorization_code":
            return err("Invalid grant_type")  # [U]
        rec = self.codes.get(params.get("code") or "")
        if rec is None or rec["flavour"] != "ig" or rec["used"] or now - rec["created"] >= CODE_TTL:
            return err("Matching code was not found or was already used.")
        if params.get("redirect_uri") != rec["redirect_uri"]:
            return err("Error validating verification code. Please make sure your redirect_uri is identical to "
                       "the one you used in the OAuth dialog request")
        rec["used"] = True
        t = self.app.tokens.mint("ig_short", user=rec["ig"], scopes=rec["scopes"])
        # [U] business-login response shape; the legacy {access_token, user_id} plus permissions
        return {"access_token": t.value, "user_id": int(rec["ig"]), "permissions": list(rec["scopes"])}

    def ig_exchange(self, params):
        now = self.app.clock.now()
        if params.get("grant_type") != "ig_exchange_token":
            raise GraphError("Unsupported grant_type", 100, type="IGApiException")  # [U]
        if not self._ig_secret_ok(params.get("client_secret")):
            raise GraphError("Error validating client secret.", 1, type="IGApiException")
        t = self._live_ig_token(params, now)
        if t.kind != "ig_short":
            # [U] only short-lived tokens can be exchanged; long-lived ones are refreshed
            raise GraphError("(#100) Only short-lived access tokens can be exchanged. Use "
                             "refresh_access_token for long-lived tokens.", 100, type="IGApiException")
        nt = self.app.tokens.mint("ig_long", user=t.ig_id, scopes=t.scopes)
        return {"access_token": nt.value, "token_type": "bearer", "expires_in": LIFETIMES["ig_long"]}

    def _live_ig_token(self, params, now):
        """The Instagram-Login token of the request, or the 190 error the API gives."""
        t = self.app.tokens.lookup(params.get("access_token") or "")
        if t is None or not t.kind.startswith("ig_"):
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467,
                             type="IGApiException")
        if t.expired(now):
            raise expired_error(t, now, "IGApiException")
        return t

    def ig_refresh(self, params):
        now = self.app.clock.now()
        if params.get("grant_type") != "ig_refresh_token":
            raise GraphError("Unsupported grant_type", 100, type="IGApiException")  # [U]
        t = self._live_ig_token(params, now)
        if t.kind != "ig_long":
            raise GraphError("(#100) Only long-lived access tokens can be refreshed", 100, type="IGApiException")  # [U]
        if now - t.issued < 86400:
            # [U] code of the real "token must be at least 24 hours old" error
            raise GraphError("(#100) The access token can only be refreshed once it is at least 24 hours old",
                             100, type="IGApiException")
        nt = self.app.tokens.mint("ig_long", user=t.ig_id, scopes=t.scopes)
        return {"access_token": nt.value, "token_type": "bearer", "expires_in": LIFETIMES["ig_long"]}


def expired_error(t, now, type="OAuthException"):
    return GraphError("Error validating access token: Session has expired on %s. The current time is %s."
                      % (fmt_long(t.expires), fmt_long(now)), 190, subcode=463, type=type)
