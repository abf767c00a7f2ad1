"""Connection properties of ig_fdw, by the CData Instagram connector's names.

PostgreSQL folds unquoted option names to lower case, so every lookup here is
case-insensitive: ``BusinessAccountId``, ``businessaccountid`` and
``BUSINESSACCOUNTID`` are the same option.

    validate("server", {"initiateoauth": "GETANDREFRESH", "oauthclientid": "123"})
    opts = resolve(merged_options)          # ConnectionOptions, typed and immutable
    opts.initiate_oauth, opts.timeout, opts.secrets()

SQLSTATEs of :class:`OptionError` (as postgres_fdw/file_fdw use them):

* ``HV00D`` fdw_invalid_option_name -- unknown option, or an option given at
  a level where it is not allowed (e.g. a secret in SERVER options);
* ``22023`` invalid_parameter_value -- bad enum value, number or URL;
* ``HV00A`` fdw_invalid_string_format -- a malformed connection string.
"""

import collections
import difflib
import os

from ig_fdw.graph.redact import redact, register_secret

LEVELS = ("server", "user_mapping", "table")
S, U, T = "server", "user_mapping", "table"

SECRET_HINT = ("put it in a USER MAPPING: pg_foreign_server.srvoptions is readable by every role "
               "(and so are foreign table options)")

DEFAULT_VERSION = "v22.0"
DEFAULT_CALLBACK_URL = "http://localhost:33333"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_DIALOG_URL = "https://www.facebook.com/{version}/dialog/oauth"
DEFAULT_IG_GRAPH_URL = "https://graph.instagram.com"
DEFAULT_IG_API_URL = "https://api.instagram.com"
DEFAULT_IG_AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
SETTINGS_FILE_NAME = "OAuthSettings.txt"

# Scopes asked for when Scope is not set: what the tables need (read, insights, comments, publishing), per
# login flavour (Facebook Login's pages_* and instagram_*; Instagram Login's instagram_business_*).
FACEBOOK_SCOPES = ("pages_show_list", "instagram_basic", "pages_read_engagement", "business_management",
                   "instagram_manage_insights", "instagram_manage_comments", "instagram_content_publish")
INSTAGRAM_SCOPES = ("instagram_business_basic", "instagram_business_manage_comments",
                    "instagram_business_manage_insights", "instagram_business_content_publish")


class OptionError(Exception):
    """A bad option: ``sqlstate`` and ``hint`` are meant for ereport()."""

    def __init__(self, message, sqlstate="22023", hint=None):
        self.message = redact(message)
        self.sqlstate = sqlstate
        self.hint = redact(hint) if hint else None
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return "OptionError(%r, sqlstate=%r)" % (self.message, self.sqlstate)


PropSpec = collections.namedtuple("PropSpec", "name attr type values default secret levels doc")


def _p(name, attr, type_, default=None, values=(), secret=False, levels=(S, U), doc=""):
    return PropSpec(name, attr, type_, tuple(values), default, secret, tuple(levels), doc)


