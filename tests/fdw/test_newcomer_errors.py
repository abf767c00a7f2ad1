"""Errors a newcomer meets, each saying what is wrong and what to do
(issue 16): a BusinessAccountId the token does not see, a Facebook Page id
given as BusinessAccountId, an expired token with InitiateOAuth=OFF, and a
control-column value the API does not accept."""

import psycopg
import pytest
import requests

from ig_fdw.sandbox import Sandbox
from tests.conftest import remember_secret

from .conftest import calls, create_server


def _error(conn, sql):
    with pytest.raises(psycopg.Error) as ei:
        conn.execute(sql)
    return ei.value


def _server(conn, sb, business_account):
    create_server(conn, sb, business_account=business_account)
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile, media, account_insights) "
                 "FROM SERVER instagram INTO ig")


def _linked_page(sb):
    """(page id, page name, ig id, username) of a Page linked to an Instagram business account."""
    body = requests.get("%s/v22.0/me/accounts" % sb.url, timeout=10, params={
        "fields": "id,name,instagram_business_account{id,username}", "access_token": sb.user_token()}).json()
    page = next(p for p in body["data"] if p.get("instagram_business_account"))
    ig = page["instagram_business_account"]
    return page["id"], page["name"], ig["id"], ig["username"]


@pytest.mark.parametrize("table", ["instagram_business_profile", "media"])
def test_wrong_business_account_id_lists_the_accounts(conn, sandbox, table):
    _server(conn, sandbox, "17841400000000001")   # no such account
    err = _error(conn, "SELECT * FROM ig.%s" % table)
    text = err.diag.message_primary
    assert err.sqlstate == "22023"
    assert "BusinessAccountId 17841400000000001 is not an Instagram business account this token can see" in text
    for acct in sandbox.accounts[:2]:
        assert acct in text, text
    assert "SET BusinessAccountId" in err.diag.message_hint


def test_right_business_account_costs_no_extra_call(conn, sandbox):
    _server(conn, sandbox, sandbox.accounts[0])
    sandbox.reset_stats()
    assert conn.execute("SELECT id FROM ig.instagram_business_profile").fetchone()[0] == sandbox.accounts[0]
    assert calls(sandbox) == 1
    # an id in WHERE that does not exist is no row, as for any id filter
    assert conn.execute("SELECT id FROM ig.instagram_business_profile WHERE business_account_id = "
                        "'17841400000000001'").fetchall() == []


@pytest.mark.parametrize("table", ["instagram_business_profile", "media"])
def test_page_id_as_business_account_names_the_linked_account(conn, sandbox, table):
    page_id, page_name, ig_id, username = _linked_page(sandbox)
    _server(conn, sandbox, page_id)
    err = _error(conn, "SELECT * FROM ig.%s" % table)
    text = err.diag.message_primary
    assert "BusinessAccountId %s is the id of the Facebook Page \"%s\"" % (page_id, page_name) in text, text
    assert "%s (@%s)" % (ig_id, username) in text
    assert "SET BusinessAccountId '%s'" % ig_id in err.diag.message_hint
    assert "remove it from the query" not in (err.diag.message_hint or "")


def test_invalid_control_value_is_refused_at_plan_time(conn, sandbox):
    _server(conn, sandbox, sandbox.accounts[0])
    sandbox.reset_stats()
    for sql in ("SELECT * FROM ig.account_insights WHERE period = 'daily'",
                "EXPLAIN SELECT * FROM ig.account_insights WHERE period = 'daily'"):
        err = _error(conn, sql)
        assert err.sqlstate == "22023"
        assert "invalid value for column period of table account_insights: 'daily'" in err.diag.message_primary
        assert "Perhaps you meant 'day'" in err.diag.message_hint and "days_28" in err.diag.message_hint
    err = _error(conn, "SELECT * FROM ig.account_insights WHERE metric_type = 'totals'")
    assert "'totals'" in err.diag.message_primary and "time_series" in err.diag.message_hint
    assert calls(sandbox) == 0 and not conn.notices   # nothing sent, no NOTICE
    assert conn.execute("SELECT count(*) FROM ig.account_insights WHERE period = 'day'").fetchone()[0] > 0


def test_expired_token_with_initiate_oauth_off(connect):
    with Sandbox(seed=1, port=0, budget_per_hour=100000) as sb:   # its clock moves: not the session's
        conn = connect()
        token = sb.mint_token(kind="user_long", expires_in=3600)
        remember_secret(token)
        remember_secret(sb.app_secret)
        conn.execute("CREATE SERVER instagram FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper "
                     "'ig_fdw.InstagramFDW', graph_url '%s', BusinessAccountId '%s')" % (sb.url, sb.accounts[0]))
        conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
                     "OAuthAccessToken '%s')" % token)
        conn.execute("CREATE SCHEMA ig")
        conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile) FROM SERVER "
                     "instagram INTO ig")
        sb.advance_clock(7200)
        err = _error(conn, "SELECT * FROM ig.instagram_business_profile")
        text, hint = err.diag.message_primary, err.diag.message_hint
        assert err.sqlstate == "28000"
        assert "InitiateOAuth=OFF" in text and "Session has expired on" in text, text
        assert "SET OAuthAccessToken" in hint and "InitiateOAuth 'REFRESH'" in hint and \
            "OAuthSettingsLocation" in hint, hint
        assert "ig-fdw exchange" not in hint and "InitiateOAuth=OFF" not in hint
        assert token not in text + hint


def test_create_server_whose_wrapper_cannot_be_imported_hints_pythonpath(conn):
    """A server started without PYTHONPATH: CREATE SERVER only warns; the hint says where PYTHONPATH goes."""
    hints = []
    conn.add_notice_handler(lambda d: hints.append((d.severity_nonlocalized, d.message_hint)))
    conn.execute("CREATE SERVER nowhere FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'igfdw_no_such_pkg.Fdw')")
    warning = [h for sev, h in hints if sev == "WARNING"]
    assert warning and "PYTHONPATH" in warning[0] and "/etc/postgresql/<version>/<cluster>/environment" in \
        warning[0], hints
