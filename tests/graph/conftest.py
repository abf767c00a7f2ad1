"""Fixtures: a sandbox Graph API over real HTTP and clients pointed at it."""

import pytest

from graph_helpers import BIG_BUDGET, HAVE_SANDBOX, VERSION, Provider, Sandbox
from ig_fdw.graph import GraphClient, RetryPolicy, clear_cache


@pytest.fixture
def sb():
    if not HAVE_SANDBOX:
        pytest.skip("ig_fdw.sandbox is not importable yet")
    with Sandbox(seed=1, latency_ms=0, faults=None, port=0, budget_per_hour=BIG_BUDGET) as box:
        yield box


@pytest.fixture
def fast_retry():
    return RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, max_elapsed=10, jitter=0.5)


@pytest.fixture
def make_client(sb, fast_retry):
    made = []

    def make(provider=None, log=None, **kw):
        kw.setdefault("retry", fast_retry)
        kw.setdefault("app_secret", sb.app_secret)
        kw.setdefault("timeout", 5)
        client = GraphClient(sb.url, VERSION, provider or Provider(sb), **kw)
        if log is not None:
            client.transport.session.hooks["response"].append(log)
            made.append((client, log))
        else:
            made.append((client, None))
        return client

    clear_cache()
    yield make
    for client, log in made:
        if log is not None and log in client.transport.session.hooks["response"]:
            client.transport.session.hooks["response"].remove(log)
        client.close()
    clear_cache()
