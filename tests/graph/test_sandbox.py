"""The graph client over real HTTP against the sandbox, with fault injection.

Assertions are on behaviour (rows, sandbox call counts, client stats), never
on wall-clock time.
"""

import hashlib
import hmac
import logging
import math
import os
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from ig_fdw.graph import (AmbiguousWrite, BatchRequest, GraphClient, GraphError, InvalidParameter,
                          NotFound, PermissionDenied, RateLimited, RetryPolicy, TokenExpired,
                          TransportError, clear_cache)

from graph_helpers import VERSION, Provider, RequestLog


def media_ids(sb, account):
    """Ground truth: the account's feed media as the sandbox holds them, newest first."""
    now = sb.now()
    acct = sb.app.world.accounts[account]
    return [m.id for m in acct.media if not m.deleted and m.ts <= now]


def secrets_of(sb, *providers):
    out = [sb.app_secret, sb.user_token()]
    for p in providers:
        out.append(p.token())
        out.extend(p.refreshes)
    return [s for s in out if s]


def assert_redacted(exc, secrets):
    """No secret in any text of the exception (what PostgreSQL would print)."""
    texts = [str(exc), repr(exc), getattr(exc, "message", ""), str(exc.args)]
    for text in texts:
        for secret in secrets:
            assert secret not in text
        assert "access_token=" not in text or "access_token=[REDACTED]" in text


def total(sb):
    return sb.stats()["total"]


# -- paging ------------------------------------------------------------------
def test_paging_across_many_pages_gives_exactly_the_sandbox_rows(sb, make_client):
    main2 = sb.accounts[1]
    expected = media_ids(sb, main2)
    client = make_client()
    rows = list(client.paginate(main2 + "/media", fields=["id", "timestamp"], page_size=25))
    ids = [r["id"] for r in rows]
    assert len(expected) >= 500
    assert ids == expected                     # same rows, same order: no loss, no duplicates
    assert set(rows[0]) == {"id", "timestamp"}  # only the fields asked for
    pages = math.ceil(len(expected) / 25)
    assert pages >= 20 and client.stats.pages == pages
    assert sb.stats()["by_endpoint"]["GET /{ig-user-id}/media"] == pages


def test_limit_stops_paging_early_and_shrinks_page_size(sb, make_client):
    main1 = sb.accounts[0]
    log = RequestLog()
    client = make_client(log=log)
    rows = list(client.paginate(main1 + "/media", fields=["id"], limit=130))
    assert [r["id"] for r in rows] == media_ids(sb, main1)[:130]
    limits = [dict(parse_qsl(urlsplit(u).query))["limit"] for _, u, _, _ in log.requests]
    assert limits == ["100", "30"]   # second page only asks for what is still wanted
    assert total(sb) == 2
    assert list(client.paginate(main1 + "/media", fields=["id"], limit=7)) and total(sb) == 3


def test_page_size_given_by_the_caller_is_kept_across_pages(sb, make_client):
    """Hashtag media take at most 50 per page: their table's page_cap, passed by the executor as page_size
    (tests/fdw/test_reads_issue14.py checks it through PostgreSQL)."""
    log = RequestLog()
    client = make_client(log=log)
    tag = client.get("ig_hashtag_search", params={"user_id": sb.accounts[0], "q": "coffee"})["data"][0]["id"]
    log.requests.clear()
    rows = list(client.paginate(tag + "/top_media", params={"user_id": sb.accounts[0]}, fields=["id"], limit=120,
                                page_size=50))
    assert len({r["id"] for r in rows}) == 120
    limits = [dict(parse_qsl(urlsplit(u).query))["limit"] for _, u, _, _ in log.requests]
    assert limits == ["50", "50", "20"]     # hashtag media: at most 50 per page


def test_paginate_is_lazy_generator(sb, make_client):
    client = make_client()
    gen = client.paginate(sb.accounts[0] + "/media", fields=["id"], page_size=10)
    assert total(sb) == 0
    first = [next(gen) for _ in range(15)]
    assert len(first) == 15 and total(sb) == 2
    gen.close()


