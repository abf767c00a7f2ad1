"""Control API: stats, reset, clock, info, tokens, concurrency accounting."""

import hashlib
import threading

import requests

from ig_fdw.sandbox import Sandbox


def test_stats_shape_and_templates(c, sb, main1):
    c.get("/me")
    c.get("/%s/media" % main1, limit=2)
    c.get("/%s/media" % main1, limit=2)
    st = requests.get(sb.url + "/__sandbox/stats").json()
    assert st["total"] == 3
    assert st["by_endpoint"] == {"GET /me": 1, "GET /{ig-user-id}/media": 2}
    assert st["by_method"] == {"GET": 3}
    key = hashlib.sha256(c.token.encode()).hexdigest()[:16]
    assert st["by_token"] == {key: 3}
    assert c.token not in str(st)
    assert st["calls"][-1] == {"method": "GET", "path": "/v22.0/%s/media" % main1,
                               "template": "GET /{ig-user-id}/media", "status": 200, "query": "limit=2"}
    assert sb.stats() == {k: v for k, v in st.items()}
    requests.post(sb.url + "/__sandbox/reset")
    assert sb.stats()["total"] == 0 and sb.stats()["calls"] == []


def test_reset_all_restores_state(c, sb, main1):
    m = c.ok("/%s/media" % main1, limit=50, fields="id,is_comment_enabled")["data"]
    m = next(x for x in m if x["is_comment_enabled"])
    cid = c.post("/%s/comments" % m["id"], message="to be forgotten").json()["id"]
    sb.advance_clock(100)
    requests.post(sb.url + "/__sandbox/reset?all=1")
    assert sb.writes() == [] and sb.now() == 1793491200
    c.err(c.get("/" + cid), 100, 33)
    assert c.get("/me").status_code == 200   # the built-in user token is the same after a full reset


def test_clock_endpoint(sb):
    r = requests.get(sb.url + "/__sandbox/clock").json()
    assert r == {"now": 1793491200, "iso": "2026-11-01T00:00:00+0000"}
    r = requests.post(sb.url + "/__sandbox/clock", json={"advance": 3600}).json()
    assert r["now"] == 1793491200 + 3600 == sb.now()
    assert requests.post(sb.url + "/__sandbox/clock", json={"advance": -5}).status_code == 400


def test_info_has_no_tokens(sb):
    info = requests.get(sb.url + "/__sandbox/info").json()
    assert info["app_id"] == sb.app_id and info["app_secret"] == sb.app_secret
    assert [a["id"] for a in info["accounts"]] == sb.accounts
    assert info["accounts"][2]["followers_count"] < 100
    assert len(info["pages"]) == 2 and "coffee" in info["hashtags"]
    assert sb.user_token() not in str(info) and "EAA" not in str(info)


def test_tokens_endpoint(sb):
    r = requests.post(sb.url + "/__sandbox/tokens", json={"kind": "ig_long", "user": sb.accounts[1]}).json()
    me = requests.get(sb.url + "/ig/v22.0/me", params={"access_token": r["access_token"], "fields": "id"}).json()
    assert me["id"] == sb.accounts[1]
    assert requests.post(sb.url + "/__sandbox/tokens", json={"kind": "nope"}).status_code == 400


def test_max_in_flight_counts_concurrency(sb):
    sb.set_faults("latency=1000ms")
    tok = sb.user_token()
    barrier = threading.Barrier(5)

    def hit():
        barrier.wait()
        requests.get(sb.url + "/v22.0/me", params={"access_token": tok})
    threads = [threading.Thread(target=hit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st = sb.stats()
    assert st["max_in_flight"] == 5 and st["total"] == 5 and st["in_flight"] == 0
    assert st["rounds"] == 1                    # five overlapping calls: one round trip


def test_rounds_count_sequential_calls_and_reset(sb):
    sb.set_faults("latency=300ms")
    tok = sb.user_token()
    for _ in range(3):
        requests.get(sb.url + "/v22.0/me", params={"access_token": tok})
    st = sb.stats()
    assert st["rounds"] == 3 and st["total"] == 3 and st["max_in_flight"] == 1
    sb.reset_stats()
    assert sb.stats()["rounds"] == 0


def test_start_stop_without_with():
    sb = Sandbox(seed=2, port=0).start()
    try:
        assert requests.get(sb.url + "/v22.0/me", params={"access_token": sb.user_token()}).status_code == 200
        assert sb.graph_url == sb.url and not sb.url.endswith("/")
    finally:
        sb.stop()
    try:
        requests.get(sb.url + "/v22.0/me", timeout=1)
        reachable = True
    except requests.ConnectionError:
        reachable = False
    assert not reachable


def test_concurrent_mixed_traffic_is_consistent(sb):
    tok = sb.user_token()
    a = sb.accounts[0]
    media = requests.get(sb.url + "/v22.0/%s/media" % a, params={"access_token": tok, "limit": 100,
                                                                 "fields": "id,is_comment_enabled"}).json()["data"]
    targets = [m["id"] for m in media if m["is_comment_enabled"]][:8]
    errors = []

    def worker(i):
        s = requests.Session()
        for j in range(25):
            if j % 5 == 0:
                r = s.post(sb.url + "/v22.0/%s/comments" % targets[i], data={"message": "t%d c%d" % (i, j),
                                                                           "access_token": tok})
            else:
                r = s.get(sb.url + "/v22.0/%s/comments" % targets[i], params={"access_token": tok, "limit": 10})
            if r.status_code != 200:
                errors.append(r.text)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    st = sb.stats()
    assert st["total"] == 1 + 8 * 25 and st["in_flight"] == 0
    assert st["by_endpoint"]["POST /{media-id}/comments"] == 40
    assert len(sb.writes()) == 40 and [w["seq"] for w in sb.writes()] == list(range(1, 41))


def test_internal_error_answers_code_1(sb, monkeypatch):
    from ig_fdw.sandbox import routes

    def boom(*a):
        raise RuntimeError("sandbox bug")
    monkeypatch.setitem(routes.ROUTES, ("GET", "user", None), boom)
    r = requests.get(sb.url + "/v22.0/me", params={"access_token": sb.user_token()})
    assert r.status_code == 500 and r.json()["error"]["code"] == 1
