"""Fixtures of the OAuth tests: a sandbox over real HTTP, options pointing at it,
and a collector of every text the tests see, checked for secrets."""


import pytest

from ig_fdw.options import resolve

from .helpers import sandbox_options

try:
    from ig_fdw.sandbox import Sandbox
except ImportError:  # pragma: no cover
    Sandbox = None

from .leaks import secret


@pytest.fixture
def sb():
    if Sandbox is None:
        pytest.skip("ig_fdw.sandbox is not importable")
    with Sandbox(seed=1, port=0, budget_per_hour=100000) as box:
        secret(box.app_secret, box.ig_app_secret, box.user_token(), "%s|%s" % (box.app_id, box.app_secret))
        yield box


@pytest.fixture
def settings_path(tmp_path):
    return str(tmp_path / "srv" / "OAuthSettings.txt")


@pytest.fixture
def make_opts(sb, settings_path):
    def make(login="facebook", path=None, **extra):
        if login == "instagram":
            extra.setdefault("oauthclientid", sb.ig_app_id)
            extra.setdefault("oauthclientsecret", sb.ig_app_secret)
        d = sandbox_options(sb.url, sb.app_id, sb.app_secret, path or settings_path, login=login, **extra)
        return resolve(d)
    return make


@pytest.fixture
def make_opts_dict(sb, settings_path):
    def make(login="facebook", path=None, **extra):
        return sandbox_options(sb.url, sb.app_id, sb.app_secret, path or settings_path, login=login, **extra)
    return make


class _Collect(__import__("logging").Handler):
    def emit(self, record):
        from .leaks import TEXTS
        try:
            TEXTS.append(self.format(record))
        except Exception:
            TEXTS.append(str(record.msg))


@pytest.fixture(autouse=True)
def collect_logs():
    """Every log line of ig_fdw during the tests goes to the redaction check."""
    import logging
    handler = _Collect(level=logging.DEBUG)
    root = logging.getLogger("ig_fdw")
    old = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    root.setLevel(old)