# CData name -> spec.  Order is the documentation order.
PROPERTIES = collections.OrderedDict((p.name, p) for p in [
    _p("InitiateOAuth", "initiate_oauth", "enum", None, ("OFF", "GETANDREFRESH", "REFRESH"),
       doc="OFF: use OAuthAccessToken as given. GETANDREFRESH / REFRESH: the settings file is the truth; "
           "bootstrap it from OAuthAccessToken or OAuthVerifier, refresh before expiry. Default GETANDREFRESH; "
           "OFF when OAuthAccessToken is set without OAuthClientId or OAuthClientSecret."),
    _p("BusinessAccountId", "business_account_id", "id", levels=(S, U, T),
       doc="Instagram business account to read. Optional when the token sees exactly one."),
    _p("OAuthClientId", "oauth_client_id", "str",
       doc="App ID of your Meta app (Instagram app ID for Instagram Login). ig_fdw has no embedded app."),
    _p("OAuthClientSecret", "oauth_client_secret", "str", secret=True, levels=(U,),
       doc="App secret; kept in the encrypted settings file for later refreshes. USER MAPPING only."),
    _p("OAuthAccessToken", "oauth_access_token", "str", secret=True, levels=(U,),
       doc="An access token: used as is with InitiateOAuth=OFF, else seeds the settings file. "
           "USER MAPPING only."),
    _p("OAuthVerifier", "oauth_verifier", "str", secret=True, levels=(U,),
       doc="Authorization code from the redirect (headless option 1); exchanged once when the settings file "
           "is missing. USER MAPPING only."),
    _p("CallbackURL", "callback_url", "url", DEFAULT_CALLBACK_URL,
       doc="Redirect URI registered in the app (must match exactly)."),
    _p("Scope", "scope", "str",
       doc="Comma-separated permissions to request. Default depends on Login."),
    _p("OAuthSettingsLocation", "oauth_settings_location", "path", levels=(S,),
       doc="Settings file (or a directory, to hold OAuthSettings.txt). Default: the per-server directory "
           "(see below). SERVER only: it names files the server's OS user writes."),
    _p("OAuthSettingsKey", "oauth_settings_key", "str", secret=True, levels=(U,),
       doc="Explicit key (passphrase) of a new settings file instead of a key file. USER MAPPING only."),
    _p("OAuthSettingsKeyFile", "oauth_settings_key_file", "path", levels=(S,),
       doc="File whose content is the key of the settings file (created with a random key when missing). "
           "Default: <settings file>.key beside it. SERVER only: it names a file the server's OS user reads."),
    _p("OAuthSettingsKeySource", "oauth_settings_key_source", "enum", "keyfile", ("keyfile", "clientsecret"),
       doc="Key of a new settings file: keyfile = a random key in OAuthSettingsKeyFile or <settings file>.key "
           "(later connections need only OAuthSettingsLocation); clientsecret = derived from OAuthClientSecret "
           "(copy the settings file alone to a machine with the same app secret)."),
    _p("Version", "version", "version", DEFAULT_VERSION,
       doc="Graph API version."),
    _p("AuthenticateAsPage", "authenticate_as_page", "str",
       doc="Use a Page token (Facebook Login): 'true' = the Page linked to the business account, "
           "or a Page id or name."),
    _p("Login", "login", "enum", "facebook", ("facebook", "instagram"),
       doc="Login flavour: facebook (Facebook Login, graph.facebook.com) or instagram (Instagram Login, "
           "graph.instagram.com)."),
    _p("Timeout", "timeout", "int", 60, levels=(S, U, T), doc="HTTP timeout in seconds (0 = none)."),
    _p("Pagesize", "pagesize", "int", 100, levels=(S, U, T), doc="Rows asked per Graph API page."),
    _p("MaxConcurrency", "max_concurrency", "int", 4, levels=(S, U, T),
       doc="Parallel Graph API requests per scan."),
    _p("FieldExpansion", "field_expansion", "enum", "on", ("on", "off"), levels=(S, U, T),
       doc="on: a fan-out over media (comments, media insights without media_id) reads its rows by field "
           "expansion on the media pages (comments.limit(n){...}, insights.metric(...)), and the edge of parents "
           "named by a filter (comments WHERE media_id IN ...) comes by ?ids= with the edge expanded; off: "
           "batch calls of 50 parents."),
    _p("RateLimitMaxWait", "rate_limit_max_wait", "int", 60, levels=(S, U, T),
       doc="Seconds a scan may wait in all for throttling (as the API estimates) before failing."),
    _p("CacheTTL", "cache_ttl", "int", 0, levels=(S, U, T), doc="Response cache lifetime in seconds (0 = off)."),
    _p("WriteMode", "write_mode", "enum", "immediate", ("immediate", "on_commit"), levels=(S, U, T),
       doc="When INSERT, UPDATE and DELETE reach Instagram: immediate (each row by its statement) or on_commit "
           "(queued, sent at COMMIT, nothing on ROLLBACK); 'on-commit' is the same. See docs/writes.md."),
    _p("graph_url", "graph_url", "url", DEFAULT_GRAPH_URL, levels=(S,), doc="Graph API host (Facebook Login). SERVER only, as every host: the token goes there."),
    _p("dialog_url", "dialog_url", "url", DEFAULT_DIALOG_URL, levels=(S,),
       doc="Authorization dialog (Facebook Login); {version} is replaced. SERVER only."),
    _p("ig_graph_url", "ig_graph_url", "url", DEFAULT_IG_GRAPH_URL, levels=(S,), doc="Graph API host (Instagram Login). SERVER only."),
    _p("ig_api_url", "ig_api_url", "url", DEFAULT_IG_API_URL, levels=(S,),
       doc="Host of the Instagram Login code exchange (/oauth/access_token). SERVER only."),
    _p("ig_authorize_url", "ig_authorize_url", "url", DEFAULT_IG_AUTHORIZE_URL, levels=(S,),
       doc="Authorization page (Instagram Login). SERVER only."),
])

