"""One connection per user mapping, kept for the backend (as postgres_fdw's connection.c).

PostgreSQL hands the wrapper one merged dictionary of options (foreign table,
server, user mapping).  They are split here by what they describe:

* per mapping -- every option a foreign table cannot set: the credentials,
  the app, the hosts, Login, InitiateOAuth, the settings file.  They make the
  cache key (a hash: the key never holds a secret in printable form) and the
  :class:`MappingConnection`: one token provider, one account resolver (one
  look-up of the accounts the token sees), the rate state, and the Graph
  clients.
* per table -- the options a foreign table may set (``PER_TABLE``:
  BusinessAccountId, Timeout, Pagesize, MaxConcurrency, RateLimitMaxWait,
  CacheTTL, WriteMode, and the core's ``table``).  They never build a
  second token provider: :class:`TableConnection` is a cheap view over the
  mapping's connection with the table's default account and client settings.
  Tables whose client settings are equal (the usual case) share one Graph
  client; a table asking for another Timeout or MaxConcurrency gets a client
  of its own, sharing the token provider, the rate state and the accounts'
  media densities (ig_fdw.windows.Densities).

Invalidation: the key is computed from the options themselves, so after an
ALTER SERVER / ALTER USER MAPPING (the runtime rebuilds the wrapper instance
from the new options) the next statement finds no entry and builds a new
connection; the stale one is dropped when the cache is full.

Each scan counts its calls for EXPLAIN ANALYZE in a :class:`~ig_fdw.graph.stats.CallStats` of its own
(:meth:`TableConnection.begin_scan`): the mapping's clients count into a :class:`ScanStats`, which hands each
call to the scan whose rows are being produced (:meth:`TableConnection.counting`).

``BUILT`` counts what this backend built (token providers, Graph clients,
account resolvers); ``ig-fdw doctor --dsn``'s probe reports it.
"""

import collections
import hashlib
import os
import threading

from ig_fdw import options as options_mod, windows
from ig_fdw.graph.stats import CallStats
from ig_fdw.graph.redact import register_secret

#: the core's own table options (not connection properties; WriteMode is one, an entry of options.py's table)
CORE_TABLE_OPTIONS = ("table",)
#: options a foreign table may set: per-table settings, never part of the mapping's identity
PER_TABLE = tuple(n.lower() for n, p in options_mod.PROPERTIES.items() if options_mod.T in p.levels) + \
    CORE_TABLE_OPTIONS
#: Graph client settings; tables differing in them get a client each
CLIENT_SETTINGS = ("timeout", "pagesize", "max_concurrency", "rate_limit_max_wait", "cache_ttl")
MAX_CONNECTIONS = 16

BUILT = collections.Counter()
_CACHE = collections.OrderedDict()
_LOCK = threading.Lock()


def split(fdw_options):
    """(per-mapping options, per-table options) of the merged dictionary, both keyed as given."""
    mapping, table = {}, {}
    for key, value in (fdw_options or {}).items():
        (table if str(key).lower() in PER_TABLE else mapping)[key] = value
    return mapping, table


def mapping_key(mapping_options):
    """A hash of the mapping's options (names folded): equal options, one connection."""
    items = sorted((str(k).lower(), str(v)) for k, v in mapping_options.items())
    return hashlib.sha256(repr(items).encode("utf-8")).hexdigest()


def get(fdw_options, interrupt_check=None):
    """The :class:`TableConnection` of these merged options (the mapping's connection built on first use)."""
    mapping_options, _ = split(fdw_options)
    if _page_bound(fdw_options):
        # AuthenticateAsPage: the Page token depends on the account, so the account is the mapping's
        mapping_options.update({k: v for k, v in fdw_options.items() if str(k).lower() == "businessaccountid"})
    key = mapping_key(mapping_options)
    table_opts = options_mod.resolve(fdw_options, extra_keys=CORE_TABLE_OPTIONS)
    with _LOCK:
        conn = _CACHE.get(key)
        if conn is None:
            opts = options_mod.resolve(mapping_options)
            adopt_legacy_dir(opts, table_opts.business_account_id)
            conn = MappingConnection(opts, settings_dir(opts), mapping_checks=True, interrupt_check=interrupt_check)
            _CACHE[key] = conn
            while len(_CACHE) > MAX_CONNECTIONS:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
    return TableConnection(conn, table_opts)


def standalone(opts, settings_dir_default=None):
    """A connection outside PostgreSQL (``ig-fdw doctor``): not cached, the CLI's settings file by default,
    credentials not tied to a user mapping."""
    return TableConnection(MappingConnection(opts, settings_dir_default, mapping_checks=False), opts)


def _page_bound(fdw_options):
    return any(str(k).lower() == "authenticateaspage" and v for k, v in (fdw_options or {}).items())


def reset():
    """Forget every connection (tests)."""
    with _LOCK:
        _CACHE.clear()


def settings_dir(opts, business_account_id=None):
    """The default directory of the settings file: <datadir>/ig_fdw/<id>/.

    The id is derived from server-level identity only -- the app (id and a
    hash of its secret), a hash of the user mapping's token or verifier (so
    users with different tokens stay apart), the login flavour and the host --
    never from a table option.  ``business_account_id`` is for the location
    used before 1.x, whose id also held BusinessAccountId (see
    :func:`adopt_legacy_dir`).  Set OAuthSettingsLocation to choose the place.
    """
    return os.path.join(os.getcwd(), "ig_fdw", settings_dir_id(opts, business_account_id))


