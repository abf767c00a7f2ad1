"""Fixtures for the Instagram tables: a sandbox and a server pointing at it,
created with the same SQL a user runs (only the host options differ)."""

import pytest

from ig_fdw.sandbox import Sandbox
from tests.conftest import remember_secret


@pytest.fixture(scope="session")
def sandbox():
    # A generous budget: fan-out queries walk thousands of media.
    with Sandbox(seed=1, port=0, budget_per_hour=1000000) as sb:
        yield sb


@pytest.fixture
def ig(conn, sandbox):
    """A database with the server, a user mapping and `ig.*` imported."""
    sandbox.reset_stats()
    create_server(conn, sandbox, business_account=sandbox.accounts[0])
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")
    conn.sandbox = sandbox
    return conn


def create_server(conn, sb, business_account=None, name="instagram", extra=""):
    opts = ["wrapper 'ig_fdw.InstagramFDW'", "graph_url '%s'" % sb.url,
            "dialog_url '%s/v22.0/dialog/oauth'" % sb.url, "OAuthClientId '%s'" % sb.app_id]
    if business_account:
        opts.append("BusinessAccountId '%s'" % business_account)
    if extra:
        opts.append(extra)
    conn.execute("CREATE SERVER %s FOREIGN DATA WRAPPER multicorn OPTIONS (%s)" % (name, ", ".join(opts)))
    remember_secret(sb.user_token())
    remember_secret(sb.app_secret)
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (InitiateOAuth 'OFF', "
                 "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (name, sb.user_token(), sb.app_secret))


def calls(sb):
    return sb.stats()["total"]
