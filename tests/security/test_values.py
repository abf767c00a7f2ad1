"""Values from SQL into Graph API requests (issue 11, attacks 1 and 2).

Every test runs as a role that has SELECT (or INSERT/UPDATE/DELETE) on the
imported tables and nothing else, and asserts what the sandbox saw: an
invalid value is an ERROR (SQLSTATE 22023) naming the column before any
request; a legitimate free-text value (a non-ASCII hashtag) travels
percent-encoded as one query value."""

from urllib.parse import parse_qs

import psycopg
import pytest

from ig_fdw import tables
from tests.security.conftest import reader_grants, sandbox_calls

HOSTILE = [
    "/", "?", "#", "&", "%", "..", "{", "}", "(", ")", ",", " ", "\t", "\n", "a b",
    "me/accounts?x=#", "../me", "me", "1#x", "1?fields=access_token", "%2e%2e%2fme", "1/comments",
    "x){id},name{", "1,2", "1&ids=2", "17841400000000001 ", "\u0661\u0662\u0663", "\uff11\uff12",
    "caf\u00e9", "\u65e5\u672c", "x" * 100000, "",
]

#: values that are legitimate for a kind (and so reach the API, as one query value or inside
#: the parentheses of a field expansion); everything else in HOSTILE is refused
ACCEPTED = {"hashtag": {"caf\u00e9", "\u65e5\u672c", "\u0661\u0662\u0663", "\uff11\uff12", "me"},
            "username": {"me"}, "name": {"me"}, "names": {"me"}}


KNOWN_PARAMETERS = {"period", "metric_type", "metric", "breakdown", "timeframe", "since", "until", "appsecret_proof",
                    "q", "user_id", "fields", "limit"}


def assert_intended(sb, table, column, value):
    """An accepted value reached only the table's own endpoint, as one value."""
    seen = sandbox_calls(sb)
    acct = sb.accounts[0]
    kind = table.source.kind
    if kind == "search":
        paths, where = {"/v22.0/ig_hashtag_search"}, "q"
    elif kind == "expansion":
        paths, where = {"/v22.0/%s" % acct}, "fields"
    else:
        paths, where = {"/v22.0/%s/insights" % acct}, column
    assert {c["path"] for c in seen} <= paths, seen
    for c in seen:
        query = parse_qs(c["query"])
        if kind == "expansion":
            assert query[where][0].startswith("%s(%s){" % (table.source.expansion, value)), query
        elif where in query:     # a table with a fixed metric_type sends its own
            assert query[where] in ([value], [table.source.insights.metric_type if table.source.insights else None])
        assert set(query) <= KNOWN_PARAMETERS, query

#: a valid value for the other required filters of a table
REQUIRED = {
    "metric": "'reach'",
    "since": "'2026-10-20'",
    "hashtag_id": "'17843853986012965'",
    "media_id": "'17900000000000001'",
    "username": "'someone'",
    "comment_id": "'17900000000000002'",
    "name": "'coffee'",
}


def key_columns():
    """(table, column, kind) for every key column whose values go into requests."""
    out = []
    for t in tables.ALL:
        if t.source.kind == "procedure":
            continue
        for col in dict.fromkeys(q.column for q in t.quals):
            kind = t.column(col).kind
            if kind and kind != "text":
                out.append((t, col, kind))
    return out


def others(table, column):
    """WHERE clauses for the table's other required filters (one per group)."""
    req = [q.column for q in table.required_quals if q.column != column]
    if not req or any(q.column == column for q in table.required_quals):
        return ""
    name = req[0]
    if name == "since":
        return " AND since >= %s" % REQUIRED["since"]
    return " AND %s = %s" % (name, REQUIRED[name])


@pytest.fixture
def reader(ig, roles):
    """A role with SELECT on ig.* (it uses PUBLIC's mapping, the administrator's token)."""
    sb = ig.sandbox
    ig.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
               "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (sb.user_token(), sb.app_secret))
    role = roles.make("reader", reader_grants())
    conn = roles.connect(role)
    conn.sandbox = sb
    return conn


