"""OAuth layer of ig_fdw: CData's InitiateOAuth modes, the encrypted settings
file, the flows of both login flavours and the Graph client's token provider.

    from ig_fdw.options import resolve
    from ig_fdw.auth import TokenProvider
    provider = TokenProvider(resolve(options), settings_dir_default=per_server_dir)
    GraphClient(opts.api_base, opts.version, provider, app_secret=opts.oauth_client_secret,
                state_dir=provider.state_dir, ...)

See docs/oauth.md for the flows and the file format.
"""

from ig_fdw.graph import apiclock

from . import oauth
from . import provider as provider_mod
from .accounts import AccountResolver
from .errors import AccountChoiceError, AuthError, NeedsAuthorization, NoClientId, SettingsFileError
from .oauth import (Account, TokenInfo, authorization_url, choose_business_account, debug_token,
                    discover_business_accounts, parse_verifier)
from .provider import TokenProvider, default_cli_settings_dir
from .settings import SettingsFile


def graph_client_kwargs(opts, provider):
    """Keyword arguments of ``ig_fdw.graph.GraphClient`` for these options and provider."""
    return dict(base_url=opts.api_base, version=opts.version, token_provider=provider,
                app_secret=provider.app_secret, timeout=opts.timeout, pagesize=opts.pagesize,
                max_concurrency=opts.max_concurrency, rate_limit_max_wait=opts.rate_limit_max_wait,
                state_dir=provider.state_dir, cache_ttl=opts.cache_ttl)


def exchange_verifier(opts, verifier, callback_url=None, settings_dir_default=None, persist=True,
                      expected_state=None, clock=None, provider=None):
    """Exchange an authorization code (or the whole redirected URL) for a long-lived token.

    Persists it to the settings file unless ``persist`` is false or
    InitiateOAuth=OFF.  ``expected_state``: the ``state`` sent in the
    authorization URL, checked when the verifier carries one.
    """
    code, state = parse_verifier(verifier)
    if expected_state is not None and state is not None and state != expected_state:
        raise AuthError("the state returned with the code does not match the one sent",
                        "Start the authorization again (possible cross-site request forgery).")
    clock = clock or (provider.clock if provider is not None else apiclock.clock_for(opts.api_base))
    if persist and provider is not None and opts.initiate_oauth != "OFF":
        provider.check_may_write()      # before the single-use code is spent
    try:
        info = oauth.exchange_code(opts, code, callback_url, clock=clock)
    except AuthError as e:
        if isinstance(e, NoClientId):
            raise
        raise AuthError("exchanging the authorization code failed: %s" % e.message,
                        "A code is single-use and short-lived, and CallbackURL must be the redirect URI used in "
                        "the authorization URL; authorize again.", code=e.code, subcode=e.subcode) from None
    if persist and opts.initiate_oauth != "OFF":
        provider = provider or TokenProvider(opts, settings_dir_default, clock=clock)
        from .provider import _h
        with provider.settings.lock():
            old = provider.settings.read() if provider.settings.exists() else None
            used = list((old or {}).get("verifiers_used") or []) + [_h(code)]
            provider.store(info, verifiers_used=used[-20:])
    return info


def refresh_access_token(opts, access_token=None, settings_dir_default=None, persist=True, clock=None,
                         provider=None):
    """Refresh a token now (FB: fb_exchange_token; Instagram Login: ig_refresh_token).

    Without ``access_token`` the settings file's token is refreshed under the
    lock and the file updated.  With one, that token is refreshed and the
    result persisted unless ``persist`` is false or InitiateOAuth=OFF.
    """
    clock = clock or (provider.clock if provider is not None else apiclock.clock_for(opts.api_base))
    if access_token is None:
        if opts.initiate_oauth == "OFF":
            if not opts.oauth_access_token:
                raise AuthError("nothing to refresh: InitiateOAuth=OFF and no OAuthAccessToken",
                                "Pass the token to refresh (OAuthRefreshToken).", sqlstate="22023")
            return oauth.refresh_token_once(opts, opts.oauth_access_token, clock)
        provider = provider or TokenProvider(opts, settings_dir_default, clock=clock)
        provider.token()
        st = provider.load()
        opts = provider.opts   # with what the file remembers (a later connection gives only its location)
        age = clock() - (st.get("obtained_at") or clock())
        if opts.login == "instagram" and age < provider_mod.IG_MIN_AGE:
            raise AuthError("an Instagram Login token can be refreshed only once it is at least 24 hours old "
                            "(this one is %.1f h old)" % (age / 3600.0),
                            "Nothing to do: it is valid for about 60 days; ig_fdw refreshes it automatically.",
                            sqlstate="55000")
        st = provider._refresh_user(st["access_token"], forced=True)
        return TokenInfo(st["access_token"], (st["expires_at"] - int(clock())) if st.get("expires_at") else -1,
                         scopes=st.get("scopes"), user_id=st.get("user_id"), obtained_at=clock())
    if persist and provider is not None and opts.initiate_oauth != "OFF":
        provider.check_may_write()
    info = oauth.refresh_token_once(opts, access_token, clock)
    if persist and opts.initiate_oauth != "OFF":
        (provider or TokenProvider(opts, settings_dir_default, clock=clock)).store(info)
    return info


__all__ = [
    "AuthError", "NeedsAuthorization", "NoClientId", "SettingsFileError", "AccountChoiceError",
    "TokenProvider", "TokenInfo", "Account", "SettingsFile", "authorization_url", "exchange_verifier",
    "refresh_access_token", "discover_business_accounts", "choose_business_account", "debug_token",
    "parse_verifier", "default_cli_settings_dir", "graph_client_kwargs", "AccountResolver",
]
