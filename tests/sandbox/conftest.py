import os
import sys

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from ig_fdw.sandbox import Sandbox  # noqa: E402


class Client:
    """Tiny helper around requests for the tests."""

    def __init__(self, sb, version="v22.0"):
        self.sb = sb
        self.s = requests.Session()
        self.base = "%s/%s" % (sb.url, version)
        self.token = sb.user_token()

    def get(self, path, token=None, **params):
        if token is not False:
            params.setdefault("access_token", token or self.token)
        return self.s.get(self.base + path, params=params, timeout=10)

    def post(self, path, token=None, **data):
        if token is not False:
            data.setdefault("access_token", token or self.token)
        return self.s.post(self.base + path, data=data, timeout=10)

    def delete(self, path, token=None, **params):
        if token is not False:
            params.setdefault("access_token", token or self.token)
        return self.s.delete(self.base + path, params=params, timeout=10)

    def ok(self, path, **params):
        r = self.get(path, **params)
        assert r.status_code == 200, r.text
        return r.json()

    def err(self, r, code, subcode=None, status=400):
        assert r.status_code == status, r.text
        e = r.json()["error"]
        assert e["code"] == code, e
        if subcode is not None:
            assert e.get("error_subcode") == subcode, e
        assert set(e) >= {"message", "type", "code", "fbtrace_id"}
        return e


@pytest.fixture
def sb():
    with Sandbox(seed=1, budget_per_hour=100000) as s:
        yield s


@pytest.fixture
def c(sb):
    return Client(sb)


@pytest.fixture
def main1(sb):
    return sb.accounts[0]


def first_media(c, acct, pred, fields="id,media_type,media_product_type,timestamp,comments_count,is_comment_enabled"):
    """The first media of the account (newest first) matching pred, or None."""
    after = None
    while True:
        params = {"limit": 100, "fields": fields}
        if after:
            params["after"] = after
        page = c.ok("/%s/media" % acct, **params)
        for m in page["data"]:
            if pred(m):
                return m
        if "next" not in page["paging"]:
            return None
        after = page["paging"]["cursors"]["after"]