def test_hostile_strings_through_every_key_column(reader):
    """Every hostile string through every key column of every table (one
    database for the whole sweep: the statements fail before any call)."""
    sb = reader.sandbox
    swept = 0
    for table, column, kind in key_columns():
        sweep_column(reader, sb, table, column, kind)
        swept += 1
    assert swept >= 75      # 36 tables; see key_columns()


def sweep_column(reader, sb, table, column, kind):
    accepted = ACCEPTED.get(kind, set())
    sql = "SELECT count(*) FROM ig.%s WHERE %s = %%s%s" % (table.name, column, others(table, column))
    takes_lists = "IN" in {o for q in table.quals_for(column) for o in q.operators}
    for value in HOSTILE:
        sb.reset_stats()
        if value in accepted:
            try:
                reader.execute(sql, (value,))
            except psycopg.Error:
                pass        # the API may refuse a well-formed name; what matters is where it went
            assert_intended(sb, table, column, value)
            continue
        with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
            reader.execute(sql, (value,))
        message = str(info.value)
        assert "%s.%s" % (table.name, column) in message, message
        assert len(message) < 600, "the error quotes the whole value"
        assert sandbox_calls(sb) == [], (table.name, column, value[:20], sandbox_calls(sb))
        if takes_lists and value in ("me/accounts?x=#", "1,2", "x" * 100000):
            # the same value inside an IN list
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                reader.execute(sql.replace("= %s", "= ANY(%s)"), (["17841400000000001", value],))
            assert sandbox_calls(sb) == []


@pytest.mark.parametrize("table,column", [("comments", "media_id"), ("replies", "comment_id"),
                                          ("media_children", "media_id"), ("insights", "object_id")])
def test_join_parameters_are_checked_too(reader, table, column):
    """The value comes through a join, not a WHERE literal (a one-row VALUES, which PostgreSQL folds
    into a constant qual; a real outer table follows in the next test)."""
    sb = reader.sandbox
    reader.execute("SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off")
    extra = " AND t.metric = 'reach'" if table == "insights" else ""
    for value in ("me/accounts?x=#", "../me", "1?fields=access_token"):
        sb.reset_stats()
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="%s.%s" % (table, column)):
            reader.execute("SELECT count(*) FROM (VALUES (%%s)) v(x) JOIN ig.%s t ON t.%s = v.x%s"
                           % (table, column, extra), (value,))
        assert sandbox_calls(sb) == []


@pytest.mark.parametrize("key_join", ["on", "off"])
@pytest.mark.parametrize("table,column", [("comments", "media_id"), ("replies", "comment_id")])
def test_keys_from_another_table_are_checked_on_both_join_paths(reader, table, column, key_join):
    """Values read from a table the role fills itself: handed over as one ANY list by the runtime's key
    join, or one per outer row by a parameterized nested loop (key join off, as on multicorn2)."""
    sb = reader.sandbox
    reader.execute("SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off")
    reader.execute("SET multicorn.enable_key_join = %s" % key_join)
    reader.execute("CREATE TEMP TABLE v (x text)")
    sql = "SELECT count(*) FROM v JOIN ig.%s t ON t.%s = v.x" % (table, column)
    plan = "\n".join(r[0] for r in reader.execute("EXPLAIN " + sql).fetchall())
    if key_join == "on":
        assert "MulticornKeyJoin" in plan, plan
    else:
        assert "Nested Loop" in plan and "MulticornKeyJoin" not in plan, plan
    for value in ("me/accounts?x=#", "../me", "1?fields=access_token"):
        reader.execute("TRUNCATE v")
        reader.execute("INSERT INTO v VALUES (%s)", (value,))
        sb.reset_stats()
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="%s.%s" % (table, column)):
            reader.execute(sql)
        assert sandbox_calls(sb) == []


