"""Pure unit tests of the graph client's building blocks (no HTTP)."""

import json
import logging
import os
import threading
import time

import pytest

from ig_fdw.graph import cache as cache_mod
from ig_fdw.graph import errors
from ig_fdw.graph.batch import AUTH, FAILED, OK, RETRY, BatchRequest, chunks, encode_batch, judge_item
from ig_fdw.graph.concurrency import Runner
from ig_fdw.graph.paging import iter_pages, page_size_for, split_next_url
from ig_fdw.graph.ratelimit import RateState, pacing_delay, parse_app_usage, parse_buc, parse_usage
from ig_fdw.graph.redact import MASK, redact, register_secret
from ig_fdw.graph.stats import CallStats
from ig_fdw.graph.transport import RetryPolicy, appsecret_proof, credential_identity, session_for

TOKEN = "EAAGunitTestToken1234567890abcdefXYZ"
SECRET = "unit-app-secret-0123456789"


# -- redact ---------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "GET https://graph.facebook.com/v22.0/me?access_token=%s&fields=id" % TOKEN,
    "appsecret_proof=abcdef0123456789abcdef&x=1",
    "https://x/oauth/access_token?client_id=1&client_secret=s3cr3tvalue&code=AQDxyz123456",
    "Authorization: Bearer %s" % TOKEN,
    '{"access_token": "%s", "token_type": "bearer"}' % TOKEN,
    "Invalid OAuth access token - Cannot parse access token: %s" % TOKEN,
    "fb_exchange_token=%s" % TOKEN,
    "app token 123456789|abcdefABCDEF0123456789",
])
def test_redact_patterns(text):
    out = redact(text)
    for secret in (TOKEN, "abcdef0123456789abcdef", "s3cr3tvalue", "AQDxyz123456", "abcdefABCDEF0123456789"):
        assert secret not in out
    assert MASK in out


def test_redact_registered_literal_of_unknown_shape():
    odd = "sandbox-token-of-odd-shape-42"
    assert odd in redact("echo " + odd)
    register_secret(odd)
    assert odd not in redact("echo " + odd)
    assert redact(None) == ""
    assert "code 190" in redact("code 190")  # plain prose survives


