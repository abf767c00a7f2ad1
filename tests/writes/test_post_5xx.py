"""A comment or reply POST the server applied and then answered with a 5xx
is looked up before anything is sent again: it is never posted twice."""

import psycopg

from tests.writes.test_comments import commentable, log_mark, writes_after


def test_comment_applied_then_500_is_found_not_posted_twice(ig):
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    sb.set_faults("status_after=500@nth=1,method=POST")
    try:
        cid = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'applied, then a 500') RETURNING id",
                         (media,)).fetchone()[0]
    finally:
        sb.set_faults(None)
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["comment.create"]        # exactly one: no second POST
    assert log[0]["ids"]["comment_id"] == cid


def test_reply_applied_then_503_is_found_not_posted_twice(ig):
    sb = ig.sandbox
    top = ig.graph.others_comments(sb.accounts[0], 1)[0]
    mark = log_mark(sb)
    sb.set_faults("status_after=503@nth=1,method=POST")
    try:
        rid = ig.execute("INSERT INTO ig.replies (comment_id, text) VALUES (%s, 'reply through a 503') RETURNING id",
                         (top["id"],)).fetchone()[0]
    finally:
        sb.set_faults(None)
    assert [(w["action"], w["ids"]["comment_id"]) for w in writes_after(sb, mark)] == [("reply.create", rid)]


def test_post_answered_500_without_applying_says_maybe(ig):
    """A 5xx before anything was applied: nothing to find, and not resent
    blindly: the error says it may or may not have been posted (40003)."""
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    sb.set_faults("status=500@nth=1,method=POST")
    try:
        try:
            ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'a 500 before applying')", (media,))
            raised = None
        except psycopg.Error as e:
            raised = e
    finally:
        sb.set_faults(None)
    assert raised is not None and raised.sqlstate == "40003", raised
    assert writes_after(sb, mark) == []


def test_persistent_503_ends_with_hv00n(ig):
    """docs/troubleshooting.md: 'gave up after N attempts' is SQLSTATE HV00N."""
    sb = ig.sandbox
    sb.set_faults("status=503")
    try:
        try:
            ig.execute("SELECT id FROM ig.media LIMIT 1")
            raised = None
        except psycopg.Error as e:
            raised = e
    finally:
        sb.set_faults(None)
    assert raised is not None and raised.sqlstate == "HV00N", raised
    assert "gave up after" in str(raised)
