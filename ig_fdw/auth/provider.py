"""TokenProvider: the Graph client's ``token_provider`` (``.token()``, ``.refresh(stale)``).

InitiateOAuth:

* ``OFF`` -- OAuthAccessToken as given; the settings file is never written.
* ``REFRESH`` / ``GETANDREFRESH`` -- the settings file is the truth.  When it
  is missing it is bootstrapped from OAuthAccessToken (upgraded to a
  long-lived token when it is short-lived) or by exchanging OAuthVerifier.
  Tokens are refreshed before they expire (``REFRESH_MARGIN``) and after a
  190 error; every refresh happens under the file's lock after re-reading
  the file, so N backends meeting the same stale token refresh it once.
  With no usable token: :class:`NeedsAuthorization`, whose hint carries the
  authorization URL and the command / SQL that finishes the flow.
"""

import hashlib
import os
import threading
import time

from ig_fdw.graph import apiclock
from ig_fdw.graph.redact import redact, redacting_logger, register_secret

from . import oauth
from .errors import AuthError, NeedsAuthorization, NoClientId
from . import mapping
from .accounts import AccountResolver
from .settings import SettingsFile, SettingsKeys

log = redacting_logger("ig_fdw.auth")

REFRESH_MARGIN = 7 * 86400   # refresh a token when less than this is left
SHORT_LIVED = 86400          # tokens living less than this are upgraded at once
IG_MIN_AGE = 86400           # ig_refresh_token needs a token at least 24 h old
RETRY_FAILED_REFRESH = 300   # after a failed proactive refresh, wait before trying again


def _h(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32] if value else None