def test_errors_are_redacted_everywhere():
    register_secret(SECRET)
    err = errors.from_error_body({"error": {
        "message": "bad token %s and secret %s?access_token=%s" % (TOKEN, SECRET, TOKEN),
        "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "AbC"}}, 400)
    assert isinstance(err, errors.TokenExpired)
    for text in (str(err), repr(err), err.message, str(err.args)):
        assert TOKEN not in text and SECRET not in text
    assert err.sqlstate == "28000" and err.code == 190 and err.subcode == 463
    assert err.fbtrace_id == "AbC" and err.http_status == 400


@pytest.mark.parametrize("code,subcode,status,cls,sqlstate,retryable", [
    (1, None, 500, errors.GraphError, "HV000", True),
    (2, None, 503, errors.GraphError, "HV000", True),
    (4, None, 400, errors.RateLimited, "53400", True),
    (17, None, 400, errors.RateLimited, "53400", True),
    (32, None, 400, errors.RateLimited, "53400", True),
    (341, None, 400, errors.RateLimited, "53400", True),
    (368, None, 400, errors.RateLimited, "53400", True),
    (613, None, 400, errors.RateLimited, "53400", True),
    (80002, None, 400, errors.RateLimited, "53400", True),
    (80014, None, 400, errors.RateLimited, "53400", True),
    (10, None, 400, errors.PermissionDenied, "42501", False),
    (200, None, 403, errors.PermissionDenied, "42501", False),
    (100, None, 400, errors.InvalidParameter, "22023", False),
    (100, 33, 400, errors.NotFound, "42704", False),
    (100, 2108006, 400, errors.InvalidParameter, "22023", False),
    (190, None, 401, errors.TokenExpired, "28000", False),
    (190, 467, 400, errors.TokenInvalid, "28000", False),
])
def test_error_mapping(code, subcode, status, cls, sqlstate, retryable):
    body = {"error": {"message": "m", "code": code, "error_subcode": subcode, "is_transient": code == 1}}
    err = errors.from_error_body(body, status)
    assert type(err) is cls
    assert err.sqlstate == sqlstate and len(err.sqlstate) == 5
    assert err.retryable is retryable
    assert "Hint:" in str(err)  # every message says what to do


def test_never_retry_even_if_transient():
    for code in (10, 100, 190):
        assert not errors.is_retryable_code(code, None, True)
    assert not errors.is_retryable_code(4, 2108006, True)


def test_sqlstates_of_transport_classes():
    assert errors.TransportError("x").sqlstate == "HV00N"
    assert errors.AmbiguousWrite("x").sqlstate == "40003"
    assert errors.Cancelled("x").sqlstate == "57014"
    assert isinstance(errors.AmbiguousWrite("x"), errors.GraphError)


def test_error_pickles_with_attributes():
    import pickle
    err = errors.RateLimited("wait", retry_after=60, code=4)
    back = pickle.loads(pickle.dumps(err))
    assert back.code == 4 and back.retry_after == 60 and back.sqlstate == "53400"


# -- rate limit -------------------------------------------------------------
def test_parse_usage_headers():
    headers = {
        "X-App-Usage": json.dumps({"call_count": 12, "total_cputime": 85, "total_time": 3}),
        "X-Business-Use-Case-Usage": json.dumps({"178": [{"type": "instagram", "call_count": 40,
                                                          "total_cputime": 1, "total_time": 2,
                                                          "estimated_time_to_regain_access": 3}]}),
    }
    usage, regain = parse_usage(headers)
    assert usage == 85 and regain == 180
    assert parse_usage({}) == (None, None)
    assert parse_usage({"X-App-Usage": "not json"}) == (None, None)


def test_pacing_delay_is_proportional():
    assert pacing_delay(50) == 0 and pacing_delay(80) == 0
    assert pacing_delay(90, 80, 2.0) == pytest.approx(1.0)
    assert pacing_delay(150, 80, 2.0) == pytest.approx(2.0)


def test_rate_state_is_shared_through_the_file(tmp_path):
    a = RateState(str(tmp_path))
    b = RateState(str(tmp_path))
    a.update(usage=91, regain_seconds=120, throttled=True)
    assert b.current_usage() == 91
    assert 100 < b.blocked_for() <= 120
    b.clear_block()
    assert a.blocked_for() == 0
    assert json.load(open(os.path.join(str(tmp_path), "graph_rate_state.json")))["usage"] == 91


def test_parse_buc_keeps_each_business_account_apart():
    headers = {
        "X-App-Usage": json.dumps({"call_count": 12, "total_cputime": 5, "total_time": 3}),
        "X-Business-Use-Case-Usage": json.dumps({
            "178": [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 7}],
            "179": [{"type": "instagram", "call_count": 20, "total_time": 30, "estimated_time_to_regain_access": 0}]}),
    }
    assert parse_buc(headers) == {"178": (100, 420), "179": (30, 0)}
    assert parse_app_usage(headers) == (12, None)       # the BUC shares are not the app's
    assert parse_buc({}) == {} and parse_buc({"X-Business-Use-Case-Usage": "[1]"}) == {}


def test_account_block_and_share_concern_that_account_only(tmp_path):
    now = [1000.0]
    a = RateState(str(tmp_path), clock=lambda: now[0])
    b = RateState(str(tmp_path), clock=lambda: now[0])      # another backend
    a.update(accounts={"178": (100, 600), "179": (95, 0)})
    assert b.blocked_for(accounts=["178"]) == 600 and b.blocked_account(accounts=["179", "178"]) == ("178", 600)
    assert b.blocked_for() == 0 and b.blocked_for(accounts=["179", "180"]) == 0
    assert b.current_usage() == 0 and b.current_usage(accounts=["179"]) == 95
    # an app-wide block concerns every account
    a.update(usage=50, regain_seconds=30, throttled=True)
    assert b.blocked_for(accounts=["180"]) == 30 and b.blocked_account(accounts=["180"]) is None
    # a success on one account lifts its block only
    b.update(clear_accounts=["179"], clear_app=True)
    assert a.blocked_for(accounts=["178"]) == 600 and a.blocked_for() == 0
    b.clear_block(accounts=["178"])
    assert a.blocked_for(accounts=["178"]) == 0
    # media learned to belong to an account wait for that account's block
    a.update(accounts={"178": (100, 60)})
    assert a.accounts_of(["9001"]) == ["9001"]
    a.learn_owner(["9001", "178"], "178")
    assert a.accounts_of(["9001", "178"]) == ["178"] and a.blocked_for(accounts=a.accounts_of(["9001"])) == 60
    # readings that are neither fresh nor blocking are dropped: the file stays small
    now[0] += 3600
    a.update(accounts={"181": (10, 0)})
    assert set(a.read()["accounts"]) == {"181"}


def _answer(status, body, headers):
    import requests
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body).encode()
    r.headers.update(headers)
    return r


@pytest.mark.parametrize("code, app_wide", [(80002, False), (4, True), (17, True)])
def test_a_throttle_blocks_its_account_unless_app_level(tmp_path, code, app_wide):
    """A Business Use Case throttle (80002) blocks the account its header names;
    an app-level one (4, 17...) blocks every call."""
    from ig_fdw.graph.transport import RetryPolicy, TokenManager, Transport
    from ig_fdw.graph.client import StaticToken
    state = RateState(str(tmp_path))
    t = Transport(TokenManager(StaticToken("tok")), "test", "http://127.0.0.1:1", rate_state=state,
                  retry=RetryPolicy(max_attempts=1))
    headers = {"X-Business-Use-Case-Usage": json.dumps(
        {"178": [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 30}]})}
    body = {"error": {"message": "(#%d) limit" % code, "type": "OAuthException", "code": code}}
    with pytest.raises(Exception):
        t._interpret(_answer(400, body, headers), b"x", "GET", "http://127.0.0.1:1/v22.0/178/media", True, ["178"])
    assert state.blocked_for(accounts=["178"]) > 1700
    assert (state.blocked_for(accounts=["179"]) > 1700) == app_wide
    assert (state.blocked_for() > 0) == app_wide
    # a success about another account lifts nothing of the 80002 block
    ok = {"X-Business-Use-Case-Usage": json.dumps({"179": [{"type": "instagram", "call_count": 3}]})}
    t._interpret(_answer(200, {"id": "179"}, ok), b"x", "GET", "http://127.0.0.1:1/v22.0/179", True, ["179"])
    assert state.blocked_for(accounts=["178"]) > 1700
    assert state.current_usage(accounts=["179"]) == 3 and state.current_usage() == 0


