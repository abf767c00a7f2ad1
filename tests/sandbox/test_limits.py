"""Usage headers and throttling codes (4, 17, 32, 80002), recovery on the sandbox clock."""

import json

from ig_fdw.sandbox import Sandbox
from conftest import Client


def usage(r):
    return json.loads(r.headers["X-App-Usage"]), json.loads(r.headers["X-Business-Use-Case-Usage"])


def test_usage_headers_percentages():
    with Sandbox(seed=1, budget_per_hour=50) as sb:
        c = Client(sb)
        a = sb.accounts[0]
        r = c.get("/" + a)
        app, buc = usage(r)
        assert app == {"call_count": 2, "total_cputime": 0, "total_time": 1}
        assert list(buc) == [a]
        assert buc[a][0]["type"] == "instagram" and buc[a][0]["call_count"] == 2
        assert buc[a][0]["estimated_time_to_regain_access"] == 0
        for _ in range(9):
            r = c.get("/" + a)
        app, buc = usage(r)
        assert app["call_count"] == 20 and buc[a][0]["call_count"] == 20
        r = c.get("/me")
        app, buc = usage(r)
        assert app["call_count"] == 22 and set(buc) == set(sb.accounts)  # no target: the user's accounts


def test_instagram_buc_throttle_80002_and_recovery():
    with Sandbox(seed=1, budget_per_hour=20) as sb:
        c = Client(sb)
        a = sb.accounts[0]
        for _ in range(20):
            assert c.get("/" + a).status_code == 200
        r = c.get("/" + a)
        e = c.err(r, 80002)
        assert e["is_transient"] is True
        app, buc = usage(r)
        assert buc[a][0]["call_count"] >= 100 and buc[a][0]["estimated_time_to_regain_access"] == 60
        # other account of the same user is not blocked by this account's BUC, but the user budget is
        assert c.get("/me").status_code == 400
        sb.advance_clock(3600)
        assert c.get("/" + a).status_code == 200


def test_user_throttle_17_page_32_app_4():
    with Sandbox(seed=1, budget_per_hour=10) as sb:
        c = Client(sb)
        for _ in range(10):
            assert c.get("/me").status_code == 200
        e = c.err(c.get("/me"), 17)
        assert e["message"] == "(#17) User request limit reached"
        ptok = sb.mint_token("page", user=sb.pages[0])
        for _ in range(10):
            r = c.get("/me", token=ptok)
            assert r.status_code == 200, r.text
        c.err(c.get("/me", token=ptok), 32)
        app_token = "%s|%s" % (sb.app_id, sb.app_secret)
        codes = [c.get("/debug_token", token=app_token, input_token=c.token).status_code for _ in range(30)]
        r = c.get("/debug_token", token=app_token, input_token=c.token)
        c.err(r, 4)
        assert codes.count(200) < 30


def test_batch_items_count_for_rate_limits():
    with Sandbox(seed=1, budget_per_hour=10) as sb:
        c = Client(sb)
        batch = [{"method": "GET", "relative_url": "me"}] * 12
        r = c.post("/", batch=json.dumps(batch))
        items = r.json()
        assert [i["code"] for i in items] == [200] * 10 + [400] * 2
        assert json.loads(items[-1]["body"])["error"]["code"] == 17
