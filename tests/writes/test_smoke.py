"""A smoke test of ig_fdw through the runtime: what `make test-matrix` runs on
every PostgreSQL x Python combination besides tests/runtime (the full suite
runs on the default one).  One user path each: IMPORT FOREIGN SCHEMA, a join
with a local table, an insights query, a write checked in the sandbox."""

from ig_fdw import catalog
from tests.writes.conftest import log_mark, writes_after


def feed_media(ig, n):
    return [r[0] for r in ig.execute("SELECT id FROM ig.media WHERE media_product_type = 'FEED' "
                                     "LIMIT %s", (n,)).fetchall()]


def test_import_foreign_schema_creates_every_table(ig):
    got = {r[0] for r in ig.execute("SELECT foreign_table_name FROM information_schema.foreign_tables "
                                    "WHERE foreign_table_schema = 'ig'").fetchall()}
    assert got == set(catalog.names())
    username = ig.graph.own_username(ig.sandbox.accounts[0])
    assert ig.execute("SELECT username FROM ig.instagram_business_profile").fetchall() == [(username,)]


def test_join_with_a_local_table(ig):
    ids = feed_media(ig, 3)
    assert len(ids) == 3
    ig.execute("CREATE TABLE campaign (media_id text, name text)")
    ig.execute("INSERT INTO campaign SELECT unnest(%s::text[]), 'spring'", (ids,))
    rows = ig.execute("SELECT c.media_id, c.name, m.media_product_type FROM campaign c "
                      "JOIN ig.media m ON m.id = c.media_id ORDER BY 1").fetchall()
    assert rows == [(i, "spring", "FEED") for i in sorted(ids)]


def test_insights_query(ig):
    media = feed_media(ig, 1)[0]
    reach = ig.graph.get("%s/insights" % media, metric="reach")["data"][0]["values"][0]["value"]
    got = ig.execute("SELECT media_id, reach FROM ig.media_insights WHERE media_id = %s", (media,)).fetchall()
    assert got == [(media, reach)]


def test_write_a_comment(ig):
    media = ig.graph.media(ig.sandbox.accounts[0], lambda m: m["is_comment_enabled"] and
                           m["media_product_type"] != "STORY")["id"]
    mark = log_mark(ig.sandbox)
    cid = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, %s) RETURNING id",
                     (media, "smoke test \u2713")).fetchone()[0]
    assert [w["action"] for w in writes_after(ig.sandbox, mark)] == ["comment.create"]
    assert {"id": cid, "text": "smoke test \u2713"} in [
        {"id": c["id"], "text": c["text"]} for c in ig.graph.top_comments(media)]