def test_rate_state_concurrent_writers(tmp_path):
    states = [RateState(str(tmp_path)) for _ in range(4)]

    def work(s, n):
        for i in range(25):
            s.update(usage=n * 100 + i)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(states)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = states[0].read()  # never a torn or empty file
    assert "usage" in data and not [p for p in os.listdir(str(tmp_path)) if p.startswith(".rate.")]


# -- paging -----------------------------------------------------------------
def test_split_next_url_strips_secrets():
    path, query = split_next_url(
        "https://graph.facebook.com/v22.0/1/media?access_token=%s&appsecret_proof=ff&limit=25&after=QVF" % TOKEN)
    assert path == "/v22.0/1/media"
    assert dict(query) == {"limit": "25", "after": "QVF"}


def test_page_size_caps():
    assert page_size_for() == 100
    assert page_size_for(500) == 100
    assert page_size_for(50) == 50     # the table's page_cap, given by the executor
    assert page_size_for(100, limit=7) == 7


def test_iter_pages_follows_next_not_length():
    pages = {
        None: {"data": [1, 2], "paging": {"next": "http://h/v/e?after=a&access_token=T"}},
        "a": {"data": [], "paging": {"next": "http://h/v/e?after=b"}},   # empty page is not the end
        "b": {"data": [3], "paging": {"next": "http://h/v/e?after=c"}},  # short page is not the end
        "c": {"data": [4, 5], "paging": {}},
    }
    seen = []

    def nxt(path, query):
        q = dict(query)
        assert "access_token" not in q
        seen.append(q)
        return pages[q["after"]]

    assert list(iter_pages(lambda: pages[None], nxt, 2)) == [1, 2, 3, 4, 5]
    seen.clear()
    assert list(iter_pages(lambda: pages[None], nxt, 2, limit=3)) == [1, 2, 3]
    assert seen[-1]["limit"] == "1"  # last page shrunk to the rows still wanted