def default_cli_settings_dir():
    """Where the CLI keeps OAuthSettings.txt when OAuthSettingsLocation is unset."""
    base = os.environ.get("IG_FDW_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "ig_fdw")
    return base


def connection_hint_string(opts, settings_path=None):
    """``--connection`` value with the non-secret options of ``opts`` (for hints)."""
    from ig_fdw.options import PROPERTIES
    parts = []
    for spec in PROPERTIES.values():
        if spec.secret or not opts.given(spec.attr):
            continue
        if spec.attr == "oauth_settings_location":
            continue
        parts.append("%s=%s" % (spec.name, _quote(getattr(opts, spec.attr))))
    if settings_path:
        parts.append("OAuthSettingsLocation=%s" % _quote(settings_path))
    return ";".join(parts)


def _quote(value):
    """A connection-string value, quoted when it needs to be (CData rules: double the quote)."""
    v = str(value)
    if any(c in v for c in ";'\" ") or v != v.strip():
        return "'" + v.replace("'", "''") + "'"
    return v


def needs_authorization(opts, reason, settings_path=None):
    """The actionable error: URL + exact CLI command + SQL."""
    try:
        url = oauth.authorization_url(opts)
    except NoClientId:
        raise NoClientId(reason + "; and OAuthClientId is not set", oauth.CREATE_APP_HINT) from None
    conn = connection_hint_string(opts, settings_path)
    hint = ("Authorize the app: on a machine with a browser run  ig-fdw login --connection \"%s\"  "
            "(set IG_FDW_OAUTHCLIENTSECRET). Headless: open %s , approve, copy the code= value of the page it "
            "redirects to (%s), then run  ig-fdw exchange --connection \"%s\" --verifier CODE  as the database "
            "server's OS user, or in SQL:  SELECT * FROM get_oauth_access_token WHERE verifier = 'CODE';"
            % (conn, url, opts.callback_url, conn))
    return NeedsAuthorization(reason, hint, authorization_url=url)


class TokenProvider:
    """Token source for :class:`ig_fdw.graph.GraphClient` (see module doc).

    ``settings_dir_default``: directory of OAuthSettings.txt when
    OAuthSettingsLocation is unset (the FDW passes a per-server directory in
    the data directory; the CLI :func:`default_cli_settings_dir`).
    ``clock``: epoch seconds; by default the API's clock (the ``Date`` of its
    responses, see :mod:`ig_fdw.graph.apiclock`), because the expiries it
    compares with come from the API.

    ``opts`` are the options as given; ``self.opts`` adds what the settings
    file remembers and the options do not say (app id and secret, Login), so
    that a later connection needs only OAuthSettingsLocation.
    """

    def __init__(self, opts, settings_dir_default=None, clock=None, mapping_checks=False):
        self.opts = opts
        self._given_opts = opts
        # inside PostgreSQL: credentials belong to the user mapping in use (ig_fdw.auth.mapping)
        self.mapping_checks = mapping_checks
        self.clock = clock or self._api_clock
        self.mode = opts.initiate_oauth
        path = opts.settings_path(settings_dir_default or default_cli_settings_dir())
        self.settings_path = os.path.abspath(path)
        self.state_dir = os.path.dirname(self.settings_path)
        self._lock = threading.RLock()
        self._state = None
        self._stat = None
        self._page = None           # OFF mode: (page_id, token) kept in memory
        self._refresh_failed_at = None
        self._settings = None
        self._resolver = None
        for s in opts.secrets():
            register_secret(s)
        seed = "|".join(str(x) for x in (opts.login, opts.oauth_client_id, self.settings_path,
                                          opts.authenticate_as_page or "", self.mode))
        if self.mode == "OFF":
            seed += "|" + (_h(opts.oauth_access_token) or "")
        self.identity = "ig_fdw-" + hashlib.sha256(seed.encode()).hexdigest()[:16]

    def __repr__(self):
        return "TokenProvider(%s, %s, %r)" % (self.identity, self.mode, self.settings_path)

    def _api_clock(self):
        return apiclock.now(self.opts.api_base)

    @property
    def app_secret(self):
        """Secret for the Graph client's appsecret_proof (Facebook Login only), else None."""
        return self.opts.oauth_client_secret if self.opts.login == "facebook" else None

    # -- settings file ---------------------------------------------------
    @property
    def settings(self):
        if self._settings is None:
            self._settings = SettingsFile(self.settings_path, SettingsKeys.from_options(self._given_opts),
                                          client_id=self._given_opts.oauth_client_id)
        return self._settings

    def load(self):
        """The file's state (re-read when the file changed), or None."""
        sf = self.settings
        key = sf.stat_key()
        if key is None:
            self._state, self._stat = None, None
            return None
        if key != self._stat or self._state is None:
            st = sf.read()
            self._owner_check(st)      # before the state is kept or its app details adopted
            self._state, self._stat = st, key
            self._register(st)
        return self._state

    def check_may_write(self):
        """Raise before an exchange or refresh whose result this mapping could not store."""
        self._check_mapping()
        if self.mapping_checks and self.settings.exists():
            self._owner_check(self.settings.read())

    def _check_mapping(self):
        if self.mapping_checks:
            mapping.require_credentials(self._given_opts)

    def _owner_check(self, st):
        """A file another mapping's credentials created is neither used nor
        replaced; a file without owners is adopted by a key credential."""
        if not (self.mapping_checks and mapping.check_owner(self._given_opts, st, self.settings_path)):
            return
        with self.settings.lock():
            current = self.settings.read()
            if current is not None and not current.get("owners"):
                self._save(mapping.owned(self._given_opts, current))

    def _register(self, st):
        """Every state read passes here: its secrets are redacted from then on, and adopted."""
        if st:
            register_secret(st.get("access_token"))
            register_secret(st.get("page_token"))
            register_secret(st.get("client_secret"))
            self._adopt(st)

    def _adopt(self, st):
        """Take the app id and secret and the Login flavour from the file when the options do not give them
        (CData's later connections: InitiateOAuth=REFRESH and OAuthSettingsLocation are enough)."""
        given = self._given_opts
        changes = {}
        if st.get("login") and not given.given("login"):
            changes["login"] = st["login"]
        if st.get("client_id") and not given.oauth_client_id:
            changes["oauth_client_id"] = st["client_id"]
        same_app = (changes.get("oauth_client_id") or given.oauth_client_id) == st.get("client_id")
        if st.get("client_secret") and not given.oauth_client_secret and same_app:
            changes["oauth_client_secret"] = st["client_secret"]
        if changes:
            self.opts = given.replace(**changes)

    def _save(self, st):
        st = mapping.owned(self._given_opts, st)     # the creating mapping's credentials own a new file
        self._register(st)
        self.settings.write(st)
        self._state = dict(st)
        self._stat = self.settings.stat_key()

    def store(self, info, **extra):
        """Persist a TokenInfo obtained elsewhere (exchange, CLI); returns the state."""
        self._check_mapping()
        with self._lock, self.settings.lock():
            st = None
            if self.settings.exists():
                st = self.settings.read()
                self._owner_check(st)
            st = self._state_from(info, st, **extra)
            self._save(st)
            return st

    def _state_from(self, info, old=None, **extra):
        now = self.clock()
        st = {"format": 1, "login": self.opts.login, "client_id": self.opts.oauth_client_id,
              "client_secret": self.opts.oauth_client_secret or (old or {}).get("client_secret"),
              "access_token": info.access_token, "token_type": info.token_type,
              "expires_at": info.expires_at if info.expires_in >= 0 else 0,
              "obtained_at": int(info.obtained_at), "issued_at": int(now), "scopes": info.scopes,
              "user_id": info.user_id, "refreshes": 0}
        if old:
            for k in ("seeded_from", "verifiers_used", "business_account_id", "business_account_username",
                      "refreshes", "owners"):
                if k in old:
                    st[k] = old[k]
        if info.expires_in == -2:  # unknown lifetime (token given without the means to inspect it)
            st["expires_at"] = None
        st.update(extra)
        return st

    # -- public protocol -------------------------------------------------
    def token(self):
        """The token to send (a Page token with AuthenticateAsPage)."""
        self._check_mapping()
        with self._lock:
            if self.mode == "OFF":
                return self._off_token()
            st = self.load()
            if st is None or self._seed_changed(st):
                st = self._bootstrap()
            if st.get("login") and st["login"] != self.opts.login:   # Login given and not the file's
                raise self._needs("the settings file %s holds a %s Login token but Login=%s"
                                  % (self.settings_path, st["login"], self.opts.login))
            if self._needs_refresh(st):
                st = self._refresh_user(st.get("access_token"), forced=False)
            if self.opts.authenticate_as_page:
                return self._page_token(st)
            return st["access_token"]

    def refresh(self, stale_token):
        """After a 190: refresh once under the cross-process lock; returns the new token."""
        self._check_mapping()
        with self._lock:
            if self.mode == "OFF":
                if self.opts.authenticate_as_page and self._page and self._page[1] == stale_token:
                    self._page = None
                    return self._off_token()
                raise self._off_rejected()
            with self.settings.lock():
                st = self.settings.read()
                self._owner_check(st)
                self._state, self._stat = st, self.settings.stat_key()
                self._register(st)
                if st is None:
                    st = self._bootstrap()
                current = st.get("page_token") if self.opts.authenticate_as_page else st.get("access_token")
                if current and current != stale_token:
                    return current  # somebody else refreshed it already
                if self.opts.authenticate_as_page and st.get("page_token") == stale_token:
                    if self._needs_refresh(st):
                        st = self._refresh_user(st.get("access_token"), forced=False)
                    return self._page_token(st, stale=stale_token)
                st = self._refresh_user(stale_token, forced=True)
                if self.opts.authenticate_as_page:
                    return self._page_token(st)
                return st["access_token"]

    # -- business account ------------------------------------------------
    def account_resolver(self):
        """This provider's :class:`.accounts.AccountResolver`: the user token's Graph calls, the chosen account
        remembered in the settings file."""
        if self._resolver is None:
            self._resolver = AccountResolver(lambda: self.opts, self._user_get, self._remembered_account,
                                             self._remember_account)
        return self._resolver

    def business_account_id(self):
        """BusinessAccountId, else the only account the token sees (remembered in the file)."""
        if self.opts.business_account_id:
            return self.opts.business_account_id
        self._check_mapping()
        with self._lock:
            return self.account_resolver().default()

    def accounts(self):
        """The accounts the token sees ([oauth.Account])."""
        self._user_token()   # first: it reads the file, whose Login and app the look-up uses
        return self.account_resolver().seen()

    def _user_get(self, path, params=None):
        token = self._user_token()   # first: it reads the file, whose Login and app the call uses
        return oauth.graph_getter(self.opts, token, self.state_dir)(path, params)

    def _remembered_account(self):
        st = None if self.mode == "OFF" else self.load()
        return (st or {}).get("business_account_id")

    def _remember_account(self, chosen):
        if self.mode == "OFF":
            return
        with self.settings.lock():
            st = self.settings.read() or self._state
            if st is not None:
                st = dict(st)
                st["business_account_id"] = chosen
                self._save(st)

    def _user_token(self):
        if self.mode == "OFF":
            tok = self.opts.oauth_access_token
            if not tok:
                raise self._needs("InitiateOAuth=OFF but OAuthAccessToken is not set")
            return tok
        self.token()
        return self.load()["access_token"]

    # -- internals -------------------------------------------------------
    def _needs(self, reason):
        return needs_authorization(self.opts, reason, self.settings_path)

    def _off_rejected(self):
        """InitiateOAuth=OFF and the API rejected the token: nothing here can fix it, a new token or a mode that
        keeps and refreshes one can (an authorization through ig-fdw stores nothing with OFF)."""
        conn = connection_hint_string(self.opts.replace(initiate_oauth="REFRESH"), "/path/OAuthSettings.txt")
        return NeedsAuthorization(
            "the access token (OAuthAccessToken, InitiateOAuth=OFF) was rejected by the Graph API (expired or "
            "revoked), and InitiateOAuth=OFF uses it as given, never refreshing it",
            "Either set a new token in the user mapping: ALTER USER MAPPING FOR CURRENT_USER SERVER <server> "
            "OPTIONS (SET OAuthAccessToken '<new token>'); or let ig_fdw keep and refresh the token: set "
            "InitiateOAuth 'REFRESH' and OAuthSettingsLocation in the SERVER options, OAuthClientId and "
            "OAuthClientSecret, and authorize once (ig-fdw login --connection \"%s\", as the database server's "
            "OS user; see docs/oauth.md)." % conn)

    def _off_token(self):
        tok = self.opts.oauth_access_token
        if not tok:
            raise self._needs("InitiateOAuth=OFF but OAuthAccessToken is not set")
        if not self.opts.authenticate_as_page:
            return tok
        if self._page is None:
            bid = self.business_account_id()
            self._page = oauth.page_token(self.opts, oauth.graph_getter(self.opts, tok, self.state_dir), bid)
        return self._page[1]

    def _seed_changed(self, st):
        """OAuthAccessToken in the options differs from the one the file was seeded from."""
        tok = self.opts.oauth_access_token
        if not tok:
            return False
        h = _h(tok)
        return h != st.get("seeded_from") and h != _h(st.get("access_token"))

    def _bootstrap(self):
        """Create (or re-seed) the settings file; under the lock, re-reading first."""
        opts = self.opts
        with self.settings.lock():
            st = self.settings.read()
            self._owner_check(st)     # never re-seed another mapping's file
            self._register(st)
            if st is not None and not self._seed_changed(st):
                self._state, self._stat = st, self.settings.stat_key()
                return st
            if opts.oauth_access_token:
                info = self._inspect_seed(opts.oauth_access_token)
                st = self._state_from(info, st, seeded_from=_h(opts.oauth_access_token))
                self._save(st)
                log.info("ig_fdw.auth: settings file %s created from OAuthAccessToken", self.settings_path)
                return st
            if opts.oauth_verifier:
                code, _state = oauth.parse_verifier(opts.oauth_verifier)
                used = list((st or {}).get("verifiers_used") or [])
                if _h(code) in used:
                    raise self._needs("OAuthVerifier was already exchanged (a code is single-use) and the "
                                      "settings file has no token")
                try:
                    info = oauth.exchange_code(opts, code, clock=self.clock)
                except NoClientId:
                    raise
                except AuthError as e:
                    raise self._needs("exchanging OAuthVerifier failed: %s" % e.message) from None
                st = self._state_from(info, st, verifiers_used=(used + [_h(code)])[-20:])
                self._save(st)
                log.info("ig_fdw.auth: settings file %s created from OAuthVerifier", self.settings_path)
                return st
            if self.mode == "REFRESH":   # a later connection whose file is not where it says: say that first
                raise self._needs("InitiateOAuth=REFRESH but there is no token settings file at %s and no "
                                  "OAuthAccessToken to start from" % self.settings_path)
            oauth.require_client(opts, secret=False)
            raise self._needs("no access token yet (no settings file at %s)" % self.settings_path)

    def _inspect_seed(self, token):
        """TokenInfo for a token given in OAuthAccessToken; upgraded when short-lived."""
        opts = self.opts
        if not (opts.oauth_client_id and opts.oauth_client_secret):
            return oauth.TokenInfo(token, -2, obtained_at=self.clock(), kind="given")
        if opts.login == "instagram":
            try:
                return oauth.ig_exchange(opts, token, self.clock, self.state_dir)  # a short-lived token
            except AuthError as e:
                if e.code == 190:
                    raise self._needs("OAuthAccessToken is expired or invalid: %s" % e.message) from None
            return oauth.TokenInfo(token, -2, obtained_at=self.clock(), kind="ig_long")
        try:
            data = oauth.debug_token(opts, token, self.state_dir)
        except AuthError as e:
            log.info("ig_fdw.auth: debug_token failed (%s); keeping the token with an unknown lifetime", e)
            return oauth.TokenInfo(token, -2, obtained_at=self.clock(), kind="given")
        now = self.clock()   # after debug_token: its Date is the clock expires_at is on
        if data.get("is_valid") is False:
            raise self._needs("OAuthAccessToken is not valid: %s" % ((data.get("error") or {}).get("message")
                                                                     or "expired or revoked"))
        exp = int(data.get("expires_at") or 0)
        scopes = data.get("scopes")
        if data.get("type") == "USER" and exp and exp - now < SHORT_LIVED:
            info = oauth.fb_exchange(opts, token, self.clock, self.state_dir)
            info.scopes = scopes
            return info
        info = oauth.TokenInfo(token, (exp - now) if exp else -1, obtained_at=now,
                               user_id=data.get("user_id"), scopes=scopes, kind=data.get("type"))
        return info

    def _needs_refresh(self, st):
        now = self.clock()
        if self._refresh_failed_at is not None and now - self._refresh_failed_at < RETRY_FAILED_REFRESH:
            exp = st.get("expires_at")
            return bool(exp) and now >= exp
        exp = st.get("expires_at")
        age = now - (st.get("obtained_at") or now)
        if exp == 0:
            return False
        if exp is None:
            # unknown lifetime: Instagram tokens can be refreshed (and so learnt) once 24 h old
            return self.opts.login == "instagram" and age >= IG_MIN_AGE
        remaining = exp - now
        if remaining <= 0:
            return True
        if remaining >= REFRESH_MARGIN:
            return False
        if self.opts.login == "instagram" and age < IG_MIN_AGE:
            return False
        return True

    def _refresh_user(self, stale, forced):
        """Refresh the user token under the lock (re-reading the file first)."""
        opts = self.opts
        with self.settings.lock():
            st = self.settings.read()
            self._register(st)
            if st is None:
                return self._bootstrap()
            if st.get("access_token") != stale and (forced or not self._needs_refresh(st)):
                self._state, self._stat = st, self.settings.stat_key()
                return st
            now = self.clock()
            expired = bool(st.get("expires_at")) and now >= st["expires_at"]
            if not (opts.oauth_client_id and (opts.oauth_client_secret or opts.login == "instagram")):
                if forced or expired:
                    raise self._needs("the access token expired or was rejected and cannot be refreshed "
                                      "without OAuthClientId and OAuthClientSecret")
                return st
            if opts.login == "instagram" and now - (st.get("obtained_at") or now) < IG_MIN_AGE and not expired \
                    and not forced:
                return st
            try:
                info = oauth.refresh_token_once(opts, st["access_token"], self.clock, self.state_dir)
            except AuthError as e:
                if forced or expired or e.code in (190, 102):
                    raise self._needs("the access token expired or was revoked and cannot be refreshed (%s)"
                                      % e.message) from None
                self._refresh_failed_at = now
                log.warning("ig_fdw.auth: proactive token refresh failed, using the current token: %s", e)
                return st
            self._refresh_failed_at = None
            new = self._state_from(info, st)
            new["refreshes"] = int(st.get("refreshes") or 0) + 1
            new["scopes"] = info.scopes or st.get("scopes")
            new["user_id"] = info.user_id or st.get("user_id")
            for k in ("page_id", "page_token", "page_for"):
                if k in st:
                    new[k] = st[k]  # page tokens from a long-lived user token do not expire
            self._save(new)
            log.info("ig_fdw.auth: access token refreshed (%s)", opts.login)
            return new

    def _page_spec(self):
        return "%s|%s" % (self.opts.authenticate_as_page, self.opts.business_account_id or "")

    def _page_token(self, st, stale=None):
        """The Page token (AuthenticateAsPage); fetched from /me/accounts when missing or ``stale``."""
        if st.get("page_token") and st.get("page_for") == self._page_spec() and st["page_token"] != stale:
            return st["page_token"]
        with self.settings.lock():
            cur = self.settings.read() or st
            self._register(cur)
            if cur.get("page_token") and cur.get("page_for") == self._page_spec() and cur["page_token"] != stale:
                return cur["page_token"]
            http_get = oauth.graph_getter(self.opts, cur["access_token"], self.state_dir)
            bid = self.opts.business_account_id or cur.get("business_account_id")
            if not bid:
                bid = AccountResolver(lambda: self.opts, http_get).default()
            page_id, tok = oauth.page_token(self.opts, http_get, bid)
            if stale is not None and tok == stale:
                raise self._needs("the Page token was rejected by the Graph API and /me/accounts still returns "
                                  "the same token")
            new = dict(cur)
            new.update(page_id=page_id, page_token=tok, page_for=self._page_spec(), business_account_id=bid)
            self._save(new)
            return tok

    # -- info ------------------------------------------------------------
    def status(self):
        """Non-secret facts for ``ig-fdw status`` / doctor."""
        out = {"mode": self.mode, "login": self.opts.login, "settings_file": self.settings_path,
               "state_dir": self.state_dir}
        if self.mode != "OFF":
            st = self.load()
            if st:
                out.update({k: st.get(k) for k in ("expires_at", "obtained_at", "scopes", "user_id",
                                                   "business_account_id", "page_id", "refreshes")})
        return {k: (redact(v) if isinstance(v, str) else v) for k, v in out.items()}
