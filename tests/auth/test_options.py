"""Connection properties: names, levels, values, defaults, connection strings, docs."""

import os

import pytest

from ig_fdw.options import (PROPERTIES, ConnectionOptions, OptionError, parse_connection_string,
                            properties_markdown, resolve, validate)

from .leaks import err_text, secret

SECRET_HINT = "put it in a USER MAPPING: pg_foreign_server.srvoptions is readable by every role"


def test_unknown_option_names_the_closest_valid_one():
    with pytest.raises(OptionError) as ei:
        validate("server", {"busnessaccountid": "1784"})
    assert ei.value.sqlstate == "HV00D"
    assert 'invalid option "busnessaccountid"' in str(ei.value)
    assert 'Perhaps you meant the option "BusinessAccountId"' in ei.value.hint
    with pytest.raises(OptionError) as ei:
        validate("user_mapping", {"oauthclientsecrte": "x"})
    assert "OAuthClientSecret" in ei.value.hint
    with pytest.raises(OptionError) as ei:
        resolve({"completely_unrelated": "1"})
    assert ei.value.sqlstate == "HV00D" and "Valid options" in ei.value.hint


def test_bad_enum_and_numbers():
    with pytest.raises(OptionError) as ei:
        validate("server", {"initiateoauth": "SOMETIMES"})
    assert ei.value.sqlstate == "22023"
    assert "OFF, GETANDREFRESH, REFRESH" in ei.value.hint
    with pytest.raises(OptionError) as ei:
        validate("server", {"login": "twitter"})
    assert "facebook, instagram" in ei.value.hint
    for name, value in [("timeout", "abc"), ("pagesize", "0"), ("timeout", "-1"), ("maxconcurrency", "1.5"),
                        ("businessaccountid", "abc"), ("graph_url", "ftp://x"), ("version", "latest")]:
        with pytest.raises(OptionError) as ei:
            validate("server", {name: value})
        assert ei.value.sqlstate == "22023", name


@pytest.mark.parametrize("name", ["OAuthClientSecret", "OAuthAccessToken", "OAuthVerifier", "OAuthSettingsKey"])
@pytest.mark.parametrize("level", ["server", "table"])
def test_secrets_refused_outside_user_mappings(name, level):
    value = "SuperSecretValue-%s-123456" % name
    secret(value)
    with pytest.raises(OptionError) as ei:
        validate(level, {name.lower(): value}, extra_keys=("table",))
    e = ei.value
    assert e.sqlstate == "HV00D"
    assert "is a secret" in e.message
    assert SECRET_HINT.lower() in e.hint.lower()
    text = err_text(e)
    assert value not in text
    validate("user_mapping", {name.lower(): value})  # fine there


def test_levels_and_extra_keys():
    validate("table", {"table": "media", "businessaccountid": "1784", "pagesize": "50"}, extra_keys=("table",))
    with pytest.raises(OptionError) as ei:
        validate("table", {"oauthclientid": "1"}, extra_keys=("table",))
    assert "SERVER or USER MAPPING" in ei.value.hint
    with pytest.raises(OptionError):
        validate("table", {"table": "media"})  # not declared as extra
    with pytest.raises(ValueError):
        validate("database", {})


def test_case_insensitive_names_and_values():
    o = resolve({"INITIATEOAUTH": "refresh", "OAuthClientId": "42", "LOGIN": "Instagram", "Version": "21"})
    assert o.initiate_oauth == "REFRESH" and o.oauth_client_id == "42" and o.login == "instagram"
    assert o.version == "v21.0"
    assert o.given("InitiateOAuth") and o.given("initiate_oauth") and not o.given("Scope")
    with pytest.raises(OptionError) as ei:
        resolve({"timeout": "5", "Timeout": "6"})
    assert "twice" in ei.value.message


def test_defaults():
    o = resolve({"oauthclientid": "1"})
    assert o.initiate_oauth == "GETANDREFRESH"
    assert o.version == "v22.0"
    assert o.callback_url == "http://localhost:33333"
    assert (o.timeout, o.pagesize, o.max_concurrency, o.rate_limit_max_wait, o.cache_ttl) == (60, 100, 4, 60, 0)
    assert o.login == "facebook" and o.graph_url == "https://graph.facebook.com"
    assert o.dialog == "https://www.facebook.com/v22.0/dialog/oauth"
    assert "instagram_basic" in o.scopes and "pages_show_list" in o.scopes
    ig = resolve({"login": "instagram"})
    assert ig.dialog == "https://www.instagram.com/oauth/authorize"
    assert ig.api_base == "https://graph.instagram.com" and ig.ig_api_url == "https://api.instagram.com"
    assert ig.scopes[0] == "instagram_business_basic"
    # a token alone: nothing to refresh with -> OFF
    assert resolve({"oauthaccesstoken": "EAAtoken0123456789abcdef"}).initiate_oauth == "OFF"
    assert resolve({"oauthaccesstoken": "EAAtoken0123456789abcdef", "oauthclientid": "1",
                    "oauthclientsecret": "sec-123456"}).initiate_oauth == "GETANDREFRESH"
    with pytest.raises(OptionError):
        resolve({"login": "instagram", "authenticateaspage": "true"})


