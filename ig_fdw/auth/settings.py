"""The encrypted OAuth settings file (CData's OAuthSettingsLocation).

Format (text, three lines)::

    IGFDW-OAUTH-SETTINGS 1
    {"aead":"AES-256-GCM","client_id":"...","kdf":{"n":32768,"name":"scrypt","p":1,"r":8,"salt":"..."},
     "key_source":"client_secret","nonce":"..."}
    <base64 of the AES-256-GCM ciphertext+tag of the JSON state>

* Line 1 is the format and its version.  Line 2 is a compact JSON header
  (sorted keys, no secrets).  Lines 1-2, bytes as written, are the AEAD's
  associated data: changing a byte of the header (salt, KDF cost, client id)
  makes decryption fail just like changing the ciphertext.
* The key is scrypt(key material, salt of the file).  The key material is
  chosen when the file is created and named in the header (``key_source``),
  so that a later connection knows where to find it:

  - ``key_file_beside`` (the default): the content of ``<file>.key``, 32
    random bytes written 0600 beside the settings file.  A later connection
    needs nothing but OAuthSettingsLocation (CData's "later connections");
    to move the file to another machine, copy both files;
  - ``key_file``: the content of OAuthSettingsKeyFile (created the same way
    when it does not exist yet);
  - ``key``: OAuthSettingsKey;
  - ``client_secret``: OAuthClientSecret (OAuthSettingsKeySource=clientsecret):
    a copy of the file alone works on any machine configured with the same
    app secret (headless option 2).

  The salt is made when the file is created and kept across rewrites, and so
  is the key source; the nonce is new on every write.
* The file is 0600 in a 0700 directory.  Writes go to a temp file in the same
  directory (fsync), are renamed over the file and the directory is fsynced;
  a crash at any point leaves the previous file or the new one, never a mix.
* ``<file>.lock`` (a separate file, so renames never swap the locked inode)
  is taken with ``fcntl.flock``: shared to read is not needed (renames are
  atomic), exclusive around read-decide-write.  A file that cannot be
  decrypted is never overwritten nor deleted: writing raises instead.
"""

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ig_fdw.graph.redact import redact

from .errors import SettingsFileError

MAGIC = "IGFDW-OAUTH-SETTINGS"
FORMAT_VERSION = 1
KDF_N, KDF_R, KDF_P = 2 ** 15, 8, 1
MAX_KDF_N = 2 ** 20
TEMP_PREFIX = ".igfdw-settings-"

_KEY_CACHE = {}
_KEY_CACHE_LOCK = threading.Lock()
_THREAD_LOCKS = {}
_THREAD_LOCKS_LOCK = threading.Lock()


def _b64e(b):
    return base64.b64encode(b).decode("ascii")


def _b64d(s):
    return base64.b64decode(s.encode("ascii"), validate=True)


def key_material(opts):
    """(source name, bytes) of the settings key for ``opts``; (None, None) when there is none."""
    if getattr(opts, "oauth_settings_key_file", None):
        path = os.path.expanduser(opts.oauth_settings_key_file)
        try:
            with open(path, "rb") as f:
                data = f.read().strip()
        except OSError as e:
            raise SettingsFileError("cannot read the settings key file %s: %s" % (path, e.strerror),
                                    "Check OAuthSettingsKeyFile and the file's permissions.", sqlstate="58030")
        if not data:
            raise SettingsFileError("the settings key file %s is empty" % path)
        return "key_file", data
    if getattr(opts, "oauth_settings_key", None):
        return "key", opts.oauth_settings_key.encode("utf-8")
    if getattr(opts, "oauth_client_secret", None):
        return "client_secret", opts.oauth_client_secret.encode("utf-8")
    return None, None


BESIDE = "key_file_beside"
KEY_FILE_SUFFIX = ".key"
KEY_SOURCE_NAMES = {BESIDE: "the file <settings file>.key beside it", "key_file": "OAuthSettingsKeyFile",
                    "key": "OAuthSettingsKey", "client_secret": "OAuthClientSecret"}


def beside_key_path(settings_path):
    """The random key file kept beside a settings file (key source ``key_file_beside``)."""
    return settings_path + KEY_FILE_SUFFIX


