"""Render docs/tables.md from the table modules (ig_fdw/tables/), so the
reference cannot drift.

    python -m ig_fdw.catalog.docs > docs/tables.md
"""

import pkgutil
import importlib

from ig_fdw import tables as tables_pkg
from ig_fdw.catalog import TABLES, join_key

ROLE_TEXT = {
    "id": "direct reads by id (`?ids=`, 50 a call)",
    "parent": "the parent object whose edge is read (50 a call: ?ids= with the edge expanded, or a batch)",
    "account": "which business account(s) to read",
    "param": "sent as the API parameter",
    "since": "time range start (`since=`)",
    "until": "time range end (`until=`)",
}


def _ops(ops):
    return ", ".join("`%s`" % ("IN" if o == "IN" else o) for o in ops)


def defined_in():
    """table name -> the module of ig_fdw/tables/ that declares it."""
    out = {}
    for info in pkgutil.iter_modules(tables_pkg.__path__):
        module = importlib.import_module("ig_fdw.tables." + info.name)
        for value in list(vars(module).values()) + list(getattr(module, "PROCEDURE_TABLES", ())):
            if getattr(value, "name", None) in TABLES and value is TABLES[value.name]:
                out.setdefault(value.name, "ig_fdw/tables/%s.py" % info.name)
    return out


def render_table(t, module=None):
    out = ["## %s" % t.name, "", t.doc, ""]
    if module:
        out += ["Declared in `%s`." % module, ""]
    if t.reference:
        out += ["Reference connector object: **%s**." % t.reference, ""]
    src = t.source
    endpoint = {
        "node": "`GET /{business_account_id}?fields=...`",
        "edge": "`GET /{%s}/%s`" % ("business_account_id" if src.parent == "account" else src.parent, src.edge),
        "me": "`GET /me/%s`" % src.edge,
        "insights": "`GET /{%s}/insights`" % ("media_id" if src.insights and src.insights.target == "media"
                                              else "business_account_id"),
        "expansion": "`GET /{business_account_id}?fields=%s(...)`" % src.expansion,
        "search": "`GET /%s`" % src.edge,
        "procedure": "OAuth procedure",
    }.get(src.kind, src.kind)
    out += ["Graph API source: %s%s." % (endpoint, (" (without the parent key: every row of `%s`)" % src.fan_out)
                                        if src.fan_out else ""), ""]
    parent = TABLES.get(src.fan_out) if src.fan_out else None
    keys = join_key(parent, t) if parent is not None else None
    if keys:
        out += ["`%s JOIN %s ON %s.%s = %s.%s` is one scan on ig_fdw's runtime: the `%s` pages, %s filters "
                "pushed, each page with its rows of %s by field expansion where the API allows it, batch calls "
                "for those media otherwise ([queries.md](queries.md#joins-of-two-instagram-tables-media-with-"
                "their-insights-or-comments))." % (parent.name, t.name, parent.name, keys[0], t.name, keys[1],
                                                   parent.name, parent.name, t.name), ""]
    ops = ["SELECT"] + [w.upper() for w in t.writable]
    out += ["| SELECT | INSERT | UPDATE | DELETE |", "|---|---|---|---|",
            "| %s |" % " | ".join("yes" if o in ops else "—" for o in ("SELECT", "INSERT", "UPDATE", "DELETE")), ""]
    out += ["| column | type | notes |", "|---|---|---|"]
    for c in t.columns:
        notes = []
        for q in t.quals_for(c.name):
            notes.append("%s%s: %s" % ("**required** " if q.required else "", _ops(q.operators),
                                       ROLE_TEXT.get(q.role, q.role)))
        if c.origin == "control":
            notes.append("API parameter%s%s" % (" (default `%s`)" % c.default if c.default else "",
                                                 "; one of %s" % ", ".join("`%s`" % v for v in c.choices)
                                                 if c.choices else ""))
        if c.origin == "metric":
            notes.append("metric `%s`" % c.source_path)
        sets = [op.upper() for op in ("insert", "update") if t.writes is not None and c.name in (getattr(t.writes, op) or ())]
        if sets:
            notes.append("set by %s" % " and ".join(sets))
        if c.doc:
            notes.append(c.doc)
        out.append("| %s | %s | %s |" % (c.name, c.type, "; ".join(notes)))
    out.append("")
    if t.path_keys:
        out += ["Joins on %s run as parameterized nested loops (only the joined keys are fetched)." %
                ", ".join("`%s`" % ",".join(k) for k, _ in t.path_keys), ""]
    if t.scopes:
        out += ["Scopes: %s." % ", ".join("`%s`" % s for s in t.scopes), ""]
    return out


def render():
    out = ["# Table reference", "",
           "Generated from the table modules in `ig_fdw/tables/` (one per table family: columns, keys, "
           "writes, metric rules) by `python -m ig_fdw.catalog.docs` — do not edit by hand.", "",
           "Every filter is rechecked by PostgreSQL; the notes say which ones ig_fdw also sends to the Graph "
           "API so that fewer calls are made.  A **required** filter must be present (or supplied by a join), "
           "or the query fails with an error naming the table, column and operators.", "",
           "## Reference connector objects", "", "| CData object | ig_fdw table |", "|---|---|"]
    for t in TABLES.values():
        if t.reference:
            out.append("| %s | `%s` |" % (t.reference, t.name))
    out.append("")
    modules = defined_in()
    for t in TABLES.values():
        out += render_table(t, modules.get(t.name))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(render())
