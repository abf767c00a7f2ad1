"""Comments and replies through a real PostgreSQL against the sandbox; every
write is checked against the sandbox's write log."""

import psycopg
import pytest

from tests.writes.conftest import log_mark, writes_after


def commentable(ig, skip=()):
    return ig.graph.media(ig.sandbox.accounts[0], lambda m: m["is_comment_enabled"] and
                          m["media_product_type"] != "STORY", skip=skip)["id"]


def test_insert_comment_returning_id(ig):
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    cid = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, %s) RETURNING id",
                     (media, "Thanks for stopping by \u2615 #coffee")).fetchone()[0]
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["comment.create"]
    assert log[0]["ids"] == {"comment_id": cid, "media_id": media, "text": "Thanks for stopping by \u2615 #coffee"}
    assert log[0]["request"]["method"] == "POST" and log[0]["request"]["path"].endswith("/%s/comments" % media)
    notices = ig.notices.take()
    assert any("INSERT INTO comments: 1 row sent; created ids: %s" % cid in n for n in notices), notices
    # read back through the FDW (id is a pushed-down key)
    got = ig.execute("SELECT text, media_id, hidden FROM ig.comments WHERE id = %s", (cid,)).fetchone()
    assert got == ("Thanks for stopping by \u2615 #coffee", media, False)


def test_insert_select_replies_from_local_table(ig):
    """Reply to many comments from a local table: one POST per row, in order."""
    sb = ig.sandbox
    targets = ig.graph.others_comments(sb.accounts[0], 8)
    ig.execute("CREATE TABLE todo (n int, comment_id text, reply text)")
    with ig.cursor() as cur:
        cur.executemany("INSERT INTO todo VALUES (%s, %s, %s)",
                        [(i, c["id"], "Thank you @%s (%d)" % (c["username"], i)) for i, c in enumerate(targets)])
    mark = log_mark(sb)
    rows = ig.execute("INSERT INTO ig.replies (comment_id, text) SELECT comment_id, reply FROM todo ORDER BY n "
                      "RETURNING id, comment_id, text").fetchall()
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["reply.create"] * 8
    assert [(w["ids"]["comment_id"], w["ids"]["parent_id"], w["ids"]["text"]) for w in log] == \
        [tuple(r) for r in rows]
    assert [r[1] for r in rows] == [c["id"] for c in targets]
    notice = [n for n in ig.notices.take() if "INSERT INTO replies" in n]
    assert notice and "8 rows sent" in notice[0] and all(r[0] in notice[0] for r in rows)


def test_multi_row_insert_stops_at_rule_violation_in_row_3(ig):
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    with pytest.raises(psycopg.errors.CheckViolation) as ei:
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'first'), (%(m)s, 'second'), "
                   "(%(m)s, 'THIS ONE IS ALL CAPITALS AND VERY LONG INDEED'), (%(m)s, 'fourth')", {"m": media})
    msg = ei.value.diag.message_primary
    log = writes_after(sb, mark)
    assert [w["ids"]["text"] for w in log] == ["first", "second"]     # row 4 never sent
    ids = [w["ids"]["comment_id"] for w in log]
    assert "row 3" in msg and 'text "THIS ONE IS ALL CAPITALS AND VERY LONG\u2026"' in msg
    assert 'rule "not all capitals"' in msg
    assert "2 earlier rows were already sent" in msg and "ROLLBACK cannot undo" in msg
    assert all(i in msg for i in ids)
    notices = ig.notices.take()
    assert any("2 rows were sent" in n and ids[0] in n and ids[1] in n for n in notices), notices