_BY_LOWER = {name.lower(): spec for name, spec in PROPERTIES.items()}
SECRET_NAMES = tuple(n for n, p in PROPERTIES.items() if p.secret)


def _lookup(name):
    return _BY_LOWER.get(str(name).lower())


def closest(name, extra_keys=()):
    """The valid option name closest to ``name`` (or None)."""
    names = list(PROPERTIES) + list(extra_keys)
    lowered = {n.lower(): n for n in names}
    hit = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[hit[0]] if hit else None


def _unknown(name, extra_keys=()):
    near = closest(name, extra_keys)
    msg = 'invalid option "%s"' % name
    hint = ('Perhaps you meant the option "%s".' % near) if near else (
        "Valid options: %s." % ", ".join(list(PROPERTIES) + list(extra_keys)))
    return OptionError(msg, "HV00D", hint)


#: int options with a range (checked at CREATE/ALTER by our runtime's validator, else on first use):
#: beyond these the HTTP stack or the Graph API fails on every query
RANGES = {
    "Timeout": (0, 3600),               # seconds; 0 = no timeout
    "Pagesize": (1, 100),               # the Graph API pages at most 100 rows
    "MaxConcurrency": (1, 32),
    "RateLimitMaxWait": (0, 86400),     # seconds
    "CacheTTL": (0, 7 * 86400),         # seconds
}


def _convert(spec, raw):
    """Typed value of one option; raises OptionError (22023)."""
    name = spec.name
    value = raw if isinstance(raw, str) else str(raw)
    value = value.strip()
    if spec.type == "enum":     # case-insensitive; '-' and '_' are the same ('on-commit' is 'on_commit')
        for v in spec.values:
            if value.lower().replace("-", "_") == v.lower().replace("-", "_"):
                return v
        return _bad(spec, value, "one of: %s" % ", ".join(spec.values))
    if spec.type == "int":
        try:
            n = int(value)
        except ValueError:
            return _bad(spec, value, "a whole number")
        low, high = RANGES.get(name, (0, None))
        if n < low or (high is not None and n > high):
            return _bad(spec, value, "a whole number from %d to %d" % (low, high) if high is not None else
                        "a whole number >= %d" % low)
        return n
    if spec.type == "id":
        if not (value.isascii() and value.isdigit() and len(value) <= 32):
            return _bad(spec, value, "a numeric Instagram business account id")
        return value
    if spec.type == "url":
        if not (value.startswith("http://") or value.startswith("https://")) or len(value) < 10:
            return _bad(spec, value, "an http:// or https:// URL")
        return value.rstrip("/") if spec.attr != "callback_url" else value
    if spec.type == "version":
        v = value if value.startswith("v") else "v" + value
        body = v[1:]
        if "." not in body:
            body += ".0"
        major, _, minor = body.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            return _bad(spec, value, 'a Graph API version like "v22.0"')
        return "v%d.%d" % (int(major), int(minor))
    if value == "":
        return None
    return value


def _bad(spec, value, expected):
    shown = "<secret>" if spec.secret else value
    raise OptionError('invalid value for option "%s": "%s"' % (spec.name, shown), "22023",
                      "%s must be %s." % (spec.name, expected))


def _check_names(options, extra_keys):
    extra = {k.lower() for k in extra_keys}
    seen = {}
    for key in options:
        low = str(key).lower()
        if low in seen:
            raise OptionError('option "%s" is given twice (as "%s" and "%s")' % (key, seen[low], key), "HV00D",
                              "Option names are case-insensitive; keep one of them.")
        seen[low] = key
        if low not in extra and _lookup(key) is None:
            raise _unknown(key, extra_keys)


def validate(level, options, extra_keys=()):
    """Check the options of one catalog object (the FDW validator).

    ``level``: 'server', 'user_mapping' or 'table'.  ``extra_keys``: option
    names the FDW core owns at that level (e.g. 'table').  Raises
    :class:`OptionError`.
    """
    if level not in LEVELS:
        raise ValueError("level must be one of %s" % (LEVELS,))
    options = dict(options or {})
    _check_names(options, extra_keys)
    extra = {k.lower() for k in extra_keys}
    where = {"server": "SERVER", "user_mapping": "USER MAPPING", "table": "FOREIGN TABLE"}
    for key, raw in options.items():
        if str(key).lower() in extra:
            continue
        spec = _lookup(key)
        if level not in spec.levels:
            if spec.secret:
                raise OptionError('option "%s" is a secret and is not allowed in %s options' % (
                    spec.name, where[level]), "HV00D", SECRET_HINT[0].upper() + SECRET_HINT[1:] + ".")
            allowed = " or ".join(where[lv] for lv in spec.levels)
            raise OptionError('option "%s" is not allowed in %s options' % (spec.name, where[level]), "HV00D",
                              "Set it on the %s." % allowed)
        _convert(spec, raw)


