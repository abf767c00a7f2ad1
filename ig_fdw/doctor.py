"""`ig-fdw doctor`: checks an installation in the order things go wrong, and
says what to do about each failure.

1. the runtime (or upstream multicorn2) is installed in PostgreSQL;
2. the Python PostgreSQL embeds can import ig_fdw, requests and cryptography;
3. the OAuth settings file is readable and decrypts (when one is used);
4. the token is valid, and which scopes it has;
5. the business account is reachable.

These run in this shell, with its Python and its files.  With a connection
string (``--dsn``, or libpq's PG* variables) the same checks are made by the
database server itself, through SQL (:func:`server_checks`,
``ig_fdw.server_check``): what the server's Python imports, which settings
file the server uses and whether it decrypts.  Checks 3-5 are one code in
both cases (``ig_fdw.server_check.connection_checks``).
"""

import json
import os
import subprocess
from dataclasses import dataclass

MARKER = b"ig_fdw-multicorn-runtime"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_runtime(pg_config="pg_config"):
    try:
        libdir = subprocess.run([pg_config, "--pkglibdir"], capture_output=True, text=True, check=True).stdout.strip()
        sharedir = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        return Check("runtime installed", False, "pg_config failed: %s" % e,
                     "Install postgresql-server-dev-15 (apt) or pass --pg-config /path/to/pg_config.")
    so = os.path.join(libdir, "multicorn.so")
    control = os.path.join(sharedir, "extension", "multicorn.control")
    if not (os.path.exists(so) and os.path.exists(control)):
        return Check("runtime installed", False, "no multicorn extension in %s" % libdir,
                     "Run `make -C pgext install` from the ig_fdw checkout (or install multicorn2), then "
                     "CREATE EXTENSION multicorn in your database.")
    with open(so, "rb") as f:
        ours = MARKER in f.read()
    return Check("runtime installed", True, "%s (%s)" % (so, "ig_fdw runtime" if ours else "upstream multicorn2"))


def check_python(python="/usr/bin/python3", pythonpath=None):
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    probe = "import ig_fdw, requests, cryptography; print(ig_fdw.__file__)"
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env, timeout=60, cwd="/")
    except OSError as e:
        return Check("server Python imports ig_fdw", False, "%s: %s" % (python, e),
                     "Pass --python with the interpreter PostgreSQL embeds (Debian: /usr/bin/python3).")
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["unknown error"])[-1]
        return Check("server Python imports ig_fdw", False, "%s: %s" % (python, last),
                     "Set PYTHONPATH in the server's environment (Debian: /etc/postgresql/15/main/environment) "
                     "to the ig_fdw checkout and its venv's site-packages, or install ig_fdw, requests and "
                     "cryptography into that Python; then restart PostgreSQL.")
    return Check("server Python imports ig_fdw", True, "%s imports %s" % (python, out.stdout.strip()))


def check_connection(opts, settings_dir=None):
    """Settings file, token and business account, checked in this shell: the same checks the server makes for
    ``--dsn`` (ig_fdw.server_check.connection_checks), on a connection built as the server builds one."""
    from ig_fdw import connection, server_check
    try:
        conn = connection.standalone(opts, settings_dir)
    except Exception as e:   # bad options: the message says which
        return [Check("options", False, getattr(e, "message", None) or str(e), getattr(e, "hint", "") or "")]
    try:
        return [Check(c["name"], c["ok"], c["detail"], c["fix"])
                for c in server_check.connection_checks(conn, local=True)]
    finally:
        conn.client.close()


def run(opts, pg_config="pg_config", python="/usr/bin/python3", pythonpath=None, settings_dir=None):
    """All checks, in order; later ones are skipped when an earlier one they need failed."""
    return [check_runtime(pg_config), check_python(python, pythonpath)] + check_connection(opts, settings_dir)


def render(checks):
    lines = []
    for c in checks:
        lines.append("[%s] %s: %s" % ("ok" if c.ok else "FAIL", c.name, c.detail))
        if not c.ok and c.fix:
            lines.append("       what to do: %s" % c.fix)
    return "\n".join(lines)


# ------------------------------------------------------------------ what the server sees (--dsn)
PG_ENV = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")
PYTHONPATH_FIX = ("The database server's Python cannot import ig_fdw: set PYTHONPATH in the server's environment "
                  "to the ig_fdw checkout and its venv's site-packages -- Debian: the cluster's environment file "
                  "/etc/postgresql/<version>/<cluster>/environment, read by systemd and pg_ctlcluster; plain "
                  "pg_ctl: export PYTHONPATH before pg_ctl start -- then restart PostgreSQL (docs/install.md).")


def wants_server(dsn, environ=None):
    """Check through SQL when a connection string or libpq's PG* variables say which server."""
    env = os.environ if environ is None else environ
    return bool(dsn) or any(env.get(v) for v in PG_ENV)


