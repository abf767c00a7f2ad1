"""The ownership rules of ig_fdw.auth.mapping on their own (the PostgreSQL
tests are in test_mappings.py; a file without owners cannot be made there
any more, since every write records them)."""

import pytest

from ig_fdw.auth import mapping
from ig_fdw.options import resolve


def opts(**kw):
    base = {"OAuthClientId": "1234"}
    base.update(kw)
    return resolve(base)


def test_no_credential_is_refused():
    with pytest.raises(mapping.MappingError) as info:
        mapping.require_credentials(opts())
    assert info.value.sqlstate == "28000" and "CREATE USER MAPPING" in info.value.hint
    mapping.require_credentials(opts(OAuthAccessToken="tok"))


def test_owners_decide_and_are_kept():
    admin = opts(OAuthClientSecret="s3cret", OAuthVerifier="AQ1")
    state = mapping.owned(admin, {"access_token": "x"})
    assert mapping.check_owner(admin, state, "/f") is False
    assert mapping.check_owner(opts(OAuthClientSecret="s3cret"), state, "/f") is False      # same app secret
    for other in (opts(OAuthAccessToken="bobs"), opts(OAuthClientSecret="other", OAuthVerifier="AQ2")):
        with pytest.raises(mapping.MappingError, match="another user mapping"):
            mapping.check_owner(other, state, "/f")
    assert mapping.owned(opts(OAuthAccessToken="bobs"), state)["owners"] == state["owners"]


def test_a_file_without_owners_is_adopted_only_with_a_key_credential():
    legacy = {"access_token": "x"}
    assert mapping.check_owner(opts(OAuthClientSecret="s3cret"), legacy, "/f") is True
    assert mapping.check_owner(opts(OAuthSettingsKey="k"), legacy, "/f") is True
    with pytest.raises(mapping.MappingError, match="records no owner"):
        mapping.check_owner(opts(OAuthAccessToken="bobs"), legacy, "/f")


def test_fingerprints_do_not_contain_the_secret():
    fp = mapping.fingerprints(opts(OAuthClientSecret="s3cret-value"))
    assert fp and all("s3cret" not in f for f in fp)
