"""The catalog is consistent and its generated documentation is current."""

import os

from ig_fdw import catalog
from ig_fdw.catalog.docs import render

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_docs_tables_md_is_generated_from_the_catalog():
    with open(os.path.join(ROOT, "docs", "tables.md"), encoding="utf-8") as f:
        assert f.read() == render(), "run: python -m ig_fdw.catalog.docs > docs/tables.md"


def test_every_qual_and_path_key_names_a_column():
    for t in catalog.TABLES.values():
        names = {c.name for c in t.columns}
        assert len(names) == len(t.columns), t.name
        for q in t.quals:
            assert q.column in names, (t.name, q.column)
        for keys, _ in t.path_keys:
            assert set(keys) <= names, (t.name, keys)
        if t.source.fan_out:
            assert catalog.get(t.source.fan_out) is not None, t.name


def test_reference_model_is_covered():
    refs = {t.reference for t in catalog.TABLES.values() if t.reference}
    for name in ("Comments", "Replies", "InstagramBusinessProfile", "InstagramPages", "Pages", "IGMedia", "Media",
                 "Stories", "Tags", "Permissions", "MediaInsights", "MediaInsightsPost", "MediaInsightsPostAlbum",
                 "MediaInsightsReels", "MediaInsightsStory", "AccountInsights", "AccountWithoutBreakdown",
                 "AccountContactButtonType", "AccountFollowType", "AccountMediaProductType",
                 "AccountTimeSeriesFollowType", "AccountTimeSeriesMediaProductType",
                 "AccountTimeSeriesWithoutBreakdown", "AudienceInsights", "OnlineFollowers"):
        assert name in refs, name


def test_the_catalog_imports_nothing_from_graph_or_auth():
    """Loading the catalog (ig_fdw/catalog, ig_fdw/tables) loads no HTTP or crypto code."""
    import subprocess
    import sys
    code = ("import sys, ig_fdw.catalog, ig_fdw.catalog.docs; "
            "print(sorted(m for m in sys.modules if m.startswith(('ig_fdw.graph', 'ig_fdw.auth', 'requests', "
            "'cryptography', 'urllib3'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_writability_is_declared_once_on_the_table():
    for t in catalog.TABLES.values():
        if t.writes is None:
            assert t.writable == () and t.writer is None, t.name
            continue
        assert t.writer, t.name
        for name in t.writes.columns + t.writes.required:
            assert t.column(name) is not None, (t.name, name)
    assert catalog.get("comments").writable == ("insert", "update", "delete")
    assert catalog.get("media").writable == ("insert",)


def test_the_core_never_chooses_by_table_name():
    """fdw, planner, executor, insights and rows reach a table only through its fields: no comparison
    with a table's name, no lookup of a table named in the code, no dictionary keyed by table names
    ('media' and 'insights' are also source kinds and insights targets, which the core may name)."""
    import re
    for name in ("fdw.py", "planner.py", "executor.py", "insights.py", "rows.py"):
        with open(os.path.join(ROOT, "ig_fdw", name), encoding="utf-8") as f:
            text = f.read()
        assert not re.search(r"\.name\s*(==|!=|in\b)", text), name
        assert not re.search(r"""catalog\.get\(\s*["']""", text), name
        for t in set(catalog.names()) - {"media", "insights"}:
            assert not re.search(r"""["']%s["']""" % re.escape(t), text), (name, t)


def test_the_catalog_loads_whichever_module_is_imported_first():
    import subprocess
    import sys
    for first in ("ig_fdw.tables.procedures", "ig_fdw.tables", "ig_fdw.procedures", "ig_fdw.catalog.model",
                  "ig_fdw.catalog"):
        code = "import %s; from ig_fdw import catalog; assert catalog.get('media') is not None" % first
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_executor_does_not_reach_back_into_the_fdw():
    """Data flows one way: the executor gets what it needs in its ScanContext (client, accounts resolver,
    procedure runner), so neither it nor the planner, insights or rows import the FDW class, and the
    procedure runner handed to a scan is an object of ig_fdw.procedures, not a method of the FDW."""
    import subprocess
    import sys
    code = ("import sys, ig_fdw.executor, ig_fdw.planner, ig_fdw.insights, ig_fdw.rows; "
            "print(sorted(m for m in sys.modules if m in ('ig_fdw.fdw', 'ig_fdw.connection', 'multicorn')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    from ig_fdw import procedures
    runner = procedures.StatementProcedures(procedures.ProcedureCall(), conn=None,
                                            extra={"probe": lambda: [{"report": "ok"}]})
    assert runner("probe", {}) == [{"report": "ok"}]