def parse_connection_string(s):
    """Parse CData's ``Name=Value;Name2="quoted; value"`` format into a dict.

    Values may be single- or double-quoted (a doubled quote inside stands for
    one); whitespace around names and unquoted values is dropped; empty
    segments are ignored.  Names keep their spelling (match them
    case-insensitively).  Raises :class:`OptionError` (HV00A).
    """
    out = collections.OrderedDict()
    if not s:
        return out
    i, n = 0, len(s)
    while i < n:
        while i < n and (s[i].isspace() or s[i] == ";"):
            i += 1
        if i >= n:
            break
        j = s.find("=", i)
        semi = s.find(";", i)
        if j < 0 or (0 <= semi < j):
            seg = s[i:semi if semi >= 0 else n].strip()
            raise OptionError('malformed connection string: %s has no "="' % _mask_segment(seg), "HV00A",
                              'Use Name=Value pairs separated by ";", e.g. '
                              '"InitiateOAuth=GETANDREFRESH;BusinessAccountId=1784...".')
        name = s[i:j].strip()
        if not name:
            raise OptionError("malformed connection string: empty property name", "HV00A")
        i = j + 1
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] in "\"'":
            quote = s[i]
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise OptionError('malformed connection string: unterminated quote in the value of "%s"'
                                      % name, "HV00A", "Close the quote; double it to put a quote inside.")
                if s[i] == quote:
                    if i + 1 < n and s[i + 1] == quote:
                        buf.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(s[i])
                i += 1
            value = "".join(buf)
            while i < n and s[i] in " \t":
                i += 1
            if i < n and s[i] != ";":
                raise OptionError('malformed connection string: text after the quoted value of "%s"' % name,
                                  "HV00A", 'Separate properties with ";".')
        else:
            k = s.find(";", i)
            k = n if k < 0 else k
            value = s[i:k].strip()
            i = k
        out[name] = value
    for name, value in out.items():
        spec = _lookup(name)
        if spec is not None and spec.secret:
            register_secret(value)
    return out


def _mask_segment(seg):
    """Echo a bad segment only when it looks like a property name (it could be a pasted secret)."""
    if seg and len(seg) <= 40 and seg.replace("_", "").isalnum() and seg.lower() in _BY_LOWER:
        return '"%s"' % seg
    return "a segment (%d characters, not shown)" % len(seg)


class ConnectionOptions:
    """Typed, immutable connection options (snake_case attributes).

    ``str()``/``repr()`` never show secrets; :meth:`secrets` lists them for
    redaction.
    """

    __slots__ = ("_values", "_given")

    def __init__(self, values, given):
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_given", frozenset(given))
        for spec in PROPERTIES.values():
            if spec.secret:
                register_secret(self._values.get(spec.attr))

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError("ConnectionOptions is immutable; use replace()")

    def __delattr__(self, name):
        raise AttributeError("ConnectionOptions is immutable")

    def __eq__(self, other):
        return isinstance(other, ConnectionOptions) and self._values == other._values

    def __hash__(self):
        return hash(tuple(sorted((k, str(v)) for k, v in self._values.items())))

    def __reduce__(self):
        return (ConnectionOptions, (self._values, self._given))

    def given(self, name):
        """Whether the option (CData name or attribute) was set explicitly."""
        spec = _lookup(name) or next((p for p in PROPERTIES.values() if p.attr == name), None)
        return spec is not None and spec.attr in self._given

    def replace(self, **changes):
        values = dict(self._values)
        for k, v in changes.items():
            if k not in values:
                raise AttributeError(k)
            values[k] = v
        return ConnectionOptions(values, set(self._given) | set(changes))

    def as_dict(self, secrets=False):
        """attribute -> value; secrets masked unless ``secrets=True``."""
        out = {}
        for spec in PROPERTIES.values():
            v = self._values.get(spec.attr)
            out[spec.attr] = ("<secret>" if v else None) if (spec.secret and not secrets) else v
        for k, v in self._values.items():
            out.setdefault(k, v)
        return out

    def secrets(self):
        return [self._values[p.attr] for p in PROPERTIES.values() if p.secret and self._values.get(p.attr)]

    @property
    def scopes(self):
        """Requested scopes as a list (Scope option, else the flavour's default)."""
        if self.scope:
            return [x.strip() for x in self.scope.replace(" ", ",").split(",") if x.strip()]
        return list(INSTAGRAM_SCOPES if self.login == "instagram" else FACEBOOK_SCOPES)

    @property
    def api_base(self):
        """Graph API host of the login flavour (no version)."""
        return self.ig_graph_url if self.login == "instagram" else self.graph_url

    @property
    def dialog(self):
        """Authorization page of the login flavour, version filled in."""
        if self.login == "instagram":
            return self.ig_authorize_url
        return self.dialog_url.replace("{version}", self.version)

    def settings_path(self, default_dir=None):
        """Path of the settings file (OAuthSettingsLocation or ``default_dir``/OAuthSettings.txt)."""
        loc = self.oauth_settings_location
        if loc:
            loc = os.path.expanduser(loc)
            if loc.endswith(os.sep) or os.path.isdir(loc):
                return os.path.join(loc, SETTINGS_FILE_NAME)
            return loc
        if not default_dir:
            return None
        return os.path.join(default_dir, SETTINGS_FILE_NAME)

    def __repr__(self):
        parts = []
        for k, v in self.as_dict().items():
            if v is not None:
                parts.append("%s=%r" % (k, v))
        return redact("ConnectionOptions(%s)" % ", ".join(parts))

    __str__ = __repr__


