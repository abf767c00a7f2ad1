"""Helpers of the OAuth tests (importable by spawned worker processes)."""

import os

from ig_fdw.options import resolve

VERSION = "v22.0"


def sandbox_options(url, app_id, app_secret, settings, login="facebook", **extra):
    """Options dict (as PostgreSQL would pass them: lower-case keys) pointing at a sandbox."""
    o = {
        "initiateoauth": "GETANDREFRESH",
        "oauthclientid": app_id,
        "oauthclientsecret": app_secret,
        "graph_url": url,
        "dialog_url": url + "/{version}/dialog/oauth",
        "ig_graph_url": url + "/ig",
        "ig_api_url": url + "/ig",
        "ig_authorize_url": url + "/ig/oauth/authorize",
        "oauthsettingslocation": settings,
        "login": login,
    }
    for k, v in extra.items():
        if v is None:
            o.pop(k.lower(), None)
        else:
            o[k.lower()] = v
    return o


def connection_string(opts_dict):
    return ";".join("%s='%s'" % (k, v.replace("'", "''")) for k, v in opts_dict.items())


def oauth_calls(stats, suffix="/oauth/access_token"):
    """Calls to an OAuth token endpoint recorded by the sandbox (stats()['calls'])."""
    return [c for c in stats["calls"] if c["path"].endswith(suffix)]


# ---------------------------------------------------------------- worker processes
def worker_token(args):
    """Spawned: meet the (stale) token, then make one Graph call with it."""
    opts_dict, now, barrier = args
    from ig_fdw.auth import TokenProvider
    from ig_fdw.graph import GraphClient, RetryPolicy
    opts = resolve(opts_dict)
    provider = TokenProvider(opts, clock=lambda: now)
    barrier.wait(30)
    try:
        tok = provider.token()
        client = GraphClient(opts.graph_url, VERSION, provider, app_secret=opts.oauth_client_secret,
                             timeout=10, retry=RetryPolicy(max_attempts=2, base_delay=0.01),
                             state_dir=provider.state_dir)
        me = client.get("me", fields=["id", "name"])
        client.close()
        return ("ok", tok, me.get("id"))
    except Exception as e:  # reported to the parent as text
        return ("error", "%s: %s" % (type(e).__name__, e), None)


def worker_refresh(args):
    """Spawned: everybody got a 190 on the same token and calls refresh(stale)."""
    opts_dict, now, stale, barrier = args
    from ig_fdw.auth import TokenProvider
    provider = TokenProvider(resolve(opts_dict), clock=lambda: now)
    barrier.wait(30)
    try:
        return ("ok", provider.refresh(stale), None)
    except Exception as e:
        return ("error", "%s: %s" % (type(e).__name__, e), None)


def worker_killed_write(path, secret, client_id):
    """Spawned: start replacing the settings file and get SIGKILLed just before the rename."""
    import signal
    from ig_fdw.auth.settings import SettingsFile

    def die(src, dst):
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = die
    sf = SettingsFile(path, secret.encode(), "client_secret", client_id)
    sf.write({"access_token": "NEW-TOKEN-THAT-MUST-NOT-LAND-0123456789", "expires_at": 0})
