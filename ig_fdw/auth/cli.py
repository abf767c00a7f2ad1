"""The OAuth subcommands of ``ig-fdw``: login, auth-url, exchange, refresh, status, accounts.

Options are CData connection properties.  Precedence, highest first:

1. dedicated flags (``--client-id``, ``--business-account-id``, ...) and
   ``-o Name=Value`` (repeatable);
2. ``--connection "Name=Value;..."``;
3. one environment variable per property: ``IG_FDW_`` + the upper-cased name
   (``IG_FDW_OAUTHCLIENTSECRET``, ``IG_FDW_GRAPH_URL``, ...) -- the place for
   secrets, which flags would show in ``ps``;
4. ``IG_FDW_CONNECTION`` (a whole connection string);
5. the defaults.

The settings file is OAuthSettingsLocation, else ``$IG_FDW_HOME/OAuthSettings.txt``
(``IG_FDW_HOME`` defaults to ``~/.config/ig_fdw``).  Exit codes: 0 ok, 1
failure (message on stderr), 2 usage.
"""

import html
import http.server
import json
import os
import sys
import time
import webbrowser
from urllib.parse import parse_qs, urlsplit

from ig_fdw.graph.redact import redact, register_secret
from ig_fdw.options import PROPERTIES, OptionError, parse_connection_string, resolve

from . import oauth
from .errors import AuthError
from .provider import TokenProvider, default_cli_settings_dir

CLOCK = None  # epoch clock used by the commands (tests set the sandbox clock)

_FLAG_PROPS = [
    ("--initiate-oauth", "InitiateOAuth"), ("--client-id", "OAuthClientId"),
    ("--client-secret", "OAuthClientSecret"), ("--business-account-id", "BusinessAccountId"),
    ("--settings-location", "OAuthSettingsLocation"), ("--callback-url", "CallbackURL"),
    ("--scope", "Scope"), ("--login", "Login"), ("--api-version", "Version"),
]


def _common(p):
    g = p.add_argument_group("connection (CData properties; see ig-fdw login --help)")
    g.add_argument("--connection", "-c", metavar="STRING",
                   help='CData connection string, e.g. "InitiateOAuth=GETANDREFRESH;OAuthClientId=...;'
                        'BusinessAccountId=..." (env IG_FDW_CONNECTION)')
    g.add_argument("-o", "--option", action="append", default=[], metavar="NAME=VALUE",
                   help="set one property (repeatable); overrides --connection")
    for flag, prop in _FLAG_PROPS:
        extra = " (prefer the env variable IG_FDW_OAUTHCLIENTSECRET: flags show in ps)" if prop == \
            "OAuthClientSecret" else ""
        g.add_argument(flag, dest="prop_" + prop, metavar="VALUE", help="%s%s" % (prop, extra))


def build_options(args, environ=None):
    """ConnectionOptions from flags, --connection, environment (see module doc)."""
    env = os.environ if environ is None else environ
    merged = {}

    def put(d):
        for k, v in d.items():
            for old in [x for x in merged if x.lower() == k.lower()]:
                del merged[old]
            merged[k] = v

    put(parse_connection_string(env.get("IG_FDW_CONNECTION", "")))
    for name in PROPERTIES:
        v = env.get("IG_FDW_" + name.upper())
        if v is not None and v != "":
            put({name: v})
    put(parse_connection_string(getattr(args, "connection", None) or ""))
    for item in getattr(args, "option", None) or []:
        if "=" not in item:
            raise OptionError('-o expects NAME=VALUE, got "%s"' % item.split("=")[0], "HV00A")
        k, v = item.split("=", 1)
        put({k.strip(): v})
    for _flag, prop in _FLAG_PROPS:
        v = getattr(args, "prop_" + prop, None)
        if v is not None:
            put({prop: v})
    return resolve(merged)


def _provider(opts):
    return TokenProvider(opts, default_cli_settings_dir(), clock=CLOCK)


def _print(text, stream=None):
    stream = stream or sys.stdout
    stream.write(redact(text) + "\n")
    stream.flush()