# -- multi-object reads ------------------------------------------------------
def test_500_object_reads_take_at_most_10_calls(sb, make_client):
    ids = media_ids(sb, sb.accounts[0])[:500]
    client = make_client()
    objs = client.get_many(ids, fields=["id", "like_count"])
    assert [o["id"] for o in objs] == ids
    assert total(sb) <= 10
    sb.reset_stats()
    results = client.batch([BatchRequest("GET", i, {"fields": "id,caption"}) for i in ids])
    assert [r["id"] for r in results] == ids
    st = sb.stats()
    assert st["total"] == 10 and st["batches"] == 10 and st["batch_items"] == 500
    assert client.stats.batches == 10 and client.stats.batch_items == 500


def test_item_errors_are_per_item(sb, make_client):
    good = media_ids(sb, sb.accounts[0])[:3]
    ids = [good[0], "123456789", good[1], good[2]]
    client = make_client()
    objs = client.get_many(ids, fields=["id"])
    assert isinstance(objs[1], NotFound) and objs[1].sqlstate == "42704"
    assert [o["id"] for o in (objs[0], objs[2], objs[3])] == good
    with pytest.raises(NotFound):
        client.get_many(ids, fields=["id"], on_error="raise")
    res = client.batch([good[0] + "?fields=id", "123456789?fields=id", BatchRequest("GET", good[1], {"fields": "nope"})])
    assert res[0] == {"id": good[0]}
    assert isinstance(res[1], NotFound) and isinstance(res[2], InvalidParameter)


def test_null_batch_items_are_retried(sb, make_client):
    ids = media_ids(sb, sb.accounts[0])[:120]
    sb.set_faults("batch_null@nth=3,count=2;batch_null@nth=77")
    client = make_client()
    res = client.batch([BatchRequest("GET", i, {"fields": "id"}) for i in ids])
    assert [r["id"] for r in res] == ids
    st = sb.stats()
    assert st["batches"] == 4          # 3 batches + 1 round for the 3 null items
    assert st["batch_items"] == 123


# -- retries -------------------------------------------------------------------
def test_5xx_reset_malformed_slow_bursts_recovered_without_duplicates(sb, make_client):
    main2 = sb.accounts[1]
    expected = media_ids(sb, main2)
    sb.set_faults("status=503@rate=0.2;reset@rate=0.15;status=500@nth=5,count=3;"
                  "malformed@nth=9,count=2;slow=3000ms@nth=12")
    client = make_client(retry=RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05, max_elapsed=30),
                         timeout=0.5)
    rows = list(client.paginate(main2 + "/media", fields=["id"], page_size=40))
    assert [r["id"] for r in rows] == expected
    assert client.stats.retries >= 5
    faults = {r["kind"]: r for r in sb.app.faults.to_json()["rules"]}
    assert faults["malformed"]["fired"] == 2 and faults["slow"]["fired"] == 1


def test_failure_outlasting_retry_budget_raises_not_truncates(sb, make_client):
    main2 = sb.accounts[1]
    client = make_client(retry=RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02))
    gen = client.paginate(main2 + "/media", fields=["id"], page_size=50)
    got = [next(gen) for _ in range(50)]       # first page fine
    sb.set_faults("status=503")
    with pytest.raises(GraphError) as info:
        for row in gen:
            got.append(row)
    assert len(got) == 50                     # nothing silently dropped or ended early
    assert info.value.http_status == 503 and "gave up after 4 attempts" in str(info.value)
    assert total(sb) == 1 + 4

    sb.set_faults("reset")
    with pytest.raises(TransportError) as info:
        list(client.paginate(main2 + "/media", fields=["id"]))
    assert info.value.sqlstate == "HV00N"


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80002])
def test_throttle_codes_are_retried(sb, make_client, code):
    sb.set_faults("throttle=%d@nth=1" % code)
    client = make_client()
    assert client.get(sb.accounts[0], fields=["id"])["id"] == sb.accounts[0]
    assert total(sb) == 2 and client.stats.retries == 1


