"""Collector of every text the OAuth tests see, checked for secrets (tests/auth/test_zz_redaction.py)."""

# Everything printed / raised during the run, and every secret met (checked at the end).
TEXTS = []
SECRETS = set()


def seen(*texts):
    for t in texts:
        TEXTS.append(str(t))


def secret(*values):
    for v in values:
        if v:
            SECRETS.add(v)


def assert_clean(text, extra=()):
    text = str(text)
    for s in list(SECRETS) + list(extra):
        if s and len(s) >= 6:
            assert s not in text, "a secret leaked into: %r" % text[:300]


def err_text(exc):
    """str + repr + hint of an exception, recorded and checked."""
    t = "%s\n%r\n%s" % (exc, exc, getattr(exc, "hint", "") or "")
    seen(t)
    assert_clean(t)
    return t