def test_multi_row_insert_stops_at_api_error_in_row_3(ig):
    """Row 3 goes to a media whose comments are disabled: the sandbox refuses it."""
    sb, media = ig.sandbox, commentable(ig)
    closed = ig.graph.media(sb.accounts[0], lambda m: not m["is_comment_enabled"] and
                            m["media_product_type"] != "STORY")["id"]
    mark = log_mark(sb)
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%(m)s, 'one'), (%(m)s, 'two'), "
                   "(%(c)s, 'three'), (%(m)s, 'four')", {"m": media, "c": closed})
    msg = ei.value.diag.message_primary
    log = writes_after(sb, mark)
    assert [w["ids"]["text"] for w in log] == ["one", "two"]
    assert "row 3 (media_id %s, text \"three\") was not sent" % closed in msg
    assert "Comments are disabled" in msg and "code 100" in msg
    assert "2 earlier rows were already sent" in msg
    assert all(w["ids"]["comment_id"] in msg for w in log)
    assert any("created ids: %s, %s" % (log[0]["ids"]["comment_id"], log[1]["ids"]["comment_id"]) in n
               for n in ig.notices.take())


LONG = "x" * 301


@pytest.mark.parametrize("text,rule", [
    (LONG, "at most 300 characters"),
    ("#one #two #three #four #five", "at most 4 hashtags"),
    ("see https://a.example.com/x and www.b.example.org", "at most 1 URL"),
    ("WHY IS THIS SHOUTING", "not all capitals"),
])
def test_comment_rules_checked_before_any_call(ig, text, rule):
    sb, media = ig.sandbox, commentable(ig)
    mark, before = log_mark(sb), sb.stats()["by_method"].get("POST", 0)
    with pytest.raises(psycopg.errors.CheckViolation) as ei:
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, %s)", (media, text))
    d = ei.value.diag
    assert 'rule "%s"' % rule in d.message_primary and "row 1" in d.message_primary
    assert "No earlier row was sent" in d.message_primary
    assert d.message_hint and "300 characters" in d.message_hint
    assert writes_after(sb, mark) == [] and sb.stats()["by_method"].get("POST", 0) == before


def test_limits_are_inclusive(ig):
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, %s), (%s, %s), (%s, %s)",
               (media, "y" * 300, media, "#a #b #c #d fine", media, "OK thanks, see https://x.example.com"))
    assert len(writes_after(sb, mark)) == 3


def test_no_reply_to_a_reply(ig):
    sb = ig.sandbox
    top = ig.graph.others_comments(sb.accounts[0], 1)[0]
    reply = ig.graph.post("%s/replies" % top["id"], message="a first reply")["id"]
    mark = log_mark(sb)
    with pytest.raises(psycopg.errors.CheckViolation) as ei:
        ig.execute("INSERT INTO ig.replies (comment_id, text) VALUES (%s, 'nested?')", (reply,))
    d = ei.value.diag
    assert 'rule "no replies to replies"' in d.message_primary and reply in d.message_primary
    assert top["id"] in d.message_hint
    assert writes_after(sb, mark) == []


def test_no_reply_to_a_hidden_comment(ig):
    sb = ig.sandbox
    target = ig.graph.others_comments(sb.accounts[0], 1, skip=())[0]
    ig.graph.post(target["id"], hide="true")
    mark = log_mark(sb)
    try:
        with pytest.raises(psycopg.errors.CheckViolation) as ei:
            ig.execute("INSERT INTO ig.replies (comment_id, text) VALUES (%s, 'hello')", (target["id"],))
        assert 'rule "no replies to hidden comments"' in ei.value.diag.message_primary
        assert writes_after(sb, mark) == []
    finally:
        ig.graph.post(target["id"], hide="false")


def test_insert_other_columns_or_missing_ones(ig):
    media = commentable(ig)
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.comments (media_id, text, hidden) VALUES (%s, 'hi', true)", (media,))
    assert "column hidden cannot be set by INSERT INTO comments" in ei.value.diag.message_primary
    assert "sets only: media_id, text." in ei.value.diag.message_hint     # the table's Writes.insert
    with pytest.raises(psycopg.errors.NotNullViolation) as ei:
        ig.execute("INSERT INTO ig.comments (text) VALUES ('orphan')")
    assert "needs media_id" in ei.value.diag.message_primary


