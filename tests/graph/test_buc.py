"""Business Use Case rate limits (issue 17): Instagram calls fall under the
account's BUC, the client waits per estimated_time_to_regain_access while the
statement's RateLimitMaxWait budget allows, else fails with a clear error.
Time is the sandbox clock (the client's sleep advances it)."""

import math

import pytest
import requests

from ig_fdw.graph import BatchRequest, RateLimited


def set_budget(sb, n):
    requests.post(sb.url + "/__sandbox/limits", json={"budget_per_hour": n}).raise_for_status()


def sandbox_time(sb, waits):
    def sleep(seconds):
        waits.append(seconds)
        sb.advance_clock(math.ceil(seconds))
    return dict(sleep=sleep, clock=sb.now)


def test_user_token_over_many_accounts_is_not_stopped_by_the_user_limit(sb, make_client):
    set_budget(sb, 10)
    waits = []
    client = make_client(slow_down_at=100.0, **sandbox_time(sb, waits))
    for _ in range(9):                       # 27 calls by one user, 9 per account
        for acct in sb.accounts:
            assert client.get(acct, fields=["id"])["id"] == acct
    assert waits == [] and client.stats.throttled_waits == 0
    codes = {c["status"] for c in sb.stats()["calls"]}
    assert codes == {200}


def test_waits_within_the_statement_budget_then_a_clear_error(sb, make_client):
    set_budget(sb, 5)
    acct = sb.accounts[0]
    waits = []
    client = make_client(rate_limit_max_wait=3 * 60, slow_down_at=100.0, **sandbox_time(sb, waits))
    for _ in range(5):
        client.get(acct, fields=["id"])
    # the header at 100 % says when access comes back: the client waits that long, once
    sb.advance_clock(3600 - 120)             # the oldest call leaves the window in 2 minutes
    assert client.get(acct, fields=["id"])["id"] == acct
    assert waits == [120] and client.stats.throttled_seconds == 120
    for _ in range(4):
        client.get(acct, fields=["id"])
    # blocked again for longer than what is left of the 3 minutes: no wait, no call into the block
    before = sb.stats()["total"]
    with pytest.raises(RateLimited) as info:
        client.get(acct, fields=["id"])
    err = info.value
    assert waits == [120] and sb.stats()["total"] == before
    assert err.sqlstate == "53400" and "RateLimitMaxWait" in str(err)
    assert "already waited 120 s" in str(err) and err.retry_after > 60
    # a new statement has its whole budget again
    client.reset_stats()
    sb.advance_clock(int(err.retry_after) - 170)
    assert client.get(acct, fields=["id"])["id"] == acct
    assert client.stats.throttled_waits == 1 and 0 < client.stats.throttled_seconds <= 180


def test_batch_items_throttled_by_buc_wait_once_within_budget(sb, make_client):
    set_budget(sb, 5)
    acct = sb.accounts[0]
    waits = []
    client = make_client(rate_limit_max_wait=3600, slow_down_at=100.0, **sandbox_time(sb, waits))
    reqs = [BatchRequest("GET", acct, {"fields": "id"}) for _ in range(8)]
    results = client.batch(reqs)
    assert all(r == {"id": acct} for r in results), results
    # the 3 throttled items counted too: the whole window has to roll over
    assert waits == [3600]
    assert client.stats.throttled_seconds == waits[0]


def test_batch_wait_beyond_the_budget_gives_clear_errors(sb, make_client):
    set_budget(sb, 5)
    acct = sb.accounts[0]
    waits = []
    client = make_client(rate_limit_max_wait=60, slow_down_at=100.0, **sandbox_time(sb, waits))
    results = client.batch([BatchRequest("GET", acct, {"fields": "id"}) for _ in range(8)])
    assert [r == {"id": acct} for r in results] == [True] * 5 + [False] * 3
    assert all(isinstance(r, RateLimited) and "RateLimitMaxWait" in str(r) for r in results[5:])
    assert waits == []
