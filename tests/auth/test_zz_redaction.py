"""Runs last: no text seen by the OAuth tests (exception str/repr/hint, CLI output,
log lines) contains a token, app secret, authorization code or appsecret_proof."""

import hashlib
import hmac

import pytest

from .leaks import SECRETS, TEXTS


def test_no_secret_in_any_collected_text():
    if len(TEXTS) < 20:
        pytest.skip("run the whole tests/auth directory: the other tests feed this check")
    secrets = {s for s in SECRETS if s and len(s) >= 6}
    assert len(secrets) > 10
    # appsecret_proofs of every token with every app secret we know
    apps = [s for s in secrets if not s.startswith(("EAA", "IG", "AQ"))]
    for tok in [s for s in secrets if s.startswith(("EAA", "IG"))]:
        for app in apps:
            secrets.add(hmac.new(app.encode(), tok.encode(), hashlib.sha256).hexdigest())
    leaks = []
    for text in TEXTS:
        for s in secrets:
            if s in text:
                leaks.append((s[:6] + "...", text[:200]))
    assert not leaks, leaks
