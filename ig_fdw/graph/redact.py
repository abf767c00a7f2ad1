"""Redaction of secrets from any text that leaves the client.

Multicorn forwards ``str(exception)`` to the SQL client and PostgreSQL writes
it to the server log, so every message, log line and repr produced by this
package passes through :func:`redact` first.  Two layers:

* patterns for the places secrets appear in Graph traffic (``access_token=``,
  ``appsecret_proof=``, OAuth ``code=``, ``client_secret=``, ``Bearer ...``,
  JSON ``"access_token": "..."``, and the shape of Meta tokens);
* literal values the client knows are secret (its tokens, the app secret, the
  proofs it computed), registered with :func:`register_secret`, so even a
  token of an unknown shape echoed in a server message is removed.
"""

import logging
import re
import threading

MASK = "[REDACTED]"

_QUERY_KEYS = (
    "access_token",
    "appsecret_proof",
    "client_secret",
    "code",
    "fb_exchange_token",
    "input_token",
    "refresh_token",
    "oauth_token",
    "token",
)

_PATTERNS = [
    # key=value in URLs, query strings, form bodies and prose.  An OAuth
    # ``code=`` is long; a short number after "code=" is a Graph error code.
    (re.compile(r"(?i)(?<![A-Za-z0-9_])(%s)=[^&\s\"'<>,;)]*" % "|".join(k for k in _QUERY_KEYS if k != "code")),
     r"\1=" + MASK),
    (re.compile(r"(?i)(?<![A-Za-z0-9_])(code)=(?!(?:None|-?\d{1,9})(?![^&\s\"'<>,;)]))[^&\s\"'<>,;)]+"),
     r"\1=" + MASK),
    # JSON / dict renderings: "access_token": "..." or 'access_token': '...'
    (re.compile(r"(?i)([\"'](?:%s)[\"']\s*:\s*)[\"'][^\"']*[\"']" % "|".join(_QUERY_KEYS)), r"\1'" + MASK + "'"),
    # HTTP Authorization header values.
    (re.compile(r"(?i)\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=|-]+"), r"\1 " + MASK),
    # Shapes of Meta user/page tokens (EAA...) and Instagram-login tokens (IG...).
    (re.compile(r"\b(?:EAA|IGQ|IGA)[A-Za-z0-9_-]{16,}"), MASK),
    # app access token "app_id|app_secret"
    (re.compile(r"\b\d{6,}\|[A-Za-z0-9_-]{16,}"), MASK),
]

_MIN_SECRET_LEN = 6
_MAX_SECRETS = 256
_secrets = []  # most recent last; literal values, never printed
_lock = threading.Lock()


def register_secret(value):
    """Remember a literal secret so that :func:`redact` removes it anywhere.

    Called by the client for each token it uses, the app secret and each
    ``appsecret_proof``.  Short values are ignored (they would mangle text).
    """
    if not value or not isinstance(value, str) or len(value) < _MIN_SECRET_LEN:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.append(value)
        if len(_secrets) > _MAX_SECRETS:
            del _secrets[0]


def redact(text):
    """Return ``text`` (any object, via ``str``) with every known secret masked."""
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # a broken __str__ must not leak through a traceback
            return "<unprintable>"
    with _lock:
        literals = sorted(_secrets, key=len, reverse=True)
    for secret in literals:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_url(url):
    """Mask secret query parameters of a URL (for logs and messages)."""
    return redact(url)


class RedactingFilter(logging.Filter):
    """Logging filter that redacts the final message of every record.

    Attached to the ``ig_fdw.graph`` logger so that even a careless log call
    (an exception or URL passed as an argument) cannot print a secret.
    """

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def redacting_logger(name):
    """``logging.getLogger(name)`` with a :class:`RedactingFilter` attached once."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