def _psql(sql, dsn=None, psql="psql"):
    """(returncode, stdout, stderr) of psql running ``sql`` (tuples only, unaligned, stop on error)."""
    cmd = [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    if dsn:
        cmd += ["-d", dsn]
    try:
        out = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=300)
    except OSError as e:
        return 127, "", "%s: %s" % (psql, e)
    return out.returncode, out.stdout, out.stderr


def _ident(name):
    return '"%s"' % name.replace('"', '""')


def _last_error(stderr):
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if "ERROR:" in line:
            return " ".join([line.split("ERROR:", 1)[1].strip()] + [l for l in lines[i + 1:i + 3]
                                                                      if l.startswith(("HINT:", "DETAIL:"))])
    return lines[-1] if lines else "unknown error"


def _ig_servers(dsn, psql):
    rc, out, err = _psql("SELECT s.srvname FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON "
                         "w.oid = s.srvfdw WHERE w.fdwname = 'multicorn' AND EXISTS (SELECT 1 FROM "
                         "unnest(s.srvoptions) o WHERE o LIKE 'wrapper=ig\\_fdw.%') ORDER BY 1;\n", dsn, psql)
    return rc, [l for l in out.splitlines() if l.strip()], err


def _runtime_check(dsn, psql):
    rc, out, err = _psql("SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'multicorn'), "
                         "'-') || ' ' || current_setting('server_version');\n", dsn, psql)
    if rc != 0:
        return Check("server reachable", False, _last_error(err),
                     "Check --dsn (a libpq connection string or URI) or the PG* variables (PGHOST, PGPORT, "
                     "PGDATABASE, PGUSER).")
    ext, _, version = out.strip().partition(" ")
    if ext == "-":
        return Check("runtime installed", False, "PostgreSQL %s: the multicorn extension is not created in this "
                     "database" % version, "Run CREATE EXTENSION multicorn in it (after `make -C pgext install`, "
                     "docs/install.md).")
    return Check("runtime installed", True, "PostgreSQL %s, extension multicorn %s" % (version, ext))


def server_checks(dsn=None, server=None, psql="psql"):
    """The checks of :func:`run`, made by the database server itself (see ig_fdw.server_check)."""
    runtime = _runtime_check(dsn, psql)
    if not runtime.ok:
        return [runtime]
    checks = [runtime]
    rc, servers, err = _ig_servers(dsn, psql)
    if server is None and len(servers) > 1:
        return checks + [Check("server chosen", False, "several ig_fdw servers: %s" % ", ".join(servers),
                               "Pass --server NAME.")]
    server = server or (servers[0] if servers else None)
    schema = "igfdw_doctor_%d" % os.getpid()
    lines = ["BEGIN;", "CREATE SCHEMA %s;" % schema]
    if server is None:   # no server yet: a throwaway one, to see what the server's Python imports
        server = schema
        lines += ["CREATE SERVER %s FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'ig_fdw.InstagramFDW');"
                  % schema, "CREATE USER MAPPING FOR CURRENT_USER SERVER %s;" % schema]
    lines += ["CREATE FOREIGN TABLE %s.probe (report text) SERVER %s OPTIONS (table 'ig_fdw_server_check');"
              % (schema, _ident(server)), "SELECT report FROM %s.probe;" % schema, "ROLLBACK;", ""]
    rc, out, err = _psql("\n".join(lines), dsn, psql)
    if rc != 0:
        return checks + [_probe_failure(server, _last_error(err))]
    report = next((l for l in out.splitlines() if l.startswith("[")), None)
    if report is None:
        return checks + [Check("server Python imports ig_fdw", False, "no report from the server", PYTHONPATH_FIX)]
    checks.append(Check("server", True, "none yet: probed with a throwaway server (rolled back)"
                        if server == schema else server))
    for c in json.loads(report):
        checks.append(Check(c["name"], c["ok"], c["detail"], c.get("fix") or ""))
    return checks


def _probe_failure(server, error):
    if "import" in error.lower() or "No module named" in error:
        return Check("server Python imports ig_fdw", False, error, PYTHONPATH_FIX)
    if "not an ig_fdw table" in error:
        return Check("server Python imports ig_fdw", False, error,
                     "The server imports an older ig_fdw than this ig-fdw command: update it (or its PYTHONPATH).")
    if "user mapping" in error.lower():
        return Check("user mapping", False, error,
                     "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (...) (docs/oauth.md)." % server)
    if "permission denied" in error.lower():
        return Check("probe", False, error, "The probe creates a schema and a foreign table in a transaction it "
                     "rolls back: connect as a role with CREATE on the database and USAGE on the server.")
    return Check("probe", False, error, "")