def test_non_retryable_codes_fail_after_one_call(sb, make_client):
    main1 = sb.accounts[0]
    media = media_ids(sb, main1)[0]
    limited = Provider(sb, token=sb.mint_token(kind="user_long", scopes=["instagram_basic", "pages_show_list"]))
    client = make_client(provider=limited)
    with pytest.raises(PermissionDenied) as info:            # code 10
        client.get(media + "/insights", params={"metric": "reach"})
    assert info.value.code == 10 and info.value.sqlstate == "42501" and total(sb) == 1
    assert_redacted(info.value, secrets_of(sb, limited))

    client = make_client()
    with pytest.raises(InvalidParameter) as info:             # code 100
        client.get(main1, fields=["no_such_field"])
    assert info.value.code == 100 and total(sb) == 2

    acct = sb.app.world.accounts[main1]
    old = [m.id for m in acct.media if m.ts < acct.business_since][0]
    with pytest.raises(InvalidParameter) as info:             # subcode 2108006
        client.get(old + "/insights", params={"metric": "reach"})
    assert info.value.subcode == 2108006 and total(sb) == 3


def test_190_refreshes_once_then_gives_up(sb, make_client):
    sb.set_faults("expire_token")   # every token in use expires: the refreshed one too
    provider = Provider(sb)
    client = make_client(provider=provider)
    with pytest.raises(TokenExpired) as info:
        client.get(sb.accounts[0], fields=["id"])
    assert len(provider.refreshes) == 1 and total(sb) == 2
    assert info.value.sqlstate == "28000" and "re-authorize" in str(info.value)
    assert_redacted(info.value, secrets_of(sb, provider))

    def failing_refresh():
        raise RuntimeError("refresh endpoint said no for token " + provider.token())

    provider = Provider(sb, refresh_to=failing_refresh)
    sb.set_faults("expire_token@nth=1")
    client = make_client(provider=provider)
    with pytest.raises(TokenExpired) as info:
        client.get(sb.accounts[0], fields=["id"])
    assert "refreshing it failed" in str(info.value) and "re-authorize" in str(info.value)
    assert_redacted(info.value, secrets_of(sb, provider))

    bogus = "EAAbogus" + "x" * 40
    provider = Provider(sb, refresh_to=lambda: bogus)
    sb.set_faults("expire_token@nth=1")
    client = make_client(provider=provider)
    with pytest.raises(TokenExpired) as info:
        client.get(sb.accounts[0], fields=["id"])
    assert len(provider.refreshes) == 1
    assert_redacted(info.value, secrets_of(sb, provider) + [bogus])


def test_token_expiry_mid_scan_refreshes_once_and_continues(sb, make_client):
    main2 = sb.accounts[1]
    expected = media_ids(sb, main2)
    sb.set_faults("expire_token@nth=4")
    provider = Provider(sb)
    log = RequestLog()
    client = make_client(provider=provider, log=log)
    rows = list(client.paginate(main2 + "/media", fields=["id"], page_size=50))
    assert [r["id"] for r in rows] == expected
    assert len(provider.refreshes) == 1 and client.stats.refreshes == 1
    # after the refresh, next links carried the old proof: it was stripped and recomputed
    fresh = provider.token()
    last_query = dict(parse_qsl(urlsplit(log.requests[-1][1]).query))
    assert last_query["appsecret_proof"] == hmac.new(sb.app_secret.encode(), fresh.encode(),
                                                     hashlib.sha256).hexdigest()


