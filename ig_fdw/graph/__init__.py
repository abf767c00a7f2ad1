"""Instagram Graph API client used by the ig_fdw foreign tables.

    from ig_fdw.graph import GraphClient, RetryPolicy
    client = GraphClient("https://graph.facebook.com", "v22.0", token_provider, app_secret=...)
    for row in client.paginate("17841400000/media", fields=["id", "caption"], limit=500):
        ...

See README.md in this folder for the design, error table and settings.
"""

from .batch import BatchRequest
from .cache import clear as clear_cache
from .client import DEFAULT_VERSION, GraphClient, StaticToken
from .errors import (AmbiguousWrite, Cancelled, GraphError, InvalidParameter, NotFound,
                     PermissionDenied, RateLimited, TokenExpired, TokenInvalid, TransportError)
from .redact import redact, register_secret
from .stats import CallStats
from .transport import RetryPolicy

__all__ = [
    "GraphClient", "StaticToken", "RetryPolicy", "BatchRequest", "CallStats", "DEFAULT_VERSION",
    "GraphError", "TransportError", "AmbiguousWrite", "Cancelled", "TokenExpired", "TokenInvalid",
    "RateLimited", "PermissionDenied", "NotFound", "InvalidParameter",
    "redact", "register_secret", "clear_cache",
]
