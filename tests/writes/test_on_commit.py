"""WriteMode 'on_commit': rows are queued and sent at COMMIT (pre_commit),
in order; nothing is sent on ROLLBACK; RETURNING gives NULL ids."""

import psycopg
import pytest

from tests.writes.conftest import log_mark, writes_after


def commentable(ig):
    return ig.graph.media(ig.sandbox.accounts[0], lambda m: m["is_comment_enabled"] and
                          m["media_product_type"] != "STORY")["id"]


@pytest.fixture
def held(ig):
    ig.execute("ALTER FOREIGN TABLE ig.comments OPTIONS (ADD WriteMode 'on_commit')")
    return ig


def test_commit_sends_the_queue_in_order(held):
    ig, sb = held, held.sandbox
    media = commentable(ig)
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    with ig.transaction():
        ids = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'queued one'), "
                         "(%(m)s, 'queued two') RETURNING id", {"m": media}).fetchall()
        assert ids == [(None,), (None,)]             # the trade-off: no ids before COMMIT
        ig.execute("UPDATE ig.comments SET hidden = true WHERE id = %s", (target,))
        assert writes_after(sb, mark) == []          # nothing sent yet
        assert any("2 rows queued, to be sent at COMMIT" in n for n in ig.notices.take())
    log = writes_after(sb, mark)
    assert [(w["action"], w["ids"].get("text")) for w in log] == [
        ("comment.create", "queued one"), ("comment.create", "queued two"), ("comment.hide", None)]
    notices = ig.notices.take()
    assert any("COMMIT sent the 3 queued writes of comments" in n and log[0]["ids"]["comment_id"] in n
               for n in notices), notices
    ig.graph.post(target, hide="false")


def test_rollback_sends_nothing(held):
    ig, sb = held, held.sandbox
    media = commentable(ig)
    mark = log_mark(sb)
    with ig.transaction():
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'never one'), (%(m)s, 'never two')",
                   {"m": media})
        raise psycopg.Rollback()
    assert writes_after(sb, mark) == []
    assert any("ROLLBACK: the 2 queued writes for comments were not sent" in n for n in ig.notices.take())
    # the queue is empty afterwards: a later COMMIT sends nothing of it
    with ig.transaction():
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'after rollback')", (media,))
    assert [w["ids"]["text"] for w in writes_after(sb, mark)] == ["after rollback"]


def test_failure_at_commit_aborts_it_and_says_what_was_sent(held):
    ig, sb = held, held.sandbox
    media = commentable(ig)
    closed = ig.graph.media(sb.accounts[0], lambda m: not m["is_comment_enabled"] and
                            m["media_product_type"] != "STORY")["id"]
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        with ig.transaction():
            ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'c1'), (%(c)s, 'c2'), (%(m)s, 'c3')",
                       {"m": media, "c": closed})
    msg = ei.value.diag.message_primary
    log = writes_after(sb, mark)
    assert [w["ids"]["text"] for w in log] == ["c1"]
    assert "COMMIT stopped" in msg and "queued row 2 of 3" in msg and "c2" in msg
    assert "1 earlier row was already sent" in msg and log[0]["ids"]["comment_id"] in msg
    assert "The COMMIT is aborted; the 1 queued row after it was not sent." in msg
    assert any(log[0]["ids"]["comment_id"] in n for n in ig.notices.take())


def test_rule_violation_fails_the_statement_at_once(held):
    ig, sb = held, held.sandbox
    media = commentable(ig)
    mark = log_mark(sb)
    with pytest.raises(psycopg.errors.CheckViolation) as ei:
        with ig.transaction():
            ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'fine'), (%(m)s, 'NOT FINE AT ALL')",
                       {"m": media})
    assert "row 2" in ei.value.diag.message_primary and "Nothing was sent" in ei.value.diag.message_primary
    assert writes_after(sb, mark) == []


def test_rollback_to_savepoint_drops_rows_queued_after_it(held):
    ig, sb = held, held.sandbox
    media = commentable(ig)
    mark = log_mark(sb)
    with ig.transaction():
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'kept')", (media,))
        with ig.transaction():   # SAVEPOINT
            ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'dropped')", (media,))
            raise psycopg.Rollback()
    assert [w["ids"]["text"] for w in writes_after(sb, mark)] == ["kept"]