def test_ambiguous_post_is_found_not_duplicated(ig):
    """The sandbox applies the POST, then resets the connection: the FDW must
    not post again; it finds the comment and returns its id."""
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    sb.set_faults("reset_after@nth=1,method=POST")
    cid = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'did this land?') RETURNING id",
                     (media,)).fetchone()[0]
    sb.set_faults(None)
    log = writes_after(sb, mark)
    assert [w["action"] for w in log] == ["comment.create"]          # exactly one: no duplicate
    assert log[0]["ids"]["comment_id"] == cid
    notices = ig.notices.take()
    assert any("connection failed after posting a comment" in n and cid in n for n in notices), notices


def test_ambiguous_reply_is_found_not_duplicated(ig):
    sb = ig.sandbox
    top = ig.graph.others_comments(sb.accounts[0], 1)[0]
    mark = log_mark(sb)
    sb.set_faults("reset_after@nth=1,method=POST")
    rid = ig.execute("INSERT INTO ig.replies (comment_id, text) VALUES (%s, 'reply that may be lost') RETURNING id",
                     (top["id"],)).fetchone()[0]
    sb.set_faults(None)
    log = writes_after(sb, mark)
    assert [(w["action"], w["ids"]["comment_id"]) for w in log] == [("reply.create", rid)]


def test_ambiguous_post_not_found_says_maybe(ig):
    """A reset before the sandbox applies the POST: nothing to find, the error
    says it may or may not have been posted (SQLSTATE 40003)."""
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    sb.set_faults("reset@nth=1,method=POST")
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'lost in transit')", (media,))
    sb.set_faults(None)
    assert ei.value.sqlstate == "40003"
    assert "may or may not have been posted" in ei.value.diag.message_primary
    assert writes_after(sb, mark) == []


def test_update_hidden_and_back(ig):
    sb = ig.sandbox
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    sb.reset_stats()
    got = ig.execute("UPDATE ig.comments SET hidden = true WHERE id = %s RETURNING id, hidden", (target,)).fetchall()
    assert got == [(target, True)]
    # the scan reads the row by id, the writer reads it once more at most, then one POST
    methods = sb.stats()["by_method"]
    assert methods.get("POST") == 1 and methods.get("GET", 0) <= 2, methods
    ig.execute("UPDATE ig.comments SET hidden = false WHERE id = %s", (target,))
    log = writes_after(sb, mark)
    assert [(w["action"], w["ids"]["comment_id"]) for w in log] == [("comment.hide", target),
                                                                    ("comment.unhide", target)]
    assert log[0]["request"]["params"]["hide"] == "true"
    # setting the value it already has sends nothing
    ig.execute("UPDATE ig.comments SET hidden = false WHERE id = %s", (target,))
    assert len(writes_after(sb, mark)) == 2


def test_update_of_a_column_that_cannot_change(ig):
    sb = ig.sandbox
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    with pytest.raises(psycopg.errors.FeatureNotSupported) as ei:
        ig.execute("UPDATE ig.comments SET text = 'edited' WHERE id = %s", (target,))
    d = ei.value.diag
    assert "column text of comments cannot be changed" in d.message_primary
    assert "row 1 (id %s)" % target in d.message_primary
    assert d.message_hint == "UPDATE comments can change only: hidden."
    with pytest.raises(psycopg.errors.FeatureNotSupported) as ei:
        ig.execute("UPDATE ig.comments SET hidden = true, like_count = 99 WHERE id = %s", (target,))
    assert "column like_count of comments cannot be changed" in ei.value.diag.message_primary
    assert "changed on Instagram since the row was read" in ei.value.diag.message_hint
    assert writes_after(sb, mark) == []


