"""WriteMode is an entry of the option table (ig_fdw.options): accepted on
the server, the user mapping and the foreign table, with 'on-commit' the
same as 'on_commit' everywhere; a bad value is refused at CREATE/ALTER."""

import psycopg
import pytest

from tests.writes.conftest import log_mark, writes_after
from tests.writes.test_comments import commentable

WHERE = {
    "table": "ALTER FOREIGN TABLE ig.comments OPTIONS (ADD WriteMode '%s')",
    "server": "ALTER SERVER instagram OPTIONS (ADD WriteMode '%s')",
    "user_mapping": "ALTER USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (ADD WriteMode '%s')",
}


@pytest.mark.parametrize("level", sorted(WHERE))
@pytest.mark.parametrize("spelling", ["on_commit", "on-commit", "ON-COMMIT"])
def test_on_commit_is_accepted_at_every_level_in_every_spelling(ig, level, spelling):
    sb, media = ig.sandbox, commentable(ig)
    ig.execute(WHERE[level] % spelling)
    mark = log_mark(sb)
    with ig.transaction():
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, %s)", (media, "held by " + level))
        assert writes_after(sb, mark) == []               # queued, not sent
        assert any("1 row queued, to be sent at COMMIT" in n for n in ig.notices.take())
    assert [w["ids"]["text"] for w in writes_after(sb, mark)] == ["held by " + level]


def test_the_user_mapping_wins_over_the_table(ig):
    """Options merge table, server, user mapping; on a duplicate the user mapping wins (docs/runtime.md)."""
    sb, media = ig.sandbox, commentable(ig)
    ig.execute(WHERE["table"] % "on_commit")
    ig.execute(WHERE["user_mapping"] % "immediate")
    mark = log_mark(sb)
    with ig.transaction():
        ig.execute("INSERT INTO ig.comments (media_id, text) VALUES (%s, 'sent at once')", (media,))
        assert [w["ids"]["text"] for w in writes_after(sb, mark)] == ["sent at once"]


@pytest.mark.parametrize("level", sorted(WHERE))
def test_a_bad_value_is_refused_at_alter_with_the_values(ig, level):
    with pytest.raises(psycopg.Error) as ei:
        ig.execute(WHERE[level] % "later")
    assert ei.value.sqlstate == "22023"
    assert 'invalid value for option "WriteMode": "later"' in ei.value.diag.message_primary
    assert "immediate, on_commit" in ei.value.diag.message_hint