# -- batch ----------------------------------------------------------------
def test_batch_encoding_and_judging():
    reqs = [BatchRequest.coerce("1?fields=id"), BatchRequest("GET", "2", {"fields": "id,caption"}),
            BatchRequest.coerce({"method": "POST", "relative_url": "3/comments", "body": {"message": "hi"}})]
    enc = json.loads(encode_batch(reqs))
    assert enc[1]["relative_url"] == "2?fields=id%2Ccaption"
    assert enc[2]["body"] == "message=hi" and not reqs[2].idempotent
    assert judge_item({"code": 200, "body": '{"id":"1"}'}) == (OK, {"id": "1"})
    assert judge_item(None)[0] == RETRY
    assert judge_item({"code": 500, "body": "oops"})[0] == RETRY
    kind, err = judge_item({"code": 400, "body": json.dumps({"error": {"code": 100, "message": "bad"}})})
    assert kind == FAILED and isinstance(err, errors.InvalidParameter)
    assert judge_item({"code": 400, "body": json.dumps({"error": {"code": 190}})})[0] == AUTH
    assert judge_item({"code": 400, "body": json.dumps({"error": {"code": 17}})})[0] == RETRY
    assert [len(c) for c in chunks(list(range(120)))] == [50, 50, 20]


# -- transport helpers --------------------------------------------------------
def test_appsecret_proof_is_hmac_sha256():
    import hashlib
    import hmac
    assert appsecret_proof(TOKEN, SECRET) == hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()


def test_session_registry_key_is_not_the_token():
    class P:
        def token(self):
            return TOKEN
    ident = credential_identity(P(), lambda: TOKEN)
    assert TOKEN not in ident
    s1 = session_for("http://h:1", ident)
    assert session_for("http://h:1/", ident) is s1
    assert session_for("http://h:2", ident) is not s1
    from ig_fdw.graph.transport import registered_sessions
    assert TOKEN not in repr(registered_sessions())


def test_retry_policy_backoff_bounded():
    p = RetryPolicy(base_delay=0.1, max_delay=1.0, jitter=0.5)
    for n in range(1, 10):
        d = p.delay(n)
        assert 0 <= d <= 1.0
        assert d >= min(1.0, 0.1 * 2 ** (n - 1)) * 0.5


# -- cache -----------------------------------------------------------------
def test_cache_key_includes_fields_and_identity():
    c = cache_mod.ResponseCache()
    narrow = c.key("u1", "http://h", "/v/1", {"fields": "id"})
    wide = c.key("u1", "http://h", "/v/1", {"fields": "id,caption"})
    other = c.key("u2", "http://h", "/v/1", {"fields": "id"})
    assert len({narrow, wide, other}) == 3
    c.put(narrow, {"id": "1"}, 10)
    assert c.get(wide) is None and c.get(other) is None and c.get(narrow) == {"id": "1"}
    c.put(wide, {"x": 1}, 0)  # ttl 0 = off
    assert c.get(wide) is None
    c.clear()
    assert c.get(narrow) is None