def _read_key_file(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read().strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SettingsFileError("cannot read %s %s: %s" % (what, path, e.strerror),
                                "Check the file's owner and permissions (the server's OS user reads it; "
                                "mode 0600).", sqlstate="58030")
    if not data:
        raise SettingsFileError("%s %s is empty" % (what, path),
                                "Restore the key file, or move the settings file and the key away and "
                                "authorize again.")
    return data


def _create_key_file(path):
    """32 random bytes (base64) in a new 0600 file; an existing file is kept (another writer won)."""
    data = base64.b64encode(os.urandom(32))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as e:
        raise SettingsFileError("cannot create the settings key file %s: %s" % (path, e.strerror),
                                "Set OAuthSettingsLocation (or OAuthSettingsKeyFile) to a place the server's "
                                "OS user can write.", sqlstate="58030")
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
        os.write(fd, data + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return data


class SettingsKeys:
    """Where the key material of a settings file comes from (see the module doc).

    ``for_new`` picks the source of a new file (creating a random key file
    when that is the source); ``for_file`` finds the material of an existing
    file from the source its header names, so that a later connection with
    only OAuthSettingsLocation can open a file it did not create.
    ``fixed``: (source, material) used whatever the header says (tests, and
    callers that hold the key themselves).
    """

    def __init__(self, key_file=None, key=None, client_secret=None, from_secret=False, fixed=None):
        self.key_file = os.path.expanduser(key_file) if key_file else None
        self.key = key.encode("utf-8") if isinstance(key, str) else key
        self.client_secret = client_secret.encode("utf-8") if isinstance(client_secret, str) else client_secret
        self.from_secret = from_secret
        self.fixed = fixed

    @classmethod
    def from_options(cls, opts):
        return cls(getattr(opts, "oauth_settings_key_file", None), getattr(opts, "oauth_settings_key", None),
                   getattr(opts, "oauth_client_secret", None),
                   (getattr(opts, "oauth_settings_key_source", None) or "keyfile") == "clientsecret")

    def new_source(self):
        """The source a new file gets with these options (no file is created)."""
        if self.fixed:
            return self.fixed[0]
        if self.key_file:
            return "key_file"
        if self.key:
            return "key"
        if self.from_secret:
            return "client_secret"
        return BESIDE

    def for_new(self, settings_path):
        """(source, material) for a new settings file; creates the key file when that is the source."""
        source = self.new_source()
        if self.fixed:
            return self.fixed
        if source == "key":
            return source, self.key
        if source == "client_secret":
            if not self.client_secret:
                raise SettingsFileError(
                    "OAuthSettingsKeySource=clientsecret but OAuthClientSecret is not set",
                    "Put OAuthClientSecret in the USER MAPPING, or drop OAuthSettingsKeySource to keep the key "
                    "in a file beside the settings file.", path=settings_path)
            return source, self.client_secret
        path = self.key_file if source == "key_file" else beside_key_path(settings_path)
        what = "the settings key file (OAuthSettingsKeyFile)" if source == "key_file" else \
            "the settings key file"
        data = _read_key_file(path, what)
        if data is None:
            data = _create_key_file(path) or _read_key_file(path, what)
        return source, data

    def for_file(self, source, settings_path):
        """The material of an existing file whose header names ``source``; raises saying what is missing."""
        if self.fixed:
            return self.fixed[1]
        if source == BESIDE:
            path = beside_key_path(settings_path)
            data = _read_key_file(path, "the settings key file")
            if data is None:
                raise SettingsFileError(
                    "the key of the token settings file %s is missing: it is kept in %s" % (settings_path, path),
                    "Copy the key file along with the settings file (same directory, name <file>.key, mode "
                    "0600, owned by the server's OS user), or move the settings file away and authorize again.",
                    path=settings_path)
            return data
        if source == "key_file":
            if not self.key_file:
                raise SettingsFileError(
                    "the token settings file %s is encrypted with the key in an OAuthSettingsKeyFile, and "
                    "OAuthSettingsKeyFile is not set" % settings_path,
                    "Set OAuthSettingsKeyFile in the SERVER options (ALTER SERVER ... OPTIONS (ADD "
                    "OAuthSettingsKeyFile '/path/of/the/key')) or --connection of ig-fdw.", path=settings_path)
            data = _read_key_file(self.key_file, "the settings key file (OAuthSettingsKeyFile)")
            if data is None:
                raise SettingsFileError("the settings key file %s does not exist" % self.key_file,
                                        "Check OAuthSettingsKeyFile in the SERVER options.", path=settings_path,
                                        sqlstate="58030")
            return data
        if source == "key":
            if not self.key:
                raise SettingsFileError(
                    "the token settings file %s is encrypted with OAuthSettingsKey, which is not set"
                    % settings_path, "Set OAuthSettingsKey in the USER MAPPING.", path=settings_path)
            return self.key
        if source == "client_secret" or not source:
            if not self.client_secret:
                raise SettingsFileError(
                    "no key to decrypt the token settings file %s: it is encrypted with a key derived from "
                    "OAuthClientSecret" % settings_path,
                    "Set OAuthClientSecret in the USER MAPPING (or IG_FDW_OAUTHCLIENTSECRET for ig-fdw).",
                    path=settings_path)
            return self.client_secret
        raise SettingsFileError("the token settings file %s names an unknown key source (%s)"
                                % (settings_path, source), "It was written by a newer ig_fdw; upgrade.",
                                path=settings_path)


def _derive(material, salt, n, r, p):
    ck = (hashlib.sha256(material).digest(), salt, n, r, p)
    with _KEY_CACHE_LOCK:
        key = _KEY_CACHE.get(ck)
    if key is None:
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(material)
        with _KEY_CACHE_LOCK:
            _KEY_CACHE[ck] = key
    return key


class _PathLock:
    """Per-path in-process state: a re-entrant lock and the flock nesting depth.

    flock() owners are open file descriptions, so two fds of one process on
    the same lock file would deadlock each other: one flock per path per
    process, nested uses only count.
    """

    def __init__(self):
        self.rlock = threading.RLock()
        self.depth = 0


def _path_lock(path):
    with _THREAD_LOCKS_LOCK:
        lk = _THREAD_LOCKS.get(path)
        if lk is None:
            lk = _THREAD_LOCKS[path] = _PathLock()
        return lk


class SettingsFile:
    """One settings file.  ``keys``: a :class:`SettingsKeys`, or the key material itself (bytes, with
    ``key_source``), used whatever the header says."""

    def __init__(self, path, keys, key_source="client_secret", client_id=None):
        self.path = os.path.abspath(os.path.expanduser(path))
        if not isinstance(keys, SettingsKeys):
            keys = SettingsKeys(fixed=(key_source, keys)) if keys is not None else SettingsKeys()
        self.keys = keys
        self.key_source = keys.new_source()
        self.client_id = client_id
        self._current = None   # (source, material) of the file last read

    def __repr__(self):
        return "SettingsFile(%r)" % self.path

    def describe_key(self):
        """Where the key of the file last read came from (no secret), for doctor."""
        source = self._current[0] if self._current else self.key_source
        name = KEY_SOURCE_NAMES.get(source, source)
        return name.replace("<settings file>.key", beside_key_path(self.path)) if source == BESIDE else name

    @property
    def directory(self):
        return os.path.dirname(self.path)

    @property
    def lock_path(self):
        return self.path + ".lock"

    def exists(self):
        return os.path.exists(self.path)

    def stat_key(self):
        """(inode, size, mtime_ns) or None: changes whenever the file is replaced."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    # -- locking ---------------------------------------------------------
    @contextlib.contextmanager
    def lock(self):
        """Exclusive cross-process (flock) and cross-thread lock; re-entrant within a thread."""
        pl = _path_lock(self.path)
        with pl.rlock:
            if pl.depth:
                pl.depth += 1
                try:
                    yield
                finally:
                    pl.depth -= 1
                return
            self._ensure_dir()
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                pl.depth = 1
                try:
                    yield
                finally:
                    pl.depth = 0
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _ensure_dir(self):
        d = self.directory
        if not os.path.isdir(d):
            try:
                os.makedirs(d, mode=0o700, exist_ok=True)
            except OSError as e:
                raise SettingsFileError("cannot create the directory of the settings file %s: %s"
                                        % (d, e.strerror), "Set OAuthSettingsLocation to a writable place.",
                                        path=self.path, sqlstate="58030")

    # -- reading ---------------------------------------------------------
    def read(self):
        """The decrypted state (a dict), or None when the file does not exist."""
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SettingsFileError("cannot read the token settings file %s: %s" % (self.path, e.strerror),
                                    "Check its owner and permissions (it must be readable by the server's "
                                    "user, mode 0600).", path=self.path, sqlstate="58030")
        return self._decrypt(raw)

    def _corrupt(self, why):
        return SettingsFileError(
            "the token settings file %s cannot be decrypted: %s" % (self.path, why),
            "It was encrypted with another key (key file beside it, OAuthSettingsKeyFile, OAuthSettingsKey or "
            "OAuthClientSecret), or it was modified or truncated. ig_fdw never overwrites or deletes it: fix the key option, or move the "
            "file away and authorize again (ig-fdw login, or the GetOAuthAccessToken procedure).",
            path=self.path)

    def _decrypt(self, raw):
        lines = raw.split(b"\n")
        if len(lines) < 3 or lines[0] != ("%s %d" % (MAGIC, FORMAT_VERSION)).encode():
            if lines and lines[0].startswith(MAGIC.encode()):
                return self._fail_version(lines[0])
            raise self._corrupt("it is not an ig_fdw settings file or it is truncated")
        try:
            header = json.loads(lines[1].decode("utf-8"))
            kdf = header["kdf"]
            n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
            if kdf.get("name") != "scrypt" or header.get("aead") != "AES-256-GCM":
                raise ValueError
            if not (2 <= n <= MAX_KDF_N and 1 <= r <= 32 and 1 <= p <= 16):
                raise ValueError
            salt = _b64d(kdf["salt"])
            nonce = _b64d(header["nonce"])
            ct = _b64d(lines[2].decode("ascii").strip())
        except Exception:
            raise self._corrupt("its header or body is malformed (truncated or modified)") from None
        aad = lines[0] + b"\n" + lines[1]
        source = header.get("key_source")
        material = self.keys.for_file(source, self.path)
        key = _derive(material, salt, n, r, p)
        try:
            plain = AESGCM(key).decrypt(nonce, ct, aad)
        except InvalidTag:
            hint_src = header.get("key_source")
            why = "authentication failed (wrong key, or the file was modified)"
            if self.keys.fixed and hint_src and hint_src != self.key_source:
                why += "; it was written with the key from %s, this connection uses %s" % (
                    hint_src, self.key_source)
            elif hint_src:
                why += "; its key comes from %s (%s), which does not open it" % (
                    hint_src, KEY_SOURCE_NAMES.get(hint_src, hint_src))
            if header.get("client_id") and self.client_id and header["client_id"] != self.client_id:
                why += "; it belongs to app %s, this connection uses app %s" % (header["client_id"],
                                                                               self.client_id)
            raise self._corrupt(why) from None
        try:
            state = json.loads(plain.decode("utf-8"))
        except Exception:
            raise self._corrupt("its content is not valid") from None
        state["_salt"] = kdf["salt"]
        self._current = (self.keys.fixed[0] if self.keys.fixed else source, material)
        return state

    def _fail_version(self, first):
        raise SettingsFileError("the token settings file %s has an unsupported format (%s)"
                                % (self.path, first.decode("ascii", "replace")[:40]),
                                "It was written by a newer ig_fdw; upgrade, or move it away and authorize again.",
                                path=self.path)

    # -- writing ---------------------------------------------------------
    def write(self, state):
        """Atomically replace the file with ``state`` (a dict).  Call under :meth:`lock`.

        Refuses (SettingsFileError) to replace a file this key cannot decrypt.
        """
        with self.lock():
            salt_b64 = None
            current = self.read() if self.exists() else None  # raises if it cannot be decrypted: never overwrite
            if current is not None:
                salt_b64 = current.get("_salt")
                source, material = self._current   # a rewrite keeps the file's key
            else:
                source, material = self.keys.for_new(self.path)
            self._cleanup_temps()
            salt = _b64d(salt_b64) if salt_b64 else os.urandom(16)
            header = {"aead": "AES-256-GCM", "client_id": self.client_id,
                      "kdf": {"name": "scrypt", "n": KDF_N, "r": KDF_R, "p": KDF_P, "salt": _b64e(salt)},
                      "key_source": source, "nonce": _b64e(os.urandom(12))}
            line0 = ("%s %d" % (MAGIC, FORMAT_VERSION)).encode()
            line1 = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
            body = {k: v for k, v in state.items() if not k.startswith("_")}
            plain = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            key = _derive(material, salt, KDF_N, KDF_R, KDF_P)
            ct = AESGCM(key).encrypt(_b64d(header["nonce"]), plain, line0 + b"\n" + line1)
            data = line0 + b"\n" + line1 + b"\n" + _b64e(ct).encode() + b"\n"
            self._atomic_write(data)

    def _atomic_write(self, data):
        d = self.directory
        try:
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=d)  # mkstemp: mode 0600
        except OSError as e:
            raise SettingsFileError("cannot write the token settings file in %s: %s" % (d, e.strerror),
                                    "Set OAuthSettingsLocation to a writable place.", path=self.path,
                                    sqlstate="58030")
        try:
            try:
                os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def _cleanup_temps(self):
        """Remove temp files of writers that died (only ever called under the lock)."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.directory, name))


def describe(path):
    """Non-secret facts about a settings file (for status/doctor): mode, size, header."""
    out = {"path": path, "exists": os.path.exists(path)}
    if not out["exists"]:
        return out
    st = os.stat(path)
    out["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    out["size"] = st.st_size
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        out["format"] = lines[0].decode("ascii", "replace")[:40]
        hdr = json.loads(lines[1].decode("utf-8"))
        out["key_source"] = hdr.get("key_source")
        out["client_id"] = hdr.get("client_id")
        if hdr.get("key_source") == BESIDE:
            out["key_file"] = beside_key_path(path)
    except Exception:
        out["format"] = "unreadable"
    return {k: redact(v) if isinstance(v, str) else v for k, v in out.items()}
