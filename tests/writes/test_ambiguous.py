"""Every write whose answer is lost goes through writes.ambiguous.send_once:
each former copy of that logic, driven through PostgreSQL with the sandbox
applying the request and then answering HTTP 500 (`status_after=500`).
Comments and replies (looked up, not posted again) are in test_post_5xx.py."""

import psycopg
import pytest

from tests.writes.conftest import log_mark, writes_after
from tests.writes.test_comments import commentable


def faulted(sb, spec, run):
    sb.set_faults(spec)
    try:
        return run()
    finally:
        sb.set_faults(None)


def test_hide_answered_500_is_sent_once_more(ig):
    sb = ig.sandbox
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    n = faulted(sb, "status_after=500@nth=1,method=POST",
                lambda: ig.execute("UPDATE ig.comments SET hidden = true WHERE id = %s", (target,)).rowcount)
    assert n == 1
    assert [(w["action"], w["ids"]["comment_id"]) for w in writes_after(sb, mark)] == [("comment.hide", target)] * 2
    assert ig.graph.get(target, fields="hidden")["hidden"] is True
    ig.graph.post(target, hide="false")


def test_hide_answered_500_twice_says_maybe(ig):
    sb = ig.sandbox
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        faulted(sb, "status_after=500@nth=1,count=2,method=POST",
                lambda: ig.execute("UPDATE ig.comments SET hidden = true WHERE id = %s", (target,)))
    assert ei.value.sqlstate == "40003"
    msg = ei.value.diag.message_primary
    assert "may or may not have been sent" in msg and "hiding comment %s may or may not have been applied" % target \
        in msg and "failed twice" in msg, msg
    assert len(writes_after(sb, mark)) == 2          # sent twice, never a third time
    ig.graph.post(target, hide="false")


def test_delete_answered_500_is_asked_again_and_not_found_means_done(ig):
    sb, media = ig.sandbox, commentable(ig)
    cid = ig.graph.post("%s/comments" % media, message="delete through a 500")["id"]
    mark = log_mark(sb)
    n = faulted(sb, "status_after=500@nth=1,method=DELETE",
                lambda: ig.execute("DELETE FROM ig.comments WHERE id = %s", (cid,)).rowcount)
    assert n == 1
    assert [(w["action"], w["ids"]["comment_id"]) for w in writes_after(sb, mark)] == [("comment.delete", cid)]
    assert any("DELETE FROM comments: 1 row sent; deleted ids: %s" % cid in m for m in ig.notices.take())


def test_comment_enabled_answered_500_is_sent_once_more(ig):
    sb = ig.sandbox
    m = ig.graph.media(sb.accounts[0], lambda m: m["is_comment_enabled"] and m["media_product_type"] == "FEED")["id"]
    mark = log_mark(sb)
    faulted(sb, "status_after=500@nth=1,method=POST",
            lambda: ig.execute("UPDATE ig.ig_media SET is_comment_enabled = false WHERE id = %s", (m,)))
    assert [(w["action"], w["ids"]["comment_enabled"]) for w in writes_after(sb, mark)] == [
        ("media.comment_enabled", False)] * 2
    assert ig.graph.get(m, fields="is_comment_enabled")["is_comment_enabled"] is False
    ig.execute("UPDATE ig.ig_media SET is_comment_enabled = true WHERE id = %s", (m,))


def test_container_answered_500_is_created_again_and_published_once(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    mid = faulted(sb, "status_after=500@nth=1,method=POST,path=*/media", lambda: ig.execute(
        "INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/c500.jpg', 'container 500') "
        "RETURNING id").fetchone()[0])
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["container.create", "container.create", "media.publish"]
    assert log[2]["ids"]["container_id"] == log[1]["ids"]["container_id"]     # the orphan is never published
    assert log[2]["ids"]["media_id"] == mid


def test_media_publish_answered_500_is_found_not_published_twice(ig):
    sb = ig.sandbox
    mark = log_mark(sb)
    mid = faulted(sb, "status_after=500@nth=1,method=POST,path=*media_publish*", lambda: ig.execute(
        "INSERT INTO ig.media (image_url, caption) VALUES ('https://cdn.example.com/p500.jpg', 'publish 500') "
        "RETURNING id").fetchone()[0])
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["container.create", "media.publish"]
    assert log[1]["ids"]["media_id"] == mid
    assert ig.execute("SELECT caption FROM ig.media WHERE id = %s", (mid,)).fetchone()[0] == "publish 500"