def resolve(options, extra_keys=()):
    """Merged options (table + server + user mapping) -> :class:`ConnectionOptions`.

    Names match case-insensitively; ``extra_keys`` are ignored (the core's
    own).  Raises :class:`OptionError` for unknown names and bad values.
    """
    options = dict(options or {})
    _check_names(options, extra_keys)
    extra = {k.lower() for k in extra_keys}
    values = {}
    given = set()
    for key, raw in options.items():
        if str(key).lower() in extra:
            continue
        spec = _lookup(key)
        v = _convert(spec, raw)
        if v is not None:
            values[spec.attr] = v
            given.add(spec.attr)
    for spec in PROPERTIES.values():
        values.setdefault(spec.attr, spec.default)
    if values["initiate_oauth"] is None:
        no_key = not (values.get("oauth_client_secret") or values.get("oauth_settings_key")
                      or values.get("oauth_settings_key_file"))
        only_token = values.get("oauth_access_token") and (no_key or not values.get("oauth_client_id"))
        values["initiate_oauth"] = "OFF" if only_token else "GETANDREFRESH"
    if values.get("authenticate_as_page") and values["login"] == "instagram":
        raise OptionError('option "AuthenticateAsPage" needs Facebook Login', "22023",
                          "Remove AuthenticateAsPage or set Login=facebook: Instagram Login tokens have no Page.")
    # InitiateOAuth=OFF without OAuthAccessToken is not an error here (the token may be in another user
    # mapping): the token provider reports it when a token is needed.
    return ConnectionOptions(values, given)


def from_connection_string(s, extra=None):
    """``resolve(parse_connection_string(s))``, with ``extra`` options overriding."""
    opts = dict(parse_connection_string(s))
    lowered = {k.lower(): k for k in opts}
    for k, v in (extra or {}).items():
        if k.lower() in lowered:
            del opts[lowered[k.lower()]]
        opts[k] = v
        lowered[k.lower()] = k
    return resolve(opts)


def properties_markdown():
    """The property table of docs/oauth.md (generated, so the doc cannot drift)."""
    where = {"server": "S", "user_mapping": "U", "table": "T"}
    lines = ["| Property | Values | Default | Where | Description |", "|---|---|---|---|---|"]
    for spec in PROPERTIES.values():
        values = " \\| ".join(spec.values) if spec.values else {
            "int": "integer", "id": "numeric id", "url": "URL", "path": "path", "version": "vNN.0",
            "str": "text"}[spec.type]
        default = "" if spec.default is None else "`%s`" % spec.default
        if spec.name in RANGES:
            values = "integer %d to %d" % RANGES[spec.name]
        if spec.name == "Scope":
            default = "per Login"
        if spec.name == "InitiateOAuth":
            default = "`GETANDREFRESH` (`OFF` with a token alone)"
        levels = ", ".join(where[lv] for lv in spec.levels)
        if spec.secret:
            levels += " (secret)"
        lines.append("| %s | %s | %s | %s | %s |" % (spec.name, values, default, levels, spec.doc.replace("|", "\\|")))
    return "\n".join(lines) + "\n"
