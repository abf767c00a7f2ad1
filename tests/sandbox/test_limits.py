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
        # an Instagram call counts against the account's BUC, not the user's Platform budget
        assert app == {"call_count": 0, "total_cputime": 0, "total_time": 0}
        assert list(buc) == [a]
        assert buc[a][0]["type"] == "instagram" and buc[a][0]["call_count"] == 2
        assert buc[a][0]["estimated_time_to_regain_access"] == 0
        for _ in range(9):
            r = c.get("/" + a)
        app, buc = usage(r)
        assert app["call_count"] == 0 and buc[a][0]["call_count"] == 20
        r = c.get("/me")
        app, buc = usage(r)
        assert app["call_count"] == 2 and set(buc) == set(sb.accounts)  # no target: the user's accounts
        assert buc[a][0]["call_count"] == 20


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
        # BUC is per account: another account of the same user, and the user's
        # own (Platform) calls, are not blocked
        assert c.get("/" + sb.accounts[1]).status_code == 200
        assert c.get("/me").status_code == 200
        sb.advance_clock(3600)
        assert c.get("/" + a).status_code == 200


def test_instagram_calls_fall_under_buc_not_the_user_platform_limit():
    """Meta: if both Platform and BUC limits can apply, BUC applies.  A
    Facebook-Login user token spreading calls over its accounts goes past
    the per-user budget without a (#17); the block, when it comes, is BUC's
    and the header says how long to wait; waiting that long is enough."""
    with Sandbox(seed=1, budget_per_hour=20) as sb:
        c = Client(sb)
        for i in range(3 * 20):
            a = sb.accounts[i % 3]
            r = c.get("/" + a)
            assert r.status_code == 200, r.text
            buc = usage(r)[1][a][0]
            # the header never promises access the next call will not get
            assert (buc["estimated_time_to_regain_access"] > 0) == (buc["call_count"] >= 100)
        a = sb.accounts[0]
        r = c.get("/%s/media" % a, limit=1)
        e = c.err(r, 80002)
        assert e["is_transient"] is True
        buc = usage(r)[1][a][0]
        assert buc["call_count"] >= 100 and buc["estimated_time_to_regain_access"] > 0
        sb.advance_clock(buc["estimated_time_to_regain_access"] * 60)
        assert c.get("/%s/media" % a, limit=1).status_code == 200


def test_buc_regain_estimate_is_enough_while_the_window_rolls():
    """Calls spread over the hour: the estimate is when the oldest call that
    keeps the account over budget leaves the window, not a whole hour."""
    with Sandbox(seed=1, budget_per_hour=10) as sb:
        c = Client(sb)
        a = sb.accounts[0]
        for _ in range(10):
            assert c.get("/" + a).status_code == 200
            sb.advance_clock(300)                  # one call every 5 minutes
        r = c.get("/" + a)                         # 50 min after the first call: still inside the hour
        c.err(r, 80002)
        minutes = usage(r)[1][a][0]["estimated_time_to_regain_access"]
        assert 0 < minutes < 60
        sb.advance_clock(minutes * 60)
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


def test_ids_reads_of_instagram_objects_are_buc_calls():
    with Sandbox(seed=1, budget_per_hour=50) as sb:
        c = Client(sb)
        a, b = sb.accounts[:2]
        r = c.get("/", ids="%s,%s" % (a, b), fields="id")
        assert r.status_code == 200, r.text
        app, buc = usage(r)
        assert app["call_count"] == 0 and set(buc) == {a, b}
        assert buc[a][0]["call_count"] == 2 and buc[b][0]["call_count"] == 2
