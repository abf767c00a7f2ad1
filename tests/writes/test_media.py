"""Publishing (INSERT INTO media), ig_media moderation and deletion, checked
against the sandbox's write log."""

import psycopg
import pytest
import requests

from ig_fdw.sandbox import Sandbox
from tests.fdw.conftest import create_server
from tests.writes.conftest import log_mark, writes_after


def actions(log):
    return [w["action"] for w in log]


def test_publish_an_image(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    row = ig.execute("INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/p/1.jpg', "
                     "'Fresh bread today #bakery') RETURNING id, permalink, media_type, media_product_type, "
                     "caption").fetchone()
    log = writes_after(sb, mark)
    assert actions(log) == ["container.create", "media.publish"]
    assert log[0]["request"]["params"]["image_url"] == "https://cdn.example.com/p/1.jpg"
    assert log[0]["request"]["params"]["caption"] == "Fresh bread today #bakery"
    assert log[1]["ids"]["container_id"] == log[0]["ids"]["container_id"]
    assert log[1]["ids"]["media_id"] == row[0]
    assert row[1].startswith("https://www.instagram.com/") and row[2:] == ("IMAGE", "FEED",
                                                                          "Fresh bread today #bakery")
    assert ig.execute("SELECT caption FROM ig.media WHERE id = %s", (row[0],)).fetchone()[0] == \
        "Fresh bread today #bakery"


def test_publish_a_carousel(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    mid = ig.execute("INSERT INTO ig.media (children, caption) VALUES (ARRAY['https://cdn.example.com/a.jpg', "
                     "'https://cdn.example.com/b.jpg', 'https://cdn.example.com/c.mp4'], 'three of them') "
                     "RETURNING id").fetchone()[0]
    log = writes_after(sb, mark)
    assert actions(log) == ["container.create"] * 4 + ["media.publish"]
    items = [w["request"]["params"] for w in log[:3]]
    assert [p.get("is_carousel_item") for p in items] == ["true"] * 3
    assert items[2]["media_type"] == "VIDEO" and items[2]["video_url"].endswith("c.mp4")
    parent = log[3]["request"]["params"]
    assert parent["media_type"] == "CAROUSEL"
    assert parent["children"].split(",") == [w["ids"]["container_id"] for w in log[:3]]
    assert log[4]["ids"]["media_id"] == mid and log[4]["ids"]["media_type"] == "CAROUSEL_ALBUM"
    kids = ig.execute("SELECT count(*) FROM ig.media_children WHERE media_id = %s", (mid,)).fetchone()[0]
    assert kids == 3


def test_publish_a_reel(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    row = ig.execute("INSERT INTO ig.media (video_url, media_type, caption, share_to_feed) VALUES "
                     "('https://cdn.example.com/r.mp4', 'REELS', 'a reel', true) "
                     "RETURNING id, media_product_type").fetchone()
    log = writes_after(sb, mark)
    assert actions(log) == ["container.create", "media.publish"]
    assert log[0]["request"]["params"]["media_type"] == "REELS"
    assert log[0]["request"]["params"]["share_to_feed"] == "true"
    assert log[1]["ids"]["media_product_type"] == "REELS" and row == (log[1]["ids"]["media_id"], "REELS")


def test_container_error_publishes_nothing(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/error.jpg', 'x')")
    d = ei.value.diag
    assert "went to status ERROR" in d.message_primary and "nothing was published" in d.message_primary
    assert "could not fetch the media from its URL (subcode 2207052)" in d.message_primary
    assert "row 1" in d.message_primary and "No earlier row was sent" in d.message_primary
    assert d.message_hint and "public" in d.message_hint
    assert actions(writes_after(sb, mark)) == ["container.create"]          # no media.publish


def test_carousel_item_error_publishes_nothing(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.media (children) VALUES (ARRAY['https://cdn.example.com/a.jpg', "
                   "'https://cdn.example.com/error-b.jpg'])")
    assert "carousel item https://cdn.example.com/error-b.jpg" in ei.value.diag.message_primary
    assert actions(writes_after(sb, mark)) == ["container.create"] * 2


def test_publish_checks_before_any_call(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    cases = [
        ("INSERT INTO ig.media (caption) VALUES ('no image')", "an image post needs image_url"),
        ("INSERT INTO ig.media (children) VALUES (ARRAY['https://cdn.example.com/a.jpg'])",
         'rule "carousel of 2 to 10 items"'),
        ("INSERT INTO ig.media (image_url, media_type) VALUES ('https://cdn.example.com/a.jpg', 'HOLOGRAM')",
         "media_type HOLOGRAM cannot be published"),
        ("INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/a.jpg', '%s')"
         % ("#t " * 31), 'rule "caption at most 30 hashtags"'),
        ("INSERT INTO ig.media (image_url, like_count) VALUES ('https://cdn.example.com/a.jpg', 3)",
         "column like_count cannot be set by INSERT INTO media"),
    ]
    for sql, text in cases:
        with pytest.raises(psycopg.Error) as ei:
            ig.execute(sql)
        assert text in ei.value.diag.message_primary, (sql, ei.value.diag.message_primary)
    assert writes_after(sb, mark) == []


def test_quota_exhausted(conn):
    """A fresh sandbox whose account has used its 100 posts of the last 24 h."""
    with Sandbox(seed=3, port=0, budget_per_hour=1000000) as sb:
        acct = sb.accounts[1]
        h = {"Authorization": "Bearer " + sb.user_token()}
        base = "%s/v22.0/%s" % (sb.url, acct)
        for i in range(100):
            cid = requests.post(base + "/media", headers=h, data={"image_url": "https://x.example.com/%d.jpg" % i}
                                ).json()["id"]
            requests.get("%s/v22.0/%s" % (sb.url, cid), headers=h, params={"fields": "status_code"})
            requests.get("%s/v22.0/%s" % (sb.url, cid), headers=h, params={"fields": "status_code"})
            assert "id" in requests.post(base + "/media_publish", headers=h, data={"creation_id": cid}).json()
        create_server(conn, sb, business_account=acct)
        conn.execute("CREATE SCHEMA ig; IMPORT FOREIGN SCHEMA instagram LIMIT TO (media, content_publishing_limit) "
                     "FROM SERVER instagram INTO ig")
        assert conn.execute("SELECT quota_usage, quota_total FROM ig.content_publishing_limit").fetchone() == \
            (100, 100)
        mark = log_mark(sb)
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("INSERT INTO ig.media (image_url) VALUES ('https://cdn.example.com/one-more.jpg')")
        assert ei.value.sqlstate == "53400"
        assert "publishing quota of account %s is used up: 100 of 100 posts in the last 24 hours" % acct \
            in ei.value.diag.message_primary
        assert writes_after(sb, mark) == []           # not even a container


def test_update_ig_media_comment_enabled(ig):
    sb = ig.sandbox
    m = ig.graph.media(sb.accounts[0], lambda m: m["is_comment_enabled"] and m["media_product_type"] == "FEED")["id"]
    mark = log_mark(sb)
    assert ig.execute("UPDATE ig.ig_media SET is_comment_enabled = false WHERE id = %s RETURNING is_comment_enabled",
                      (m,)).fetchall() == [(False,)]
    assert ig.graph.get(m, fields="is_comment_enabled")["is_comment_enabled"] is False
    ig.execute("UPDATE ig.ig_media SET is_comment_enabled = true WHERE id = %s", (m,))
    log = writes_after(sb, mark)
    assert [(w["action"], w["ids"]["media_id"], w["ids"]["comment_enabled"]) for w in log] == [
        ("media.comment_enabled", m, False), ("media.comment_enabled", m, True)]
    with pytest.raises(psycopg.errors.FeatureNotSupported) as ei:
        ig.execute("UPDATE ig.ig_media SET caption = 'new caption' WHERE id = %s", (m,))
    assert "column caption of ig_media cannot be changed" in ei.value.diag.message_primary
    assert "is_comment_enabled" in ei.value.diag.message_hint
    assert len(writes_after(sb, mark)) == 2


def test_delete_ig_media(ig):
    sb = ig.sandbox
    mid = ig.execute("INSERT INTO ig.media (image_url) VALUES ('https://cdn.example.com/gone.jpg') "
                     "RETURNING id").fetchone()[0]
    mark = log_mark(sb)
    assert ig.execute("DELETE FROM ig.ig_media WHERE id = %s", (mid,)).rowcount == 1
    assert [(w["action"], w["ids"]["media_id"]) for w in writes_after(sb, mark)] == [("media.delete", mid)]
    assert ig.execute("SELECT count(*) FROM ig.ig_media WHERE id = %s", (mid,)).fetchone()[0] == 0


def test_publish_a_story(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    row = ig.execute("INSERT INTO ig.media (image_url, media_type) VALUES ('https://cdn.example.com/s.jpg', "
                     "'STORIES') RETURNING id, media_product_type").fetchone()
    log = writes_after(sb, mark)
    assert actions(log) == ["container.create", "media.publish"]
    assert log[0]["request"]["params"]["media_type"] == "STORIES"
    assert row == (log[1]["ids"]["media_id"], "STORY")


def test_expired_container_publishes_nothing(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.media (image_url) VALUES ('https://cdn.example.com/will-expire.jpg')")
    assert "went to status EXPIRED" in ei.value.diag.message_primary
    assert "expired before it was published" in ei.value.diag.message_primary
    assert actions(writes_after(sb, mark)) == ["container.create"]


def test_polling_is_cancellable(ig):
    """statement_timeout fires while the FDW waits between two polls of a
    reel's container: the statement is cancelled at once, nothing published."""
    sb = ig.sandbox
    mark = log_mark(sb)
    ig.execute("SET statement_timeout = '400ms'")
    with pytest.raises(psycopg.errors.QueryCanceled):
        ig.execute("INSERT INTO ig.media (video_url, media_type) VALUES ('https://cdn.example.com/slow.mp4', 'REELS')")
    ig.execute("RESET statement_timeout")
    assert actions(writes_after(sb, mark)) == ["container.create"]


def test_ambiguous_media_publish_is_not_repeated_into_a_duplicate(ig):
    """The sandbox publishes, then resets the connection: asking again with
    the same container cannot publish twice; the FDW finds the new media."""
    sb = ig.sandbox
    mark = log_mark(sb)
    sb.set_faults("reset_after@nth=1,method=POST,path=*media_publish*")
    mid = ig.execute("INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/amb.jpg', "
                     "'ambiguous publish') RETURNING id").fetchone()[0]
    sb.set_faults(None)
    log = writes_after(sb, mark)
    assert actions(log) == ["container.create", "media.publish"]        # one post only
    assert log[1]["ids"]["media_id"] == mid


def test_hide_comments_matching_a_blocklist(ig):
    """UPDATE ... FROM a local table: hide the comments of one media that
    match a blocklist; one hide call per matching comment, nothing else."""
    sb = ig.sandbox
    own = ig.graph.own_username(sb.accounts[0])
    media, targets = None, []
    seen = set()
    while len(targets) < 2:
        m = ig.graph.media(sb.accounts[0], lambda m: m["is_comment_enabled"] and m["comments_count"] >= 4, skip=seen)
        seen.add(m["id"])
        mine = [c for c in ig.graph.top_comments(m["id"]) if not c["hidden"] and c["username"] != own]
        texts = [c["text"] for c in mine]
        mine = [c for c in mine if texts.count(c["text"]) == 1]
        if len(mine) >= 3:
            media, targets = m["id"], mine[:2]
    ig.execute("CREATE TABLE blocklist (pattern text)")
    with ig.cursor() as cur:
        cur.executemany("INSERT INTO blocklist VALUES (%s)", [(t["text"],) for t in targets])
    mark = log_mark(sb)
    hidden = ig.execute("UPDATE ig.comments c SET hidden = true FROM blocklist b "
                        "WHERE c.media_id = %s AND c.text = b.pattern RETURNING c.id", (media,)).fetchall()
    log = writes_after(sb, mark)
    assert sorted(r[0] for r in hidden) == sorted(t["id"] for t in targets)
    assert sorted((w["action"], w["ids"]["comment_id"]) for w in log) == \
        sorted(("comment.hide", t["id"]) for t in targets)
    for t in targets:
        ig.graph.post(t["id"], hide="false")


def test_delete_on_a_read_only_table_says_which_are_writable(ig):
    with pytest.raises(psycopg.Error) as info:
        ig.execute("DELETE FROM ig.stories")
    assert "read-only" in str(info.value)
    assert "comments" in (info.value.diag.message_hint or "")