def _fmt_time(t, clock=None):
    """An epoch as UTC plus the time left, counted on ``clock`` (the API's, like the expiry itself)."""
    if t is None:
        return "unknown"
    if t == 0:
        return "never"
    now = (clock or CLOCK or time.time)()
    left = int(round(t - now))   # the API's Date has whole seconds
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
    if left <= 0:
        return "%s (EXPIRED)" % when
    return "%s (in %dd %dh)" % (when, left // 86400, (left % 86400) // 3600)


# ------------------------------------------------------------------ commands
def cmd_auth_url(args, opts):
    state = args.state or oauth.new_state()
    url = oauth.authorization_url(opts, args.auth_mode, state=state)
    _print(url)
    _print("state: %s  (pass it to: ig-fdw exchange --state %s --verifier CODE)" % (state, state), sys.stderr)
    _print("Open the URL, approve, then copy the code= value (or the whole URL) of the page it redirects to "
           "(%s) and run: ig-fdw exchange --verifier CODE" % opts.callback_url, sys.stderr)
    return 0


_OFF_NOTHING_STORED = (
    "With InitiateOAuth=OFF a server uses only the OAuthAccessToken of its user mapping: put this token there "
    "(--show-token prints it; ALTER USER MAPPING ... OPTIONS (SET OAuthAccessToken '...')), or run this command "
    "with InitiateOAuth=REFRESH and the server's OAuthSettingsLocation, and use REFRESH in the server too.")


def cmd_exchange(args, opts):
    from . import exchange_verifier
    provider = _provider(opts)
    info = exchange_verifier(opts, args.verifier, expected_state=args.state, provider=provider)
    if opts.initiate_oauth == "OFF":
        _print("OK: long-lived token obtained (expires %s) but NOT stored: InitiateOAuth=OFF stores nothing"
               % _fmt_time(info.expires_at, provider.clock))
        _print(_OFF_NOTHING_STORED, sys.stderr)
    else:
        _print("OK: long-lived token stored in %s (expires %s)" % (provider.settings_path,
                                                                  _fmt_time(info.expires_at, provider.clock)))
    if args.show_token:
        sys.stdout.write(info.access_token + "\n")
    return 0


def cmd_refresh(args, opts):
    from . import refresh_access_token
    provider = _provider(opts)
    info = refresh_access_token(opts, provider=provider)
    _print("OK: token refreshed, expires %s; stored in %s" % (_fmt_time(info.expires_at, provider.clock),
                                                             provider.settings_path))
    if args.show_token:
        sys.stdout.write(info.access_token + "\n")
    return 0


def cmd_status(args, opts):
    provider = _provider(opts)
    from .settings import describe
    out = {"InitiateOAuth": opts.initiate_oauth}
    if opts.initiate_oauth != "OFF":
        out["settings file"] = describe(provider.settings_path)
    token = provider.token()
    opts = provider.opts   # with the app and Login the settings file remembers
    out["Login"] = opts.login
    st = provider.status()
    expires_at = st.get("expires_at") if opts.initiate_oauth != "OFF" else None
    out["scopes"] = st.get("scopes")
    if opts.login == "facebook" and opts.oauth_client_id and opts.oauth_client_secret:
        data = oauth.debug_token(opts, token)
        out["scopes"] = data.get("scopes")
        out["token type"] = data.get("type")
        out["valid"] = data.get("is_valid")
        if data.get("expires_at") is not None:
            expires_at = int(data["expires_at"])   # the API's own word; the file's agrees (same clock)
    out["expires"] = _fmt_time(expires_at, provider.clock) if (expires_at is not None or
                                                               opts.initiate_oauth != "OFF") else "unknown (OFF)"
    if opts.authenticate_as_page:
        out["page"] = provider.status().get("page_id")
    try:
        bid = provider.business_account_id()
        out["business account"] = bid
    except AuthError as e:
        out["business account"] = "not chosen: %s" % e.message
    if st.get("refreshes") is not None:
        out["refreshes"] = st.get("refreshes")
    if args.json:   # JSON only on stdout (scripts parse it); the token only as a member, on request
        body = json.loads(redact(json.dumps(out, default=str)))
        if args.show_token:
            body["token"] = token
        sys.stdout.write(json.dumps(body, indent=2, sort_keys=True) + "\n")
        sys.stdout.flush()
        return 0
    for k, v in out.items():
        if isinstance(v, dict):
            v = ", ".join("%s=%s" % kv for kv in v.items())
        elif isinstance(v, list):
            v = ",".join(v)
        _print("%-22s %s" % (k + ":", v))
    if args.show_token:
        sys.stdout.write("token: " + token + "\n")
    else:
        _print("%-22s %s" % ("token:", "(hidden; --show-token to print it)"))
    return 0


def cmd_accounts(args, opts):
    provider = _provider(opts)
    accounts = provider.accounts()
    chosen = opts.business_account_id or (accounts[0].ig_id if len(accounts) == 1 else None)
    if args.json:
        _print(json.dumps([dict(a._asdict(), chosen=(a.ig_id == chosen)) for a in accounts], indent=2))
        return 0
    if not accounts:
        _print("no Instagram business account is visible to this token")
        return 1
    _print("%-20s %-28s %-17s %s" % ("IG BUSINESS ACCOUNT", "USERNAME", "PAGE", "PAGE NAME"))
    for a in accounts:
        mark = " *" if a.ig_id == chosen else ""
        _print("%-20s %-28s %-17s %s%s" % (a.ig_id, "@%s" % a.username, a.page_id or "-", a.page_name or "-",
                                           mark))
    if not chosen and len(accounts) > 1:
        _print("several accounts: set BusinessAccountId to one of them", sys.stderr)
    return 0


class _CallbackServer(http.server.HTTPServer):
    allow_reuse_address = True


def _serve_callback(opts, state):
    """One-shot HTTP server at CallbackURL; returns (code, state) or raises AuthError."""
    u = urlsplit(opts.callback_url)
    host = u.hostname or "localhost"
    bind = "127.0.0.1" if host == "localhost" else host
    port = u.port or (443 if u.scheme == "https" else 80)
    if u.scheme != "http":
        raise AuthError("ig-fdw login needs an http:// CallbackURL on this machine (got %s)" % opts.callback_url,
                        "Use the default http://localhost:33333 (add it to the app's redirect URIs), or the "
                        "headless flow: ig-fdw auth-url / ig-fdw exchange.", sqlstate="22023")
    path = u.path or "/"
    result = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            req = urlsplit(self.path)
            if req.path.rstrip("/") != path.rstrip("/"):
                self.send_response(404)
                self.end_headers()
                return
            qs = parse_qs(req.query)
            if "code" in qs:
                register_secret(qs["code"][0])
            got_state = (qs.get("state") or [None])[0]
            if got_state != state:
                result["error"] = "the state returned does not match the one sent (possible CSRF); try again"
                msg = "ig_fdw: state mismatch. Close this window and run ig-fdw login again."
            elif "error" in qs:
                result["error"] = "authorization refused: %s" % (qs.get("error_description") or qs["error"])[0]
                msg = "ig_fdw: authorization refused. You can close this window."
            elif "code" in qs:
                result["code"] = qs["code"][0]
                msg = "ig_fdw: authorized. You can close this window and go back to the terminal."
            else:
                self.send_response(400)
                self.end_headers()
                return
            body = ("<!DOCTYPE html><html><body><p>%s</p></body></html>" % html.escape(msg)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        server = _CallbackServer((bind, port), Handler)
    except OSError as e:
        raise AuthError("cannot listen on %s:%s for the authorization callback: %s" % (bind, port, e.strerror),
                        "Free the port or set another CallbackURL (it must also be a redirect URI of the app).",
                        sqlstate="08001")
    server.timeout = 0.5
    return server, result


def cmd_login(args, opts):
    oauth.require_client(opts)
    state = oauth.new_state()
    server, result = _serve_callback(opts, state)
    try:
        url = oauth.authorization_url(opts, "APP", state=state)
        if args.no_browser:
            _print("Open this URL in a browser and approve the app:")
            _print(url)
        else:
            _print("Opening the browser; if nothing happens, open this URL:\n%s" % url)
            webbrowser.open(url)
        _print("Waiting for the redirect to %s ..." % opts.callback_url, sys.stderr)
        deadline = time.monotonic() + args.timeout
        while not result and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if not result:
        raise AuthError("no redirect reached %s within %d s" % (opts.callback_url, args.timeout),
                        "Check that CallbackURL is a valid redirect URI of the app, or use ig-fdw auth-url and "
                        "ig-fdw exchange.")
    if "error" in result:
        raise AuthError(result["error"])
    from . import exchange_verifier
    provider = _provider(opts)
    info = exchange_verifier(opts, result["code"], provider=provider)
    where = provider.settings_path if opts.initiate_oauth != "OFF" else "nowhere (InitiateOAuth=OFF)"
    _print("OK: authorized; long-lived token stored in %s (expires %s)" % (where, _fmt_time(info.expires_at,
                                                                                             provider.clock)))
    if args.show_token:
        sys.stdout.write(info.access_token + "\n")
    return 0


def _run(fn):
    def wrapper(args):
        try:
            opts = build_options(args)
        except OptionError as e:
            _print("ig-fdw %s: %s%s" % (args.command, e.message, ("\nhint: " + e.hint) if e.hint else ""),
                   sys.stderr)
            return 2
        try:
            return fn(args, opts)
        except (AuthError, OptionError) as e:
            hint = getattr(e, "hint", None)
            _print("ig-fdw %s: error: %s%s" % (args.command, e.message, ("\nhint: " + hint) if hint else ""),
                   sys.stderr)
            return 1
        except KeyboardInterrupt:
            _print("ig-fdw %s: interrupted" % args.command, sys.stderr)
            return 1
    return wrapper


def add_commands(sub):
    """Register the OAuth subcommands on ``ig-fdw``'s subparsers."""
    epilog = ("Precedence: flags and -o > --connection > IG_FDW_<PROPERTY> env variables > IG_FDW_CONNECTION "
              "> defaults. Settings file: OAuthSettingsLocation, else $IG_FDW_HOME/OAuthSettings.txt "
              "(IG_FDW_HOME defaults to ~/.config/ig_fdw). See docs/oauth.md.")

    p = sub.add_parser("login", help="desktop OAuth flow: browser + local callback server",
                       description="Open the authorization page, receive the redirect on CallbackURL (default "
                                   "http://localhost:33333), check state, exchange the code for a long-lived "
                                   "token and write the settings file.", epilog=epilog)
    _common(p)
    p.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    p.add_argument("--timeout", type=int, default=300, help="seconds to wait for the redirect (default 300)")
    p.add_argument("--show-token", action="store_true", help="also print the token")
    p.set_defaults(func=_run(cmd_login))

    p = sub.add_parser("auth-url", help="headless option 1, step 1: print the authorization URL",
                       epilog=epilog)
    _common(p)
    p.add_argument("--state", help="state value to put in the URL (default: random)")
    p.add_argument("--auth-mode", default="WEB", choices=["WEB", "APP"], help="CData AuthMode (default WEB)")
    p.set_defaults(func=_run(cmd_auth_url))

    p = sub.add_parser("exchange", help="headless option 1, step 2: exchange the code for a token",
                       epilog=epilog)
    _common(p)
    p.add_argument("--verifier", required=True, metavar="CODE",
                   help="the code= value of the redirect (or the whole redirected URL)")
    p.add_argument("--state", help="the state sent (checked when the verifier is a whole URL)")
    p.add_argument("--show-token", action="store_true", help="also print the token")
    p.set_defaults(func=_run(cmd_exchange))

    p = sub.add_parser("refresh", help="refresh the stored token now", epilog=epilog)
    _common(p)
    p.add_argument("--show-token", action="store_true", help="also print the token")
    p.set_defaults(func=_run(cmd_refresh))

    p = sub.add_parser("status", help="expiry, scopes, account and settings file of the token", epilog=epilog)
    _common(p)
    p.add_argument("--show-token", action="store_true", help="print the token too")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run(cmd_status))

    p = sub.add_parser("accounts", help="the Pages and Instagram business accounts the token sees", epilog=epilog)
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run(cmd_accounts))
