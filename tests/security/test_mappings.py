"""Credentials belong to a user mapping (issue 11, attacks 3 and 4).

The documented shared setup: the server keeps the token in a server-level
settings file (OAuthSettingsLocation + OAuthSettingsKeyFile), the
administrator's user mapping holds the credentials that created it.  Other
roles have USAGE on the server; they try to use or replace that token."""

import os
import uuid

import psycopg
import pytest

from tests.conftest import remember_secret
from tests.security.conftest import reader_grants, sandbox_calls


@pytest.fixture
def shared(cluster, conn, sandbox):
    """A server with a settings file and a key file; the administrator's
    (postgres's) mapping creates the file on its first query."""
    sb = sandbox
    tag = uuid.uuid4().hex[:8]
    key_path = os.path.join(cluster.data, "ig_fdw_key_%s.txt" % tag)
    conn.execute("COPY (SELECT 'key-%s-passphrase') TO '%s'" % (tag, key_path))
    conn.execute("CREATE SERVER igshared FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW', "
                 "graph_url '%s', OAuthClientId '%s', BusinessAccountId '%s', OAuthSettingsLocation "
                 "'ig_fdw_shared_%s/OAuthSettings.txt', OAuthSettingsKeyFile '%s')"
                 % (sb.url, sb.app_id, sb.accounts[0], tag, key_path))
    remember_secret(sb.user_token())
    remember_secret(sb.app_secret)
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared OPTIONS (OAuthClientSecret '%s', "
                 "OAuthAccessToken '%s')" % (sb.app_secret, sb.user_token()))
    conn.execute("CREATE SCHEMA ig")
    conn.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (instagram_business_profile, media) "
                 "FROM SERVER igshared INTO ig")
    assert conn.execute("SELECT count(*) FROM ig.instagram_business_profile").fetchone() == (1,)
    conn.sandbox = sb
    conn.admin_token = sb.user_token()
    return conn


def bob(roles, grants=()):
    role = roles.make("bob", reader_grants() + ("GRANT USAGE ON FOREIGN SERVER igshared TO %(role)s",) +
                      tuple(grants))
    c = roles.connect(role)
    c.role = role
    return c


def tokens_seen(sb):
    return dict(sb.stats()["by_token"])


def test_usage_and_an_empty_mapping_gets_nothing(shared, roles):
    sb = shared.sandbox
    b = bob(roles)
    b.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared")
    sb.reset_stats()
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification) as info:
        b.execute("SELECT username FROM ig.instagram_business_profile")
    assert "holds no ig_fdw credentials" in str(info.value)
    assert "CREATE USER MAPPING FOR CURRENT_USER" in info.value.diag.message_hint
    assert sandbox_calls(sb) == []


def test_select_only_without_any_mapping_gets_nothing(shared, roles):
    """No mapping of his own and no PUBLIC mapping: the administrator's is not his."""
    sb = shared.sandbox
    role = roles.make("reader", reader_grants())
    r = roles.connect(role)
    sb.reset_stats()
    with pytest.raises(psycopg.Error) as info:
        r.execute("SELECT username FROM ig.instagram_business_profile")
    assert info.value.sqlstate in ("28000", "42704")     # ours, or PostgreSQL's "user mapping not found"
    assert sandbox_calls(sb) == []


def test_own_token_never_replaces_the_administrators_file(shared, roles):
    """Attack 4: bob adds his own token to his mapping and runs one SELECT."""
    sb = shared.sandbox
    b = bob(roles)
    bobs_token = sb.mint_token(kind="user_long")
    remember_secret(bobs_token)
    b.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared")
    b.execute("ALTER USER MAPPING FOR CURRENT_USER SERVER igshared OPTIONS (ADD oauthaccesstoken '%s')"
              % bobs_token)
    sb.reset_stats()
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification, match="belongs to another user mapping"):
        b.execute("SELECT username FROM ig.instagram_business_profile")
    assert sandbox_calls(sb) == []
    # the administrator still reads with the file's token: it was not replaced by bob's
    sb.reset_stats()
    assert shared.execute("SELECT count(*) FROM ig.instagram_business_profile").fetchone() == (1,)
    from ig_fdw.sandbox.tokens import token_hash
    assert token_hash(bobs_token) not in tokens_seen(sb)
    assert token_hash(shared.admin_token) in tokens_seen(sb)


def test_own_app_secret_does_not_open_the_file_either(shared, roles):
    """bob brings another secret and a verifier: still not the file's owner."""
    sb = shared.sandbox
    b = bob(roles)
    b.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared OPTIONS (OAuthClientSecret 'not-the-secret', "
              "OAuthVerifier 'AQxyz')")
    sb.reset_stats()
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification, match="another user mapping"):
        b.execute("SELECT username FROM ig.instagram_business_profile")
    assert sandbox_calls(sb) == []


def test_own_token_with_initiateoauth_off_is_his_own_business(shared, roles):
    """What bob may do: use his own token as given (no file involved)."""
    sb = shared.sandbox
    b = bob(roles)
    bobs_token = sb.mint_token(kind="user_long")
    remember_secret(bobs_token)
    b.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared OPTIONS (InitiateOAuth 'OFF', "
              "OAuthAccessToken '%s')" % bobs_token)
    sb.reset_stats()
    assert b.execute("SELECT count(*) FROM ig.instagram_business_profile").fetchone() == (1,)
    from ig_fdw.sandbox.tokens import token_hash
    assert set(tokens_seen(sb)) == {token_hash(bobs_token)}


def test_public_mapping_of_the_administrator_is_shared(shared, roles):
    """The administrator shares the connection on purpose: PUBLIC's mapping
    with the same app secret uses the file (and does not re-seed it)."""
    sb = shared.sandbox
    shared.execute("CREATE USER MAPPING FOR PUBLIC SERVER igshared OPTIONS (OAuthClientSecret '%s')" % sb.app_secret)
    role = roles.make("reader", reader_grants())
    r = roles.connect(role)
    sb.reset_stats()
    assert r.execute("SELECT count(*) FROM ig.instagram_business_profile").fetchone() == (1,)
    from ig_fdw.sandbox.tokens import token_hash
    assert set(tokens_seen(sb)) == {token_hash(shared.admin_token)}


def test_the_token_procedures_cannot_write_anothers_file(shared, roles):
    """GetOAuthAccessToken through bob's mapping would store his token in the file."""
    sb = shared.sandbox
    shared.execute("IMPORT FOREIGN SCHEMA instagram LIMIT TO (get_oauth_access_token) FROM SERVER igshared INTO ig")
    b = bob(roles, ("GRANT SELECT ON ig.get_oauth_access_token TO %(role)s",))
    b.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER igshared OPTIONS (OAuthClientSecret 'wrong-secret')")
    sb.reset_stats()
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification, match="another user mapping"):
        b.execute("SELECT * FROM ig.get_oauth_access_token WHERE verifier = 'AQ123'")
    assert sandbox_calls(sb) == []      # refused before the code was spent
    sb.reset_stats()
    assert shared.execute("SELECT count(*) FROM ig.instagram_business_profile").fetchone() == (1,)
    from ig_fdw.sandbox.tokens import token_hash
    assert set(tokens_seen(sb)) == {token_hash(shared.admin_token)}
