"""`ig-fdw doctor`: checks an installation in the order things go wrong, and
says what to do about each failure.

1. the runtime (or upstream multicorn2) is installed in PostgreSQL;
2. the Python PostgreSQL embeds can import ig_fdw, requests and cryptography;
3. the OAuth settings file is readable and decrypts (when one is used);
4. the token is valid, and which scopes it has;
5. the business account is reachable.
"""

import os
import subprocess
from dataclasses import dataclass

MARKER = b"ig_fdw-multicorn-runtime"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_runtime(pg_config="pg_config"):
    try:
        libdir = subprocess.run([pg_config, "--pkglibdir"], capture_output=True, text=True, check=True).stdout.strip()
        sharedir = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        return Check("runtime installed", False, "pg_config failed: %s" % e,
                     "Install postgresql-server-dev-15 (apt) or pass --pg-config /path/to/pg_config.")
    so = os.path.join(libdir, "multicorn.so")
    control = os.path.join(sharedir, "extension", "multicorn.control")
    if not (os.path.exists(so) and os.path.exists(control)):
        return Check("runtime installed", False, "no multicorn extension in %s" % libdir,
                     "Run `make -C pgext install` from the ig_fdw checkout (or install multicorn2), then "
                     "CREATE EXTENSION multicorn in your database.")
    with open(so, "rb") as f:
        ours = MARKER in f.read()
    return Check("runtime installed", True, "%s (%s)" % (so, "ig_fdw runtime" if ours else "upstream multicorn2"))


def check_python(python="/usr/bin/python3", pythonpath=None):
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    probe = "import ig_fdw, requests, cryptography; print(ig_fdw.__file__)"
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env, timeout=60, cwd="/")
    except OSError as e:
        return Check("server Python imports ig_fdw", False, "%s: %s" % (python, e),
                     "Pass --python with the interpreter PostgreSQL embeds (Debian: /usr/bin/python3).")
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["unknown error"])[-1]
        return Check("server Python imports ig_fdw", False, "%s: %s" % (python, last),
                     "Set PYTHONPATH in the server's environment (Debian: /etc/postgresql/15/main/environment) "
                     "to the ig_fdw checkout and its venv's site-packages, or install ig_fdw, requests and "
                     "cryptography into that Python; then restart PostgreSQL.")
    return Check("server Python imports ig_fdw", True, "%s imports %s" % (python, out.stdout.strip()))


def check_settings(opts, settings_dir=None):
    from ig_fdw.auth import AuthError, TokenProvider
    if opts.initiate_oauth == "OFF":
        return Check("settings file", True, "not used (InitiateOAuth=OFF)"), None
    provider = TokenProvider(opts, settings_dir_default=settings_dir)
    if not provider.settings.exists():
        return Check("settings file", False, "%s does not exist" % provider.settings_path,
                     "Authorize first: `ig-fdw login`, or `ig-fdw auth-url` then `ig-fdw exchange --verifier CODE` "
                     "(see docs/oauth.md); or set OAuthSettingsLocation."), provider
    try:
        provider.settings.read()
    except AuthError as e:
        return Check("settings file", False, str(e), e.hint or "Check OAuthClientSecret / the settings key."), provider
    return Check("settings file", True, "%s decrypts" % provider.settings_path), provider


def check_token(opts, provider):
    from ig_fdw.auth import AuthError, debug_token
    from ig_fdw.graph.client import StaticToken
    try:
        token = provider.token() if provider is not None else StaticToken(opts.oauth_access_token).token()
    except AuthError as e:
        return Check("token valid", False, str(e), e.hint or ""), None
    if not token:
        return Check("token valid", False, "no token", "Set OAuthAccessToken or authorize (docs/oauth.md)."), None
    if not (opts.oauth_client_id and opts.oauth_client_secret):
        return Check("token valid", True, "present (scopes not checked: needs OAuthClientId and "
                                          "OAuthClientSecret)"), token
    try:
        data = debug_token(opts, token)
    except AuthError as e:
        return Check("token valid", False, str(e), e.hint or ""), None
    if not data.get("is_valid"):
        err = (data.get("error") or {}).get("message", "invalid")
        return Check("token valid", False, err, "Authorize again: `ig-fdw login` (docs/oauth.md)."), None
    expires = data.get("expires_at") or 0
    return Check("token valid", True, "scopes: %s; expires_at: %s" % (
        ", ".join(data.get("scopes") or []) or "none", expires or "never")), token


def check_account(opts, token):
    from ig_fdw.graph import GraphClient
    from ig_fdw.graph.client import StaticToken
    from ig_fdw.graph.errors import GraphError
    base = opts.ig_graph_url if opts.login == "instagram" else opts.graph_url
    client = GraphClient(base, opts.version, StaticToken(token), app_secret=opts.oauth_client_secret,
                         timeout=opts.timeout)
    target = opts.business_account_id or "me"
    try:
        body = client.get(target, fields=["id", "username"])
    except GraphError as e:
        return Check("business account reachable", False, str(e),
                     "Check BusinessAccountId (`ig-fdw accounts` lists those the token sees) and the scopes "
                     "instagram_basic, pages_show_list, pages_read_engagement.")
    return Check("business account reachable", True, "%s (@%s)" % (body.get("id"), body.get("username", "?")))


def run(opts, pg_config="pg_config", python="/usr/bin/python3", pythonpath=None, settings_dir=None):
    """All checks, in order; later ones are skipped when an earlier one they need failed."""
    checks = [check_runtime(pg_config), check_python(python, pythonpath)]
    settings, provider = check_settings(opts, settings_dir)
    checks.append(settings)
    if not settings.ok:
        return checks
    token_check, token = check_token(opts, provider)
    checks.append(token_check)
    if token_check.ok and token:
        checks.append(check_account(opts, token))
    return checks


def render(checks):
    lines = []
    for c in checks:
        lines.append("[%s] %s: %s" % ("ok" if c.ok else "FAIL", c.name, c.detail))
        if not c.ok and c.fix:
            lines.append("       what to do: %s" % c.fix)
    return "\n".join(lines)
