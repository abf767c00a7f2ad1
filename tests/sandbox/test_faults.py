"""Fault injection: every kind, by nth and by rate, path/method filters, spec parsing."""

import json
import time

import pytest
import requests

from ig_fdw.sandbox import Sandbox, FaultSpecError
from conftest import Client


def statuses(c, path, n, **params):
    return [c.get(path, **params).status_code for _ in range(n)]


def test_status_nth_and_count(c, sb, main1):
    sb.set_faults("status=503@nth=3")
    r = [c.get("/" + main1) for _ in range(5)]
    assert [x.status_code for x in r] == [200, 200, 503, 200, 200]
    e = r[2].json()["error"]
    assert e["code"] == 2 and e["is_transient"] is True
    sb.set_faults("status=500@nth=2,count=2")
    assert statuses(c, "/" + main1, 5) == [200, 500, 500, 200, 200]
    sb.set_faults("status=502")
    assert statuses(c, "/me", 2) == [502, 502]
    # faulted calls are recorded with their status
    assert [x["status"] for x in sb.stats()["calls"][-2:]] == [502, 502]


def test_status_rate_is_deterministic_by_seed(main1):
    patterns = []
    for seed in (5, 5, 6):
        with Sandbox(seed=seed, faults="status=500@rate=0.3", budget_per_hour=10 ** 6) as sb:
            c = Client(sb)
            patterns.append(statuses(c, "/" + sb.accounts[0], 60))
    assert patterns[0] == patterns[1] and patterns[0] != patterns[2]
    n = patterns[0].count(500)
    assert 6 <= n <= 35


def test_path_and_method_filters(c, sb, main1):
    sb.set_faults("status=503@path=/media,method=GET")
    assert c.get("/me").status_code == 200
    assert c.get("/%s/media" % main1).status_code == 503
    assert c.get("/%s/stories" % main1).status_code == 200
    sb.set_faults("status=503,path=*/insights")
    assert c.get("/%s/media" % main1).status_code == 200
    assert c.get("/%s/insights" % main1, metric="reach", period="day").status_code == 503


def test_reset_and_reset_after_post(c, sb, main1):
    sb.set_faults("reset@nth=2")
    assert c.get("/me").status_code == 200
    with pytest.raises(requests.ConnectionError):
        c.get("/me")
    assert c.get("/me").status_code == 200
    m = c.ok("/%s/media" % main1, limit=50, fields="id,is_comment_enabled")["data"]
    m = next(x for x in m if x["is_comment_enabled"])
    sb.set_faults("reset_after@nth=1,method=POST")
    with pytest.raises(requests.ConnectionError):
        c.post("/%s/comments" % m["id"], message="did this land?")
    w = sb.writes()
    assert w[-1]["action"] == "comment.create" and w[-1]["ids"]["text"] == "did this land?"
    texts = [x["text"] for x in c.ok("/%s/comments" % m["id"], limit=5)["data"]]
    assert "did this land?" in texts


def test_reset_by_rate(c, sb):
    sb.set_faults("reset@rate=0.5")
    outcomes = []
    for _ in range(20):
        try:
            outcomes.append(requests.get(sb.url + "/v22.0/me", params={"access_token": c.token}).status_code)
        except requests.ConnectionError:
            outcomes.append("reset")
    assert 3 <= outcomes.count("reset") <= 17 and 200 in outcomes


def test_slow_body_past_timeout(c, sb, main1):
    sb.set_faults("slow=800ms@nth=1")
    with pytest.raises(requests.exceptions.RequestException):  # read timeout while the body stalls
        requests.get(sb.url + "/v22.0/" + main1, params={"access_token": c.token}, timeout=0.25)
    # without a timeout the body arrives complete
    sb.set_faults("slow=300ms@nth=1")
    r = requests.get(sb.url + "/v22.0/" + main1, params={"access_token": c.token})
    assert r.json()["id"] == main1


def test_malformed_json(c, sb, main1):
    sb.set_faults("malformed@nth=1")
    r = c.get("/%s/media" % main1)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        json.loads(r.text)
    assert c.get("/%s/media" % main1).json()["data"]


def test_throttle_fault_codes(c, sb, main1):
    for code in (4, 17, 32, 613, 80002):
        sb.set_faults("throttle=%d@nth=2" % code)
        r = [c.get("/" + main1) for _ in range(3)]
        assert [x.status_code for x in r] == [200, 400, 200]
        assert r[1].json()["error"]["code"] == code


def test_expire_token_mid_scan(c, sb, main1):
    sb.set_faults("expire_token@nth=3")
    url = "/%s/media" % main1
    assert c.get(url, limit=5).status_code == 200
    assert c.get(url, limit=5).status_code == 200
    c.err(c.get(url, limit=5), 190, 463)
    c.err(c.get(url, limit=5), 190, 463)   # stays expired
    other = sb.mint_token("user_long")
    assert c.get(url, token=other).status_code == 200


def test_latency(c, sb, main1):
    sb.set_faults("latency=300ms@path=/media")
    assert c.get("/" + main1).status_code == 200
    t = time.monotonic()
    c.get("/%s/media" % main1)
    assert time.monotonic() - t >= 0.3  # lower bound only


def test_spec_parsing_and_control_endpoint(sb, c, main1):
    for bad in ("bogus", "status=404", "throttle=5", "status=503@nth=x", "reset,foo=1", "latency=abc"):
        with pytest.raises((FaultSpecError, ValueError)):
            sb.set_faults(bad)
    r = requests.post(sb.url + "/__sandbox/faults", json={"rules": [{"kind": "status", "value": 503, "nth": 1}]})
    assert r.status_code == 200 and r.json()["rules"][0]["kind"] == "status"
    assert c.get("/me").status_code == 503
    got = requests.get(sb.url + "/__sandbox/faults").json()["rules"][0]
    assert got["seen"] == 1 and got["fired"] == 1
    r = requests.post(sb.url + "/__sandbox/faults", json={"spec": "throttle=613@nth=1"})
    assert c.get("/me").json()["error"]["code"] == 613
    assert requests.post(sb.url + "/__sandbox/faults", json={"rules": [{"kind": "nope"}]}).status_code == 400
    requests.post(sb.url + "/__sandbox/faults", json=None)
    assert requests.get(sb.url + "/__sandbox/faults").json() == {"rules": []}
    assert c.get("/me").status_code == 200
    with Sandbox(faults="status=503@nth=1;latency=10ms") as sb2:
        assert requests.get(sb2.url + "/v22.0/me", params={"access_token": sb2.user_token()}).status_code == 503