def test_expiry_during_concurrent_reads_refreshes_once(sb, make_client):
    ids = media_ids(sb, sb.accounts[0])[:500]
    sb.set_faults("expire_token@nth=3;latency=30ms")
    provider = Provider(sb)
    client = make_client(provider=provider, max_concurrency=4)
    objs = client.get_many(ids, fields=["id"])
    assert [o["id"] for o in objs] == ids
    assert len(provider.refreshes) == 1
    sb.set_faults("expire_token@nth=70")  # inside a batch: an item gets 190
    res = client.batch([BatchRequest("GET", i, {"fields": "id"}) for i in ids[:120]])
    assert [r["id"] for r in res] == ids[:120] and len(provider.refreshes) == 2


# -- writes ----------------------------------------------------------------------
def test_post_not_retried_when_it_may_have_been_applied(sb, make_client):
    media = media_ids(sb, sb.accounts[0])[0]
    client = make_client()
    sb.set_faults("reset_after@nth=1,method=POST")
    with pytest.raises(AmbiguousWrite) as info:
        client.post(media + "/comments", {"message": "hello"})
    assert info.value.sqlstate == "40003" and "read the object back" in str(info.value)
    assert sb.stats()["by_method"]["POST"] == 1 and len(sb.writes()) == 1   # applied once, not repeated

    sb.set_faults("reset@nth=1,method=POST")
    with pytest.raises(AmbiguousWrite):
        client.post(media + "/comments", {"message": "again"})
    assert sb.stats()["by_method"]["POST"] == 2 and len(sb.writes()) == 1

    # a 5xx, even with a Graph error envelope, may follow an applied write: not repeated either
    # (ig_fdw.writes looks the comment up first)
    sb.set_faults("status_after=500@nth=1,method=POST")
    with pytest.raises(AmbiguousWrite):
        client.post(media + "/comments", {"message": "third"})
    assert sb.stats()["by_method"]["POST"] == 3 and len(sb.writes()) == 2


def test_post_retried_on_graph_error_and_refused_connection(sb, make_client):
    media = media_ids(sb, sb.accounts[0])[0]
    client = make_client()
    sb.set_faults("throttle=17@nth=1,method=POST")
    out = client.post(media + "/comments", {"message": "hello"})
    assert "id" in out and len(sb.writes()) == 1 and sb.stats()["by_method"]["POST"] == 2

    # nothing listens on this port: connection refused proves nothing was sent -> retried
    with socket_closed_port() as port:
        dead = GraphClient("http://127.0.0.1:%d" % port, VERSION, Provider(sb),
                           retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02))
        with pytest.raises(TransportError) as info:
            dead.post(media + "/comments", {"message": "x"})
        assert not isinstance(info.value, AmbiguousWrite)
        assert dead.stats.calls == 3 and dead.stats.retries == 2
        dead.close()


class socket_closed_port:
    def __enter__(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc):
        return False


def test_delete_is_a_write_too(sb, make_client):
    client = make_client()
    media = media_ids(sb, sb.accounts[0])[0]
    comment = client.post(media + "/comments", {"message": "to delete"})["id"]
    sb.set_faults("reset_after@nth=1,method=DELETE")
    with pytest.raises(AmbiguousWrite):
        client.delete(comment)
    assert sb.stats()["by_method"]["DELETE"] == 1


# -- rate limits -----------------------------------------------------------------
def set_budget(sb, n):
    requests.post(sb.url + "/__sandbox/limits", json={"budget_per_hour": n}).raise_for_status()


def sandbox_time(sb, waits=None):
    """sleep/clock for a client, driven by the sandbox clock instead of the wall clock."""
    def sleep(seconds):
        if waits is not None:
            waits.append(seconds)
        sb.advance_clock(math.ceil(seconds))
    return dict(sleep=sleep, clock=sb.now)