def settings_dir_id(opts, business_account_id=None):
    """The <id> of :func:`settings_dir` (the old one with ``business_account_id``: the empty field the new one
    keeps in its place makes the two equal for servers without BusinessAccountId)."""
    def h(value):
        return hashlib.sha256((value or "").encode()).hexdigest()[:12]
    ident = "|".join([opts.oauth_client_id or "", h(opts.oauth_client_secret),
                      h(opts.oauth_access_token or opts.oauth_verifier), business_account_id or "",
                      opts.login or "", opts.graph_url or ""])
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def adopt_legacy_dir(opts, business_account_id):
    """Move a settings directory from the old location (whose id held BusinessAccountId) to the new one,
    on first use, when the new one does not exist yet.  Returns the directory moved, or None."""
    if not business_account_id or opts.given("oauth_settings_location") or opts.initiate_oauth == "OFF":
        return None
    new = settings_dir(opts)
    old = settings_dir(opts, business_account_id)
    if os.path.exists(new) or not os.path.isdir(old):
        return None
    try:
        os.rename(old, new)    # atomic: of two backends doing this at once, one moves it
    except OSError:
        return None
    return old


class ScanStats:
    """The statistics sink of a mapping's clients: counts go to the scan whose rows are being produced
    (PostgreSQL runs one at a time: in a join each scan is resumed in turn), else to ``outside`` (writes)."""

    def __init__(self):
        self.outside = CallStats()
        self.current = None

    def enter(self, stats):
        """Make ``stats`` the current scan's counter; returns the previous one."""
        previous, self.current = self.current, stats
        return previous

    def _target(self):
        return self.current if self.current is not None else self.outside

    def add(self, name, amount=1):
        self._target().add(name, amount)

    def note_usage(self, percent):
        self._target().note_usage(percent)

    def note_buc(self, raw):
        self._target().note_buc(raw)

    @property
    def throttled_seconds(self):
        """What the current scan waited for throttles so far (its RateLimitMaxWait budget)."""
        return self._target().throttled_seconds


class MappingConnection:
    """What one user mapping shares between its foreign tables (see the module doc)."""

    def __init__(self, opts, settings_dir_default, mapping_checks=True, interrupt_check=None):
        from ig_fdw import auth
        self.opts = opts
        for secret in self.opts.secrets():
            register_secret(secret)
        # inside PostgreSQL the credentials belong to the user mapping in use (ig_fdw.auth.mapping)
        self.tokens = auth.TokenProvider(self.opts, settings_dir_default=settings_dir_default,
                                         mapping_checks=mapping_checks)
        BUILT["token_providers"] += 1
        if self.opts.initiate_oauth != "OFF" and not self.opts.given("login"):
            self._adopt_settings_file()
        self._interrupt_check = interrupt_check
        self._clients = {}
        self._rate_state = None
        self.densities = windows.Densities()     # the accounts' media densities, for every client
        self.scan_stats = ScanStats()
        self.resolver = auth.AccountResolver(lambda: self.tokens.opts, self._http_get)
        BUILT["account_resolvers"] += 1
        self._lock = threading.Lock()

    def _adopt_settings_file(self):
        """A later connection names only the settings file: its Login picks the Graph host.  A file that
        cannot be read now fails again, with its own message, when the first request needs the token."""
        from ig_fdw import auth
        try:
            self.tokens.load()
        except auth.AuthError:
            pass

    def client(self, settings):
        """The Graph client for these client settings (a dict of ``CLIENT_SETTINGS``)."""
        from ig_fdw import auth
        from ig_fdw.graph import GraphClient
        key = tuple(settings[k] for k in CLIENT_SETTINGS)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs = auth.graph_client_kwargs(self.tokens.opts.replace(**settings), self.tokens)
                client = GraphClient(interrupt_check=self._interrupt_check, rate_state=self._rate_state, **kwargs)
                self._rate_state = client.rate_state
                client.densities = self.densities
                client.count_into(self.scan_stats)
                self._clients[key] = client
                BUILT["graph_clients"] += 1
            return client

    def _http_get(self, path, params=None):
        """The account look-ups go through the mapping's first client (retries, rate state, redaction)."""
        client = next(iter(self._clients.values()), None) or self.client(_settings_of(self.opts))
        return client.get(path, params=params)


def _settings_of(opts):
    return {k: getattr(opts, k) for k in CLIENT_SETTINGS}


class TableConnection:
    """One foreign table's view of its mapping's connection: ``opts`` (all options resolved, the table's
    included), ``tokens``, ``client``, ``accounts(requested)``, ``check_account(account_id, error)``."""

    def __init__(self, mapping, opts):
        self.mapping = mapping
        self.opts = opts
        self.tokens = mapping.tokens
        self.client = mapping.client(_settings_of(self.opts))
        self.account_choice = mapping.resolver.for_default(self.opts.business_account_id)
        self.stats = CallStats()

    def begin_scan(self):
        """A new scan of this table: a new counter (EXPLAIN ANALYZE reads ``self.stats``)."""
        self.stats = CallStats()
        self.mapping.scan_stats.outside = CallStats()
        return self.stats

    def counting(self, scan):
        """The rows of ``scan()``, the calls made while producing them (``scan()`` included) counted in this
        scan's ``stats``."""
        sink = self.mapping.scan_stats
        previous = sink.enter(self.stats)
        try:
            it = iter(scan())
        finally:
            sink.enter(previous)
        while True:
            previous = sink.enter(self.stats)
            try:
                row = next(it)
            except StopIteration:
                return
            finally:
                sink.enter(previous)
            yield row

    def accounts(self, requested=None):
        """The business accounts a scan reads: the filter's, the option's, or the only one the token sees."""
        return self.account_choice.accounts(requested)

    def check_account(self, account_id, error):
        return self.account_choice.check_account(account_id, error)