def test_connection_options_are_immutable_and_never_show_secrets():
    sec, tok = "app-secret-abcdef123456", "EAAsecretToken0123456789abcdefXYZ"
    secret(sec, tok)
    o = resolve({"oauthclientid": "1", "oauthclientsecret": sec, "oauthaccesstoken": tok,
                 "businessaccountid": "1784"})
    for text in (str(o), repr(o), repr(o.as_dict())):
        assert sec not in text and tok not in text
        err_text(text)
    assert "business_account_id='1784'" in repr(o)
    assert sorted(o.secrets()) == sorted([sec, tok])
    with pytest.raises(AttributeError):
        o.timeout = 5
    o2 = o.replace(timeout=5)
    assert o2.timeout == 5 and o.timeout == 60
    assert isinstance(o2, ConnectionOptions)
    import pickle
    assert pickle.loads(pickle.dumps(o)) == o


def test_parse_connection_string():
    assert parse_connection_string("InitiateOAuth=GETANDREFRESH;BusinessAccountId=3218475") == {
        "InitiateOAuth": "GETANDREFRESH", "BusinessAccountId": "3218475"}
    got = parse_connection_string(' Scope = "a,b;c" ; CallbackURL=\'http://x/?a=1;b=2\';;'
                                  "OAuthSettingsLocation=\"C:\\\\dir with \"\"quotes\"\"\";Empty=;")
    assert got["Scope"] == "a,b;c"
    assert got["CallbackURL"] == "http://x/?a=1;b=2"
    assert got["OAuthSettingsLocation"] == 'C:\\\\dir with "quotes"'
    assert got["Empty"] == ""
    assert parse_connection_string("") == {}
    assert parse_connection_string("a=1=2")["a"] == "1=2"
    for bad in ("InitiateOAuth", "a=1;b", "a='unterminated", "=x", "a='x' y"):
        with pytest.raises(OptionError) as ei:
            parse_connection_string(bad)
        assert ei.value.sqlstate == "HV00A", bad
    # parsed names resolve case-insensitively
    o = resolve(parse_connection_string("initiateoauth=off;OAUTHACCESSTOKEN='EAAxyz0123456789abcdefgh'"))
    assert o.initiate_oauth == "OFF"


def test_settings_path():
    o = resolve({"oauthsettingslocation": "/tmp/x/"})
    assert o.settings_path() == "/tmp/x/OAuthSettings.txt"
    o = resolve({"oauthsettingslocation": "/tmp/x/file.txt"})
    assert o.settings_path("/other") == "/tmp/x/file.txt"
    assert resolve({}).settings_path("/data/ig_fdw/abc") == "/data/ig_fdw/abc/OAuthSettings.txt"


def test_every_property_has_a_doc_line_and_levels():
    for name, spec in PROPERTIES.items():
        assert spec.doc and spec.levels, name
        if spec.secret:
            assert spec.levels == ("user_mapping",), name


def test_docs_contain_the_generated_property_table():
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "oauth.md")
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    assert properties_markdown() in text, "docs/oauth.md is out of date: paste ig_fdw.options.properties_markdown()"


def test_malformed_connection_string_never_echoes_a_pasted_secret():
    tok = "EAApastedWithoutAName0123456789abcdef"
    secret(tok)
    with pytest.raises(OptionError) as ei:
        parse_connection_string("InitiateOAuth=OFF;" + tok)
    assert tok[:10] not in err_text(ei.value)
    with pytest.raises(OptionError) as ei:
        parse_connection_string("InitiateOAuth=OFF;Scope")
    assert '"Scope"' in str(ei.value)
    # a token without the means to refresh it or to encrypt the file: OFF
    assert resolve({"oauthaccesstoken": tok, "oauthclientid": "1"}).initiate_oauth == "OFF"
    assert resolve({"oauthaccesstoken": tok, "oauthclientid": "1",
                    "oauthclientsecret": "s-123456"}).initiate_oauth == "GETANDREFRESH"
