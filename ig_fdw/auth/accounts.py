"""Which business accounts a connection reads: the one implementation.

The FDW, the token provider (AuthenticateAsPage, ``ig-fdw accounts``) and
``ig-fdw doctor`` all ask the same question: the accounts a filter names,
else BusinessAccountId, else the only account the token sees (several: an
error listing them).  :class:`AccountResolver` answers it for one user
mapping and remembers what the token sees (one look-up per connection);
:meth:`AccountResolver.for_default` gives the per-table view the executor
receives (``accounts(requested)`` and ``check_account(account_id, error)``),
whose default account is the table's BusinessAccountId.
"""

import threading

from . import oauth


class AccountResolver:
    """The accounts of one user mapping.

    ``opts``: a callable returning the connection options now (the token
    provider's: Login may come from the settings file).  ``http_get(path,
    params) -> dict`` on the Graph host (the Graph client's ``get``).
    ``remembered`` / ``remember``: optional hooks reading and storing the
    chosen account (the settings file keeps it for the CLI).
    """

    def __init__(self, opts, http_get, remembered=None, remember=None):
        self._opts = opts
        self._http_get = http_get
        self._remembered = remembered
        self._remember = remember
        self._seen = None
        self._chosen = None
        self._lock = threading.Lock()

    def seen(self):
        """The accounts the token sees ([oauth.Account]); asked once."""
        with self._lock:
            if self._seen is None:
                self._seen = oauth.discover_business_accounts(self._opts(), self._http_get)
            return list(self._seen)

    def default(self, business_account_id=None):
        """``business_account_id`` (BusinessAccountId), else the remembered choice, else the only account seen."""
        if business_account_id:
            return str(business_account_id)
        if self._chosen is None:
            remembered = self._remembered() if self._remembered is not None else None
            if remembered:
                self._chosen = str(remembered)
            else:
                self._chosen = str(oauth.choose_business_account(self._opts().replace(business_account_id=None),
                                                                 self.seen()))
                if self._remember is not None:
                    self._remember(self._chosen)
        return self._chosen

    def accounts(self, requested=None, business_account_id=None):
        """The accounts a scan reads: the filter's, else the default one."""
        if requested:
            return [str(a) for a in requested]
        return [self.default(business_account_id)]

    def check_account(self, account_id, error):
        """A clearer error than the API's when the account node fails (a wrong id, a Page id), else None."""
        from ig_fdw import account_check
        return account_check.diagnose(self._opts(), self._http_get, account_id, error)

    def for_default(self, business_account_id):
        """The view a table's scans use: its own BusinessAccountId as the default account."""
        return TableAccounts(self, business_account_id)


class TableAccounts:
    """``accounts(requested)`` and ``check_account(account_id, error)`` for one table (see the module doc)."""

    def __init__(self, resolver, business_account_id):
        self.resolver = resolver
        self.business_account_id = business_account_id

    def accounts(self, requested=None):
        return self.resolver.accounts(requested, self.business_account_id)

    def check_account(self, account_id, error):
        return self.resolver.check_account(account_id, error)