def test_short_throttle_waits_and_succeeds(sb, make_client):
    set_budget(sb, 10)
    acct = sb.accounts[0]
    a = make_client(**sandbox_time(sb))
    for _ in range(10):
        a.get(acct, fields=["id"])
    assert a.stats.paced_seconds > 0           # slowed down past 80 % usage
    sb.advance_clock(3540)                     # the hour is almost over: access back in ~1 minute
    waits = []
    b = make_client(**sandbox_time(sb, waits))  # knows nothing yet: the API throttles it
    assert b.get(acct, fields=["id"])["id"] == acct
    assert b.stats.throttled_waits == 1 and b.stats.throttled_seconds == 60 and waits == [60]
    assert [c["status"] for c in sb.stats()["calls"]][-2:] == [400, 200]

    # The first client was told at 100 % usage when access comes back: it waits
    # for that instead of calling into the block.
    sb.advance_clock(3600)
    for _ in range(10):
        a.get(acct, fields=["id"])
    calls = total(sb)
    sb.advance_clock(3550)
    assert a.get(acct, fields=["id"])["id"] == acct
    assert total(sb) == calls + 1 and a.stats.throttled_waits == 1


def test_long_throttle_raises_with_the_wait_in_the_message(sb, make_client, tmp_path):
    set_budget(sb, 10)
    state = str(tmp_path / "state")
    acct = sb.accounts[0]
    fresh = make_client(**sandbox_time(sb))
    first = make_client(state_dir=state, **sandbox_time(sb))
    for _ in range(10):
        first.get(acct, fields=["id"])
    with pytest.raises(RateLimited) as info:   # throttled by the API: regain in 60 min
        fresh.get(acct, fields=["id"])
    err = info.value
    assert "60 minute" in str(err) and "RateLimitMaxWait" in str(err)
    assert err.retry_after == 3600 and err.sqlstate == "53400" and err.code == 80002
    assert total(sb) == 11 and fresh.stats.throttled_waits == 0

    # Same backend, and a second backend sharing state_dir: no call about the
    # blocked account while it is blocked; the error names it.
    with pytest.raises(RateLimited) as info:
        first.get(acct, fields=["id"])
    assert "60 minute" in str(info.value) and "business account %s" % acct in str(info.value)
    other = make_client(provider=Provider(sb), state_dir=state, **sandbox_time(sb))
    with pytest.raises(RateLimited) as info:
        other.get(acct, fields=["id"])
    assert info.value.retry_after > 3500 and other.stats.calls == 0
    assert total(sb) == 11
    assert os.path.exists(os.path.join(state, "graph_rate_state.json"))
    # The block is the account's (Business Use Case): calls about another
    # account go on at once, with no wait, from either backend.
    assert other.get(sb.accounts[1], fields=["id"])["id"] == sb.accounts[1]
    assert first.get(sb.accounts[1], fields=["id"])["id"] == sb.accounts[1]
    assert total(sb) == 13 and other.stats.throttled_waits == 0 and first.stats.throttled_waits == 0
    # A post of the blocked account: its first call is throttled by the API,
    # whose header names the account; after that the post waits for the account.
    mid = media_ids(sb, acct)[0]
    with pytest.raises(RateLimited) as info:
        first.get(mid, fields=["id"])
    assert info.value.code == 80002 and total(sb) == 14
    with pytest.raises(RateLimited) as info:
        first.get(mid, fields=["id"])
    assert "business account %s" % acct in str(info.value) and total(sb) == 14


def test_usage_is_shared_between_backends_through_the_state_file(sb, make_client, tmp_path):
    set_budget(sb, 20)
    state = str(tmp_path)
    a = make_client(state_dir=state, sleep=lambda s: None)
    for _ in range(18):
        a.get(sb.accounts[0], fields=["id"])          # 90 % of the hourly budget
    paced = []
    b = make_client(provider=Provider(sb), state_dir=state, sleep=paced.append)
    b.get(sb.accounts[1], fields=["id"])
    assert not paced and b.stats.paced_seconds == 0   # another account's share does not slow b
    b.get(sb.accounts[0], fields=["id"])
    assert paced and paced[0] > 0 and b.stats.paced_seconds > 0  # b slowed down before its call on it
    c = make_client(provider=Provider(sb), sleep=paced.append)  # no shared state: no pacing
    c.get(sb.accounts[0], fields=["id"])
    assert c.stats.paced_seconds == 0
    # the app-wide share (X-App-Usage: here the user's Platform calls) slows every account
    for _ in range(18):
        a.get("me", fields=["id"])
    d = make_client(provider=Provider(sb), state_dir=state, sleep=paced.append)
    d.get(sb.accounts[2], fields=["id"])
    assert d.stats.paced_seconds > 0