def test_delete_comment_and_reply(ig):
    sb, media = ig.sandbox, commentable(ig)
    cid = ig.graph.post("%s/comments" % media, message="to be deleted")["id"]
    top = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    rid = ig.graph.post("%s/replies" % top, message="reply to be deleted")["id"]
    mark = log_mark(sb)
    assert ig.execute("DELETE FROM ig.comments WHERE id = %s", (cid,)).rowcount == 1
    assert ig.execute("DELETE FROM ig.replies WHERE id = %s", (rid,)).rowcount == 1
    log = writes_after(sb, mark)
    assert [(w["action"], w["ids"]["comment_id"]) for w in log] == [("comment.delete", cid), ("comment.delete", rid)]
    assert all(w["request"]["method"] == "DELETE" for w in log)
    assert ig.execute("SELECT count(*) FROM ig.comments WHERE id = %s", (cid,)).fetchone()[0] == 0


def test_update_and_delete_on_read_only_or_insert_only_tables(ig):
    with pytest.raises(psycopg.Error) as ei:
        ig.execute("DELETE FROM ig.stories")
    assert "read-only" in ei.value.diag.message_primary
    media = commentable(ig)
    with pytest.raises(psycopg.errors.FeatureNotSupported) as ei:
        ig.execute("UPDATE ig.media SET caption = 'x' WHERE id = %s", (media,))
    assert "UPDATE is not supported on media" in ei.value.diag.message_primary
    assert "ig_media" in ei.value.diag.message_hint


def test_rollback_cannot_undo_what_was_sent(ig):
    """Immediate mode (the default): the call is made during the statement;
    ROLLBACK says plainly which writes it cannot undo."""
    sb, media = ig.sandbox, commentable(ig)
    mark = log_mark(sb)
    with ig.transaction():
        cid = ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'sent before the rollback') "
                         "RETURNING id", (media,)).fetchone()[0]
        raise __import__("psycopg").Rollback()
    assert [w["ids"]["comment_id"] for w in writes_after(sb, mark)] == [cid]
    assert any("ROLLBACK cannot undo the 1 write to Instagram already sent through comments" in n and cid in n
               for n in ig.notices.take())


def test_ambiguous_hide_and_delete_are_repeated_once(ig):
    """Hide and DELETE cannot duplicate anything: after a reset that follows
    the applied request they are sent once more and the statement succeeds."""
    sb, media = ig.sandbox, commentable(ig)
    target = ig.graph.others_comments(sb.accounts[0], 1)[0]["id"]
    mark = log_mark(sb)
    sb.set_faults("reset_after@nth=1,method=POST")
    ig.execute("UPDATE ig.comments SET hidden = true WHERE id = %s", (target,))
    sb.set_faults(None)
    assert [(w["action"], w["ids"]["comment_id"]) for w in writes_after(sb, mark)] == [("comment.hide", target)] * 2
    assert ig.graph.get(target, fields="hidden")["hidden"] is True
    ig.graph.post(target, hide="false")
    cid = ig.graph.post("%s/comments" % media, message="delete me twice")["id"]
    mark = log_mark(sb)
    sb.set_faults("reset_after@nth=1,method=DELETE")
    assert ig.execute("DELETE FROM ig.comments WHERE id = %s", (cid,)).rowcount == 1
    sb.set_faults(None)
    assert [(w["action"], w["ids"]["comment_id"]) for w in writes_after(sb, mark)] == [("comment.delete", cid)]


def test_delete_of_a_missing_comment(ig):
    sb, media = ig.sandbox, commentable(ig)
    cid = ig.graph.post("%s/comments" % media, message="already gone")["id"]
    assert ig.execute("DELETE FROM ig.comments WHERE id = %s", (cid,)).rowcount == 1
    # the scan no longer finds it: nothing to delete, no call
    mark = log_mark(sb)
    assert ig.execute("DELETE FROM ig.comments WHERE id = %s", (cid,)).rowcount == 0
    assert writes_after(sb, mark) == []
