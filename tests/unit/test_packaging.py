"""An installed ig_fdw (not the checkout) carries the ig_sync schema: setup.py
ships ig_fdw/sql/sync.sql as package data, and `ig-fdw sync --sql-path` /
`--install` use the installed copy."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """pip install of a copy of the sources (the build leaves nothing in the checkout) into a target dir."""
    src = tmp_path_factory.mktemp("src")
    for name in ("setup.py", "README.md"):
        shutil.copy(os.path.join(ROOT, name), str(src))
    shutil.copytree(os.path.join(ROOT, "ig_fdw"), str(src / "ig_fdw"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target), str(src)],
                   check=True, cwd=str(src))
    return target


def run_installed(target, *args):
    """`python -m ig_fdw ...` from the installed copy only (run outside the checkout)."""
    env = dict(os.environ, PYTHONPATH=str(target))
    return subprocess.run([sys.executable, "-m", "ig_fdw"] + list(args), cwd=str(target.parent), env=env,
                          capture_output=True, text=True, timeout=60)


def test_installed_package_contains_sync_sql(installed):
    shipped = installed / "ig_fdw" / "sql" / "sync.sql"
    assert shipped.is_file()
    with open(os.path.join(ROOT, "ig_fdw", "sql", "sync.sql"), encoding="utf-8") as f:
        assert shipped.read_text(encoding="utf-8") == f.read()
    out = run_installed(installed, "sync", "--sql-path")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(shipped)          # the installed file, not the checkout's


def test_installed_schema_sql_reads_the_shipped_file(installed):
    env = dict(os.environ, PYTHONPATH=str(installed))
    code = "import ig_fdw.sync as s; print(s.SQL_FILE); print('CREATE SCHEMA IF NOT EXISTS ig_sync' in s.schema_sql())"
    out = subprocess.run([sys.executable, "-c", code], cwd=str(installed.parent), env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    path, found = out.stdout.split()
    assert path.startswith(str(installed)) and found == "True"