def test_cache_expires():
    now = [0.0]
    c = cache_mod.ResponseCache(clock=lambda: now[0])
    k = c.key("u", "h", "/p", {})
    c.put(k, 1, 5)
    now[0] = 4.9
    assert c.get(k) == 1
    now[0] = 5.1
    assert c.get(k) is None


# -- runner ------------------------------------------------------------------
def test_runner_keeps_input_order_and_bound():
    active, peak = [0], [0]
    lock = threading.Lock()

    def fn(x):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.01 * (5 - x % 5))
        with lock:
            active[0] -= 1
        return x * 2

    r = Runner(3)
    assert r.map(fn, range(20)) == [x * 2 for x in range(20)]
    assert peak[0] <= 3
    r.close()


def test_runner_interrupt_stops_scheduling():
    started = []
    calls = [0]

    class Interrupt(Exception):
        pass

    def check():
        calls[0] += 1
        if len(started) >= 2:
            raise Interrupt()

    def fn(x):
        started.append(x)
        time.sleep(0.2)
        return x

    r = Runner(2, interrupt_check=check)
    with pytest.raises(Interrupt):
        r.map(fn, range(50))
    time.sleep(0.3)
    assert len(started) <= 4  # the rest were never scheduled
    r.close()


def test_runner_sleep_calls_interrupt_check_often():
    stamps = []
    r = Runner(1, interrupt_check=lambda: stamps.append(time.monotonic()))
    r.sleep(0.3)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert len(stamps) >= 3 and gaps  # checked in slices, not once after 0.3 s


def test_runner_nested_map_runs_inline():
    r = Runner(2)
    assert r.map(lambda x: r.map(lambda y: x * 10 + y, range(3)), range(4)) == \
        [[x * 10 + y for y in range(3)] for x in range(4)]
    r.close()


def test_stats_explain_lines():
    s = CallStats()
    s.add("calls", 3)
    s.add("throttled_seconds", 1.5)
    assert s.as_dict()["calls"] == 3
    assert "3 calls" in s.explain_lines()[0]


def test_log_records_are_redacted(caplog):
    from ig_fdw.graph.redact import redacting_logger
    logger = redacting_logger("ig_fdw.graph")
    caplog.set_level(logging.DEBUG, logger="ig_fdw.graph")
    logger.warning("calling %s", "https://h/v22.0/me?access_token=%s" % TOKEN)
    try:
        raise ValueError("boom " + TOKEN)
    except ValueError:
        logger.exception("failed")
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text and "access_token=[REDACTED]" in text


def test_default_interrupt_check_uses_multicorn_when_present(monkeypatch):
    import sys
    import types
    from ig_fdw.graph.concurrency import default_interrupt_check
    assert default_interrupt_check()() is None       # no multicorn here: a no-op
    calls = []
    utils = types.ModuleType("multicorn.utils")
    utils.check_interrupts = lambda: calls.append(1)
    pkg = types.ModuleType("multicorn")
    pkg.utils = utils
    monkeypatch.setitem(sys.modules, "multicorn", pkg)
    monkeypatch.setitem(sys.modules, "multicorn.utils", utils)
    default_interrupt_check()()
    assert calls == [1]


def test_body_cut_short_is_retried_for_reads_and_ambiguous_for_writes():
    """The sandbox has no "close in the middle of the body" fault: a raw socket does it."""
    import socket
    from ig_fdw.graph import AmbiguousWrite, GraphClient, TransportError

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    served = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.recv(65536)
            served.append(1)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"id\": \"1")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    client = GraphClient("http://127.0.0.1:%d" % port, "v22.0", TOKEN,
                         retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02))
    try:
        with pytest.raises(TransportError) as info:
            client.get("1", fields=["id"])
        assert not isinstance(info.value, AmbiguousWrite)
        assert len(served) == 3 and client.stats.retries == 2     # read: retried
        with pytest.raises(AmbiguousWrite):
            client.post("1/comments", {"message": "x"})
        assert len(served) == 4                                   # write: sent once only
        assert TOKEN not in str(info.value)
    finally:
        client.close()
        srv.close()
