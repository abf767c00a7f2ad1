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
