"""The encrypted settings file: format, permissions, errors, atomicity."""

import multiprocessing
import os
import stat

import pytest

from ig_fdw.auth import SettingsFile, SettingsFileError, TokenProvider
from ig_fdw.auth.settings import MAGIC, TEMP_PREFIX, key_material
from ig_fdw.options import resolve

from .helpers import worker_killed_write
from .leaks import err_text, secret

SECRET = "the-app-secret-0123456789abcdef"
TOKEN = "EAAoldTokenValue0123456789abcdefghij"


@pytest.fixture
def written(tmp_path):
    secret(SECRET, TOKEN)
    path = str(tmp_path / "d" / "OAuthSettings.txt")
    sf = SettingsFile(path, SECRET.encode(), "client_secret", "1234")
    sf.write({"access_token": TOKEN, "expires_at": 0})
    return path, sf


def _bytes(path):
    with open(path, "rb") as f:
        return f.read()


def test_round_trip_format_and_permissions(written):
    path, sf = written
    assert sf.read()["access_token"] == TOKEN
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    raw = _bytes(path)
    lines = raw.split(b"\n")
    assert lines[0] == (MAGIC + " 1").encode()
    assert b'"aead":"AES-256-GCM"' in lines[1] and b'"name":"scrypt"' in lines[1]
    assert TOKEN.encode() not in raw and SECRET.encode() not in raw
    # rewrite keeps the salt, changes the nonce, keeps 0600
    salt = lines[1].split(b'"salt":"')[1].split(b'"')[0]
    sf.write({"access_token": TOKEN + "2", "expires_at": 0})
    raw2 = _bytes(path)
    assert salt in raw2.split(b"\n")[1] and raw2.split(b"\n")[1] != lines[1]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(TEMP_PREFIX)]


def test_wrong_secret_is_a_clear_error_and_the_file_is_untouched(written):
    path, _ = written
    before = _bytes(path)
    other = SettingsFile(path, b"another-secret-value-xyz", "client_secret", "1234")
    with pytest.raises(SettingsFileError) as ei:
        other.read()
    text = err_text(ei.value)
    assert "cannot be decrypted" in text and path in text
    assert "never overwrites or deletes it" in ei.value.hint
    with pytest.raises(SettingsFileError):
        other.write({"access_token": "EAAwouldOverwrite0123456789abcdef"})
    assert _bytes(path) == before
    # a different app is named in the message
    with pytest.raises(SettingsFileError) as ei:
        SettingsFile(path, b"another-secret-value-xyz", "client_secret", "9999").read()
    assert "belongs to app 1234" in str(ei.value)
    assert _bytes(path) == before


@pytest.mark.parametrize("damage", ["ciphertext", "header", "truncated", "empty", "garbage"])
def test_tampered_or_truncated_file_is_a_clear_error_and_unchanged(written, damage):
    path, sf = written
    raw = bytearray(_bytes(path))
    if damage == "ciphertext":
        i = raw.rindex(b"\n", 0, len(raw) - 1) + 10
        raw[i] = ord("A") if raw[i] != ord("A") else ord("B")
    elif damage == "header":
        raw = bytearray(bytes(raw).replace(b'"n":32768', b'"n":16384'))
    elif damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "empty":
        raw = bytearray()
    else:
        raw = bytearray(b"access_token=hello\n")
    with open(path, "wb") as f:
        f.write(raw)
    with pytest.raises(SettingsFileError) as ei:
        sf.read()
    err_text(ei.value)
    assert ei.value.sqlstate == "28000"
    with pytest.raises(SettingsFileError):
        sf.write({"access_token": "EAAnew0123456789abcdefghijk"})
    assert _bytes(path) == bytes(raw)


def test_provider_reports_a_tampered_file_and_never_rewrites_it(tmp_path):
    secret(SECRET, TOKEN)
    path = str(tmp_path / "OAuthSettings.txt")
    opts = resolve({"oauthclientid": "1234", "oauthclientsecret": SECRET, "oauthsettingslocation": path,
                    "oauthaccesstoken": "EAAseedToken0123456789abcdefgh"})
    with open(path, "w") as f:
        f.write("IGFDW-OAUTH-SETTINGS 1\n{}\nAAAA\n")
    before = _bytes(path)
    with pytest.raises(SettingsFileError):
        TokenProvider(opts).token()
    assert _bytes(path) == before


def test_replace_failing_leaves_the_previous_file(written, monkeypatch):
    path, sf = written
    before = _bytes(path)

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        sf.write({"access_token": "EAAnever0123456789abcdefgh"})
    monkeypatch.undo()
    assert _bytes(path) == before and sf.read()["access_token"] == TOKEN
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(TEMP_PREFIX)]