def test_reported_attacks_send_nothing(reader):
    """The statements of the issue, as written there."""
    sb = reader.sandbox
    attacks = [
        "SELECT id, business_account_id FROM ig.media WHERE business_account_id = 'me/accounts?x=#'",
        "SELECT id FROM ig.comments WHERE media_id = 'me/accounts?x=#'",
        "SELECT id FROM ig.replies WHERE comment_id = '../me'",
        "SELECT id FROM ig.media_children WHERE media_id = '%2e%2e%2fme'",
        "SELECT id FROM ig.media WHERE id = 'me/accounts'",
        "SELECT id FROM ig.media WHERE id = '1#x'",
        "SELECT id FROM ig.ig_media WHERE id = '1?fields=access_token'",
        "SELECT id FROM ig.business_discovery WHERE username = 'x){id},name{'",
        "SELECT id FROM ig.mentioned_media WHERE media_id = '1){id},name{'",
        "SELECT * FROM ig.insights WHERE metric = 'reach&access_token=x'",
        "SELECT * FROM ig.audience_insights WHERE breakdown = 'age,gender&x=1'",
    ]
    for sql in attacks:
        sb.reset_stats()
        with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
            reader.execute(sql)
        assert "invalid value for column" in str(info.value)
        assert info.value.diag.message_hint and "nothing was sent" in info.value.diag.message_hint
        assert sandbox_calls(sb) == [], sql


def test_valid_values_still_read(reader):
    """The checks do not get in the way of real ids and names."""
    sb = reader.sandbox
    media = reader.execute("SELECT id FROM ig.media LIMIT 2").fetchall()
    assert len(media) == 2
    got = reader.execute("SELECT count(*) FROM ig.media WHERE id = ANY(%s)", ([m[0] for m in media],)).fetchone()
    assert got == (2,)
    username = sb.info()["discovery_usernames"][0]
    assert reader.execute("SELECT username FROM ig.business_discovery WHERE username = %s",
                          (username,)).fetchall() == [(username,)]


@pytest.fixture
def writer(ig, roles):
    sb = ig.sandbox
    ig.execute("CREATE USER MAPPING FOR PUBLIC SERVER instagram OPTIONS (InitiateOAuth 'OFF', "
               "OAuthAccessToken '%s', OAuthClientSecret '%s')" % (sb.user_token(), sb.app_secret))
    role = roles.make("writer", reader_grants() + (
        "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ig TO %(role)s",))
    conn = roles.connect(role)
    conn.sandbox = sb
    return conn


@pytest.mark.parametrize("sql", [
    "INSERT INTO ig.comments (media_id, text) VALUES ('me/accounts?x=#', 'hello')",
    "INSERT INTO ig.comments (media_id, text) VALUES ('1/comments', 'hello')",
    "INSERT INTO ig.replies (comment_id, text) VALUES ('../me', 'hello')",
    "INSERT INTO ig.media (business_account_id, image_url) VALUES ('me?x=1', 'https://example.com/a.jpg')",
    "UPDATE ig.comments SET hidden = true WHERE id = '1?fields=access_token'",
    "DELETE FROM ig.comments WHERE id = 'me'",
    "DELETE FROM ig.ig_media WHERE id = '1#x'",
    "UPDATE ig.replies SET hidden = true WHERE id = '..'",
])
def test_writes_check_their_ids(writer, sql):
    sb = writer.sandbox
    sb.reset_stats()
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid value for column"):
        writer.execute(sql)
    assert sandbox_calls(sb) == []
    assert sb.writes() == [] or all(w.get("action") is None for w in sb.writes())


def test_every_key_column_declares_its_kind():
    """A new table or key column cannot skip the checks: the catalog must say
    what its values look like (timestamps are typed by PostgreSQL)."""
    from ig_fdw import values
    missing = []
    for t in tables.ALL:
        for q in t.quals:
            col = t.column(q.column)
            if col.type == "timestamptz":
                continue
            if col.kind not in values.KINDS and col.kind not in values.FREE:
                missing.append("%s.%s" % (t.name, q.column))
            if col.kind in values.FREE and t.source.kind != "procedure":
                missing.append("%s.%s (free text outside a procedure)" % (t.name, q.column))
    assert missing == []
