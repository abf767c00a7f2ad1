"""Fixtures for the write tests: their own sandbox (writes change its state),
a server pointing at it with `ig.*` imported, and direct Graph helpers used to
pick targets and to check results independently of the FDW."""

import pytest
import requests

from ig_fdw.sandbox import Sandbox
from tests.fdw.conftest import create_server


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox(seed=7, port=0, budget_per_hour=1000000) as sb:
        yield sb


@pytest.fixture
def ig(conn, sandbox):
    """A database with the server (main account), a user mapping and `ig.*`."""
    sandbox.set_faults(None)
    create_server(conn, sandbox, business_account=sandbox.accounts[0])
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")
    conn.sandbox = sandbox
    conn.graph = Graph(sandbox)
    yield conn
    sandbox.set_faults(None)


class Graph(object):
    """Plain HTTP to the sandbox (not through the FDW)."""

    def __init__(self, sb):
        self.sb = sb
        self.headers = {"Authorization": "Bearer " + sb.user_token()}

    def get(self, path, **params):
        r = requests.get("%s/v22.0/%s" % (self.sb.url, path.lstrip("/")), headers=self.headers, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path, **data):
        r = requests.post("%s/v22.0/%s" % (self.sb.url, path.lstrip("/")), headers=self.headers, data=data)
        assert r.status_code == 200, r.text
        return r.json()

    def own_username(self, acct):
        return self.get(acct, fields="username")["username"]

    def media(self, acct, pred, fields="id,comments_count,is_comment_enabled,media_product_type", skip=()):
        after = None
        while True:
            params = {"limit": 100, "fields": fields}
            if after:
                params["after"] = after
            page = self.get("%s/media" % acct, **params)
            for m in page["data"]:
                if m["id"] not in skip and pred(m):
                    return m
            after = page["paging"]["cursors"].get("after")
            if not page["paging"].get("next"):
                raise AssertionError("no media matches")

    def top_comments(self, media_id):
        return self.get("%s/comments" % media_id, fields="id,text,hidden,username,from{id}", limit=100)["data"]

    def others_comments(self, acct, n, skip=()):
        """n visible top-level comments by other users (on commentable media)."""
        own = self.own_username(acct)
        found = []
        seen = set(skip)
        while len(found) < n:
            m = self.media(acct, lambda m: m["is_comment_enabled"] and m["comments_count"] >= 3, skip=seen)
            seen.add(m["id"])
            for c in self.top_comments(m["id"]):
                if not c.get("hidden") and c.get("username") != own:
                    found.append(c)
                    if len(found) == n:
                        break
        return found


def log_mark(sb):
    return len(sb.writes())


def writes_after(sb, mark):
    return sb.writes()[mark:]