def test_process_killed_between_write_and_rename_leaves_the_previous_file(written):
    path, sf = written
    before = _bytes(path)
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=worker_killed_write, args=(path, SECRET, "1234"))
    p.start()
    p.join(60)
    assert p.exitcode == -9  # SIGKILL, before os.replace
    assert _bytes(path) == before
    assert sf.read()["access_token"] == TOKEN
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(TEMP_PREFIX)]
    assert leftovers, "the killed writer left its temp file"
    sf.write({"access_token": TOKEN, "expires_at": 0})  # the next writer (under the lock) cleans up
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(TEMP_PREFIX)]


def test_explicit_key_and_key_file(tmp_path):
    keyfile = tmp_path / "key"
    keyfile.write_text("a-long-random-key-from-a-file\n")
    o1 = resolve({"oauthsettingskeyfile": str(keyfile), "oauthclientsecret": "s1-abcdefgh"})
    assert key_material(o1) == ("key_file", b"a-long-random-key-from-a-file")
    o2 = resolve({"oauthsettingskey": "passphrase-123456", "oauthclientsecret": "s1-abcdefgh"})
    assert key_material(o2) == ("key", b"passphrase-123456")
    assert key_material(resolve({"oauthclientsecret": "s1-abcdefgh"})) == ("client_secret", b"s1-abcdefgh")
    assert key_material(resolve({})) == (None, None)
    path = str(tmp_path / "f")
    SettingsFile(path, b"a-long-random-key-from-a-file", "key_file").write({"access_token": "EAAx0123456789abc"})
    with pytest.raises(SettingsFileError) as ei:
        SettingsFile(path, b"s1-abcdefgh", "client_secret").read()
    assert "written with the key from key_file" in str(ei.value)
    with pytest.raises(SettingsFileError) as ei:
        key_material(resolve({"oauthsettingskeyfile": str(tmp_path / "missing")}))
    assert ei.value.sqlstate == "58030"


def test_key_sources_are_recorded_and_found_by_later_connections(tmp_path):
    """The header names where the key is, so that a connection giving nothing but the location opens it."""
    from ig_fdw.auth.settings import SettingsKeys, describe
    secret(TOKEN)
    # default: a random key in <file>.key, 0600; nothing else needed to read it
    path = str(tmp_path / "a" / "OAuthSettings.txt")
    SettingsFile(path, SettingsKeys(client_secret="s1-abcdefgh")).write({"access_token": TOKEN})
    assert stat.S_IMODE(os.stat(path + ".key").st_mode) == 0o600
    assert describe(path)["key_source"] == "key_file_beside" and describe(path)["key_file"] == path + ".key"
    later = SettingsFile(path, SettingsKeys())
    assert later.read()["access_token"] == TOKEN
    key_before = open(path + ".key", "rb").read()
    later.write({"access_token": TOKEN + "x"})           # a rewrite keeps the key file
    assert open(path + ".key", "rb").read() == key_before
    assert SettingsFile(path, SettingsKeys()).read()["access_token"] == TOKEN + "x"
    # OAuthSettingsKeyFile naming a file that does not exist yet: created 0600, nothing beside
    keyfile = str(tmp_path / "my.key")
    p2 = str(tmp_path / "b" / "OAuthSettings.txt")
    SettingsFile(p2, SettingsKeys(key_file=keyfile)).write({"access_token": TOKEN})
    assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600 and not os.path.exists(p2 + ".key")
    with pytest.raises(SettingsFileError) as ei:
        SettingsFile(p2, SettingsKeys()).read()
    text = err_text(ei.value)
    assert "OAuthSettingsKeyFile is not set" in text and "in the SERVER options" in ei.value.hint
    assert "USER MAPPING" not in ei.value.hint
    assert SettingsFile(p2, SettingsKeys(key_file=keyfile)).read()["access_token"] == TOKEN
    # OAuthSettingsKeySource=clientsecret: the secret, and only it, opens the file
    p3 = str(tmp_path / "c" / "OAuthSettings.txt")
    SettingsFile(p3, SettingsKeys(client_secret="s1-abcdefgh", from_secret=True)).write({"access_token": TOKEN})
    assert not os.path.exists(p3 + ".key")
    with pytest.raises(SettingsFileError) as ei:
        SettingsFile(p3, SettingsKeys()).read()
    assert "derived from OAuthClientSecret" in err_text(ei.value) and "USER MAPPING" in ei.value.hint
    assert SettingsFile(p3, SettingsKeys(client_secret="s1-abcdefgh")).read()["access_token"] == TOKEN
    with pytest.raises(SettingsFileError):
        SettingsFile(p3, SettingsKeys(client_secret="another-secret-xyz")).read()


def test_option_key_source_clientsecret(tmp_path):
    o = resolve({"oauthsettingskeysource": "ClientSecret", "oauthclientsecret": "s1-abcdefgh"})
    assert o.oauth_settings_key_source == "clientsecret"
    with pytest.raises(Exception) as ei:
        resolve({"oauthsettingskeysource": "plaintext"})
    assert "keyfile, clientsecret" in str(ei.value.hint)