def test_batch_item_usage_feeds_pacing(sb, make_client, tmp_path):
    set_budget(sb, 100)
    ids = media_ids(sb, sb.accounts[0])[:95]
    paced = []
    client = make_client(state_dir=str(tmp_path), sleep=paced.append)
    client.batch([BatchRequest("GET", i, {"fields": "id"}) for i in ids])   # one HTTP call, 95 API calls
    assert client.rate_state.current_usage(accounts=[sb.accounts[0]]) >= 95   # the account's share
    assert client.rate_state.current_usage() < 80                             # not the app's
    client.get(sb.accounts[1], fields=["id"])
    assert not paced                                   # another account goes at full speed
    client.get(sb.accounts[0], fields=["id"])
    assert paced and client.stats.paced_seconds > 0


# -- concurrency and cancel ------------------------------------------------------
def test_concurrency_is_capped(sb, make_client):
    ids = media_ids(sb, sb.accounts[0])[:500]
    sb.set_faults("latency=100ms")
    client = make_client(max_concurrency=3)
    res = client.batch([BatchRequest("GET", i, {"fields": "id"}) for i in ids])
    assert [r["id"] for r in res] == ids
    st = sb.stats()
    assert st["total"] == 10 and 2 <= st["max_in_flight"] <= 3   # parallel, never above the cap

    sb.reset_stats()
    out = client.map_concurrent(lambda i: client.get(i, fields=["id"])["id"], ids[:12])
    assert out == ids[:12] and 2 <= sb.stats()["max_in_flight"] <= 3


def test_cancel_stops_scheduling_new_requests(sb, make_client):
    ids = media_ids(sb, sb.accounts[0])[:500]
    sb.set_faults("latency=200ms")

    class Cancel(Exception):
        pass

    checks = []

    def interrupt_check():
        checks.append(1)
        if total(sb) >= 1:
            raise Cancel()

    client = make_client(max_concurrency=2, interrupt_check=interrupt_check)
    with pytest.raises(Cancel):
        client.get_many(ids, fields=["id"])
    time.sleep(0.5)                       # let in-flight requests land
    assert total(sb) <= 3                 # 10 calls were needed; the rest never started
    assert len(checks) >= 2

    # While one slow request runs, the calling thread keeps checking for a cancel.
    checks.clear()
    sb.set_faults("latency=600ms")
    patient = make_client(interrupt_check=lambda: checks.append(1))
    patient.get(sb.accounts[0], fields=["id"])
    assert len(checks) >= 4


