"""16 backends (processes) meeting a stale token refresh it exactly once."""

import multiprocessing

import pytest
import requests
from urllib.parse import parse_qs, urlsplit

from ig_fdw.auth import TokenProvider, authorization_url, debug_token, exchange_verifier
from ig_fdw.options import resolve

from .helpers import oauth_calls, worker_refresh, worker_token
from .leaks import assert_clean, secret, seen

N = 16
DAY = 86400


def _authorize(sb, opts):
    r = requests.get(authorization_url(opts), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(r.headers["Location"]).query.split("#")[0])["code"][0]
    secret(code)
    info = exchange_verifier(opts, code, clock=sb.now)
    secret(info.access_token)
    return info.access_token


def _run(target, argsets):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N) as pool:
        return pool.map(target, argsets, chunksize=1)


@pytest.fixture
def barrier():
    mgr = multiprocessing.get_context("spawn").Manager()
    try:
        yield mgr.Barrier(N)
    finally:
        mgr.shutdown()


def test_16_processes_meeting_a_stale_token_refresh_once(sb, make_opts_dict, barrier):
    d = make_opts_dict()
    opts = resolve(d)
    old = _authorize(sb, opts)
    sb.advance_clock(57 * DAY)  # 3 days left: every backend finds it stale
    sb.reset_stats()
    results = _run(worker_token, [(d, sb.now(), barrier)] * N)
    for r in results:
        seen(r[1] if r[0] == "error" else "")
    assert all(r[0] == "ok" for r in results), results
    tokens = {r[1] for r in results}
    assert len(tokens) == 1 and old not in tokens
    new = tokens.pop()
    secret(new)
    assert len(oauth_calls(sb.stats())) == 1  # exactly one fb_exchange_token
    assert sb.stats()["by_endpoint"].get("GET /me") == N  # every backend's query succeeded
    assert debug_token(opts, new)["is_valid"] is True
    st = TokenProvider(opts, clock=sb.now).load()
    assert st["access_token"] == new and st["refreshes"] == 1


def test_16_processes_refreshing_after_a_190_refresh_once(sb, make_opts_dict, barrier):
    d = make_opts_dict()
    opts = resolve(d)
    stale = _authorize(sb, opts)
    sb.reset_stats()
    results = _run(worker_refresh, [(d, sb.now(), stale, barrier)] * N)
    assert all(r[0] == "ok" for r in results), results
    tokens = {r[1] for r in results}
    assert len(tokens) == 1 and stale not in tokens
    secret(*tokens)
    assert len(oauth_calls(sb.stats())) == 1
    for r in results:
        assert_clean(repr(r[2]))
