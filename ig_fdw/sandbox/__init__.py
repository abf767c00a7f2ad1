"""Local emulator of the Instagram Graph API and its OAuth endpoints.

    from ig_fdw.sandbox import Sandbox
    with Sandbox(seed=1) as sb:
        requests.get(f"{sb.url}/v22.0/me/accounts", params={"access_token": sb.user_token()})

See README.md in this directory for the host mapping, the fault spec, the
control API and the conventions marked [U] (unconfirmed real behaviour).
"""

from .server import Sandbox
from .faults import FaultSpecError

__all__ = ["Sandbox", "FaultSpecError"]