# -- auth on the wire ------------------------------------------------------------
def test_token_only_in_header_and_appsecret_proof_sent(sb, make_client):
    provider = Provider(sb)
    log = RequestLog()
    client = make_client(provider=provider, log=log)
    acct = sb.accounts[1]
    list(client.paginate(acct + "/media", fields=["id"], page_size=100))
    client.get_many(media_ids(sb, acct)[:60], fields=["id"])
    client.batch([media_ids(sb, acct)[0] + "?fields=id"])
    client.post(media_ids(sb, acct)[0] + "/comments", {"message": "hi"})
    token = provider.token()
    proof = hmac.new(sb.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    assert len(log.requests) >= 13
    for method, url, headers, body in log.requests:
        assert token not in url and "access_token" not in url
        assert headers["Authorization"] == "Bearer " + token
        if method == "GET":
            proofs = [v for k, v in parse_qsl(urlsplit(url).query) if k == "appsecret_proof"]
        else:
            body = body.decode() if isinstance(body, bytes) else body
            proofs = [v for k, v in parse_qsl(body) if k == "appsecret_proof"]
            assert token not in body
        assert proofs == [proof]   # exactly one: the one from a next link was stripped

    # a wrong secret makes the sandbox reject the proof: it is really checked
    bad = make_client(provider=Provider(sb), app_secret="not-the-secret-000")
    with pytest.raises(InvalidParameter) as info:
        bad.get(acct, fields=["id"])
    assert "appsecret_proof" in str(info.value)
    assert_redacted(info.value, secrets_of(sb, provider) + ["not-the-secret-000"])


# -- cache -----------------------------------------------------------------------
def test_cache_is_keyed_by_fields(sb, make_client):
    acct = sb.accounts[0]
    client = make_client(cache_ttl=60)
    narrow = client.get(acct, fields=["id"])
    assert client.get(acct, fields=["id"]) == narrow and total(sb) == 1
    wide = client.get(acct, fields=["id", "username"])
    assert "username" in wide and total(sb) == 2            # the narrow entry did not answer
    list(client.paginate(acct + "/media", fields=["id"], limit=5))
    list(client.paginate(acct + "/media", fields=["id"], limit=5))
    assert total(sb) == 3 and client.stats.cache_hits == 2
    clear_cache()
    client.get(acct, fields=["id"])
    assert total(sb) == 4
    nocache = make_client()                                  # default cache_ttl=0: off
    nocache.get(acct, fields=["id"])
    nocache.get(acct, fields=["id"])
    assert total(sb) == 6


# -- redaction --------------------------------------------------------------------
def test_every_error_text_and_log_line_is_redacted(sb, make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="ig_fdw.graph")
    provider = Provider(sb)
    secrets = secrets_of(sb, provider)
    raised = []
    client = make_client(provider=provider, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    scenarios = [
        ("status=503", lambda: client.get(sb.accounts[0], fields=["id"])),
        ("reset", lambda: client.get(sb.accounts[0], fields=["id"])),
        ("malformed", lambda: client.get(sb.accounts[0], fields=["id"])),
        (None, lambda: client.get(sb.accounts[0], fields=["nope"])),
        (None, lambda: client.get("999999999")),
        ("reset_after@method=POST", lambda: client.post(media_ids(sb, sb.accounts[0])[0] + "/comments",
                                                         {"message": "m"})),
        ("expire_token", lambda: client.get(sb.accounts[0], fields=["id"])),
    ]
    for spec, fn in scenarios:
        sb.set_faults(spec)
        with pytest.raises(GraphError) as info:
            fn()
        raised.append(info.value)
    secrets = secrets_of(sb, provider)
    for exc in raised:
        assert_redacted(exc, secrets)
        assert len(exc.sqlstate) == 5
    for record in caplog.records:
        for s in secrets:
            assert s not in record.getMessage()
    invalid = make_client(provider=Provider(sb, token="EAAnot-a-real-token-1234567890abcdef"))
    with pytest.raises(TokenExpired) as info:
        invalid.get(sb.accounts[0], fields=["id"])
    assert_redacted(info.value, ["EAAnot-a-real-token-1234567890abcdef"])
    assert "EAAnot" not in repr(invalid) and provider.token() not in repr(client)


def test_paging_on_a_host_served_under_a_path(sb, fast_retry):
    """The sandbox serves the Instagram Login host under /ig: the `next` links
    carry that prefix, and following them must not add it twice."""
    acct = sb.accounts[0]
    sb.reset_stats()
    token = sb.mint_token("ig_long", user=acct)
    client = GraphClient(sb.url + "/ig", VERSION, token, app_secret=sb.ig_app_secret, retry=fast_retry, timeout=5)
    try:
        rows = list(client.paginate("%s/media" % acct, fields=["id"], page_size=7))
    finally:
        client.close()
    assert [r["id"] for r in rows] == media_ids(sb, acct)
    pages = [c["path"] for c in sb.stats()["calls"] if c["path"].endswith("/%s/media" % acct)]
    assert len(pages) == client.stats.pages > 2 and set(pages) == {"/ig/%s/%s/media" % (VERSION, acct)}
