"""Regressions found in the runtime review (pgext/).

Non-UTF8 databases: a message that the database encoding cannot hold must
not make a PostgreSQL error longjmp across Python frames (it crashed the
backend), and an error parked where nobody rethrows it (commit/rollback
hooks, a generator closed while an aborted query's memory is released) must
not resurface in a later statement.
"""

import psycopg
import pytest

PROBE = "tests.fdws.review.Probe"
EURO = "euro \\u20ac"          # the Probe unescapes it: a character LATIN1 lacks


@pytest.fixture
def latin1(cluster):
    """A LATIN1 database with the extension and Probe tables."""
    name = "review_latin1"
    with psycopg.connect(cluster.dsn(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        admin.execute("CREATE DATABASE %s ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
                      "TEMPLATE template0" % name)
    conn = psycopg.connect(cluster.dsn(name), autocommit=True)
    conn.postmaster_pid = cluster.postmaster_pid()
    conn.notices = []
    conn.add_notice_handler(lambda d: conn.notices.append(d.message_primary))
    conn.execute("CREATE EXTENSION multicorn")
    conn.execute("CREATE SERVER p FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '%s')" % PROBE)
    conn.execute("CREATE FOREIGN TABLE ok (id int, name text) SERVER p OPTIONS (quiet_hooks '1')")
    try:
        yield conn
    finally:
        conn.close()
        with psycopg.connect(cluster.dsn(), autocommit=True) as admin:
            admin.execute("DROP DATABASE %s WITH (FORCE)" % name)


def table(conn, name, **options):
    opts = dict(quiet_hooks="1")
    opts.update(options)
    conn.execute("CREATE FOREIGN TABLE %s (id int, name text) SERVER p OPTIONS (%s)"
                 % (name, ", ".join("%s '%s'" % kv for kv in opts.items())))


def state(conn):
    """(backend pid, postmaster pid), asking the server nothing: the order of
    statements decides what garbage a dangling Python frame pointer meets."""
    return conn.info.backend_pid, conn.postmaster_pid


def assert_healthy(conn, before):
    assert not conn.closed
    assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] == before[0]
    assert conn.postmaster_pid == before[1]
    assert conn.execute("SELECT count(*) FROM ok").fetchone()[0] == 3


def test_log_untranslatable_message_is_an_error_not_a_crash(latin1):
    table(latin1, "e", mode="logmsg", msg=EURO, keep="1")
    table(latin1, "running", mode="report_running")
    before = state(latin1)
    for i in range(5):
        with pytest.raises(psycopg.errors.UntranslatableCharacter):
            latin1.execute("SELECT * FROM e").fetchall()
        assert latin1.info.backend_pid == before[0]
        # The generator's frame must have unwound (it was abandoned mid-call).
        latin1.notices.clear()
        latin1.execute("SELECT * FROM running").fetchall()
        assert latin1.notices == ["running=0"]
        # Enter Python from elsewhere (the validator, the planner): with the
        # frames a longjmp abandoned, this crashed the backend.
        latin1.execute("CREATE FOREIGN TABLE x%d (id int) SERVER p" % i)
        latin1.execute("SELECT count(*) FROM ok").fetchall()
        latin1.execute("EXPLAIN SELECT * FROM ok WHERE id = 1").fetchall()
        latin1.execute("SELECT * FROM ok o1 JOIN ok o2 USING (id) ORDER BY 1").fetchall()
        assert_healthy(latin1, before)


def test_log_ascii_message_in_latin1_database(latin1):
    table(latin1, "a", mode="logmsg", msg="plain ascii")
    assert latin1.execute("SELECT count(*) FROM a").fetchone()[0] == 3
    assert "plain ascii" in latin1.notices


@pytest.mark.parametrize("hook", ["rollback", "commit"])
def test_failing_nothrow_hook_leaves_no_parked_error(latin1, hook):
    table(latin1, "h", hook_msg=EURO, hook_msg_on=hook)
    before = state(latin1)
    latin1.execute("BEGIN")
    latin1.execute("SELECT count(*) FROM h").fetchall()
    if hook == "rollback":
        with pytest.raises(psycopg.errors.DivisionByZero):
            latin1.execute("SELECT 1/0")
        latin1.execute("ROLLBACK")
    else:
        latin1.execute("COMMIT")       # commit() failing is only a WARNING
    assert any(("%s() failed" % hook) in m for m in latin1.notices)
    # The error parked inside the hook must not come back here.
    assert_healthy(latin1, before)
    assert_healthy(latin1, before)


def test_generator_finally_error_after_abort_is_not_leaked(latin1):
    table(latin1, "g", mode="gen_fin", rows="1000", msg=EURO)
    before = state(latin1)
    with pytest.raises(psycopg.errors.DivisionByZero):
        latin1.execute("SELECT id / (id - 2) FROM g").fetchall()
    assert_healthy(latin1, before)


@pytest.fixture
def probe(conn):
    conn.execute("CREATE SERVER p FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '%s')" % PROBE)
    return conn


def test_lateral_reference_makes_every_path_parameterized(probe):
    """A LATERAL subquery's expression evaluated at the foreign scan: the scan
    must be rerun per outer row, not materialized once (wrong results)."""
    probe.execute("CREATE FOREIGN TABLE ft (id int, name text) SERVER p OPTIONS (quiet_hooks '1')")
    probe.execute("CREATE TABLE t (x int)")
    probe.execute("INSERT INTO t VALUES (1), (2)")
    probe.execute("ANALYZE t")
    for order in ("", " ORDER BY ft.id"):
        rows = probe.execute(
            "SELECT t.x, s.tx, s.id FROM t LEFT JOIN LATERAL "
            "(SELECT t.x AS tx, ft.id FROM ft%s) s ON true ORDER BY 1, 3" % order).fetchall()
        assert rows == [(1, 1, 1), (1, 1, 2), (1, 1, 3), (2, 2, 1), (2, 2, 2), (2, 2, 3)]


@pytest.fixture(scope="module")
def cluster_2pc(cluster):
    """A second cluster with prepared transactions enabled (the runtime is
    already built and installed by `cluster`)."""
    from tests.pg import Cluster
    c = Cluster(settings={"max_prepared_transactions": "2"})
    try:
        c.start()
        yield c
    finally:
        c.cleanup()


def test_prepare_transaction_is_refused_after_foreign_access(cluster_2pc):
    with psycopg.connect(cluster_2pc.dsn(), autocommit=True) as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute("CREATE EXTENSION IF NOT EXISTS multicorn")
        conn.execute("CREATE SERVER p FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '%s')" % PROBE)
        conn.execute("CREATE FOREIGN TABLE hk (id int, name text) SERVER p")
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM hk")
        del notices[:]
        # The hooks have no two-phase protocol: after a PREPARE they fired
        # for the next transaction instead (pre_commit/commit even for a
        # ROLLBACK PREPARED).
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("PREPARE TRANSACTION 'mc_px'")
        assert notices == ["hook rollback"]
        del notices[:]
        assert conn.execute("SELECT count(*) FROM pg_prepared_xacts").fetchone()[0] == 0
        # A transaction that did not use the FDW still prepares.
        conn.execute("BEGIN")
        conn.execute("SELECT 1")
        conn.execute("PREPARE TRANSACTION 'mc_py'")
        conn.execute("ROLLBACK PREPARED 'mc_py'")
        assert notices == []
        # And the next transaction gets begin() again.
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM hk")
        conn.execute("COMMIT")
        assert notices == ["hook begin", "hook pre_commit", "hook commit"]


def test_row_that_fails_conversion_is_not_leaked(probe):
    probe.execute("CREATE FOREIGN TABLE bad (id int, name text) SERVER p "
                  "OPTIONS (quiet_hooks '1', mode 'bad_row')")
    probe.execute("CREATE FOREIGN TABLE rc (id int) SERVER p "
                  "OPTIONS (quiet_hooks '1', mode 'report_refcount')")

    def refcount():
        probe.notices.take()
        probe.execute("SELECT * FROM rc").fetchall()
        return [int(m.split("=")[1]) for m in probe.notices.take() if m.startswith("refcount=")][0]

    with pytest.raises(psycopg.errors.FdwInvalidDataType):
        probe.execute("SELECT * FROM bad").fetchall()
    first = refcount()
    for _ in range(5):
        with pytest.raises(psycopg.errors.FdwInvalidDataType):
            probe.execute("SELECT * FROM bad").fetchall()
    assert refcount() == first


def test_non_ascii_column_names_in_latin1_database(latin1):
    """Names come in the server encoding; they were decoded as UTF-8."""
    latin1.execute("CREATE FOREIGN TABLE caf (id text, \"caf\u00e9\" text) SERVER p "
                   "OPTIONS (quiet_hooks '1', show_quals '1', mode 'names')")
    del latin1.notices[:]
    rows = latin1.execute("SELECT * FROM caf WHERE \"caf\u00e9\" = 'caf\u00e9'").fetchall()
    assert rows == [("id", "caf\u00e9")]
    assert "qual 'caf\u00e9' '=' 'caf\u00e9'" in latin1.notices
    del latin1.notices[:]
    assert latin1.execute("INSERT INTO caf VALUES ('1', '\u00e9t\u00e9') RETURNING \"caf\u00e9\"").fetchall() \
        == [("\u00e9t\u00e9",)]
    assert "insert [('caf\u00e9', '\u00e9t\u00e9'), ('id', '1')]" in latin1.notices


@pytest.mark.parametrize("how", ["busy", "longsleep"])
def test_pg_terminate_backend_interrupts_python(conn, connect, how):
    """SIGTERM was not relayed into Python: a busy or sleeping wrapper kept
    the backend alive (and a fast shutdown waiting) until a cancel came."""
    import threading
    import time
    conn.execute("CREATE SERVER busy FOREIGN DATA WRAPPER multicorn "
                 "OPTIONS (wrapper 'tests.fdws.cancel.Busy')")
    conn.execute("CREATE FOREIGN TABLE b (id int) SERVER busy OPTIONS (how '%s')" % how)
    other = connect()
    pid = conn.info.backend_pid
    started = other.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
    timer = threading.Timer(0.3, lambda: other.execute("SELECT pg_terminate_backend(%s)", (pid,)))
    # Without the fix nothing but a cancel ends the statement: send one late.
    rescue = threading.Timer(6, lambda: other.execute("SELECT pg_cancel_backend(%s)", (pid,)))
    timer.start()
    rescue.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT count(*) FROM b").fetchall()
        elapsed = time.monotonic() - t0
    finally:
        timer.cancel()
        rescue.cancel()
    assert elapsed < 3
    assert other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0] == 0
    assert other.execute("SELECT pg_postmaster_start_time()").fetchone()[0] == started


def test_validator_uses_the_server_of_the_running_statement(probe):
    """The validator re-parsed the whole query string and took the first
    matching statement: in a multi-statement string the second table was
    validated by the first table's wrapper."""
    probe.execute("CREATE SERVER pb FOREIGN DATA WRAPPER multicorn "
                  "OPTIONS (wrapper 'tests.fdws.review.ProbeB')")
    probe.notices.take()
    probe.execute("CREATE FOREIGN TABLE f1 (id int) SERVER p OPTIONS (one '1'); "
                  "CREATE FOREIGN TABLE f2 (id int) SERVER pb OPTIONS (two '2'); "
                  "ALTER FOREIGN TABLE f1 OPTIONS (ADD three '3'); "
                  "ALTER FOREIGN TABLE f2 OPTIONS (ADD four '4')")
    got = [m for m in probe.notices.take() if m.startswith("validate ")]
    assert got == ["validate Probe table one", "validate ProbeB table two",
                   "validate Probe table one,three", "validate ProbeB table four,two"]


def expr_table(conn, name, coltype, expr):
    conn.execute("CREATE FOREIGN TABLE %s (v %s) SERVER p OPTIONS (quiet_hooks '1', mode 'expr', expr '%s')"
                 % (name, coltype, expr.replace("'", "''")))


def test_domains_over_directly_converted_types(probe):
    """A domain over jsonb or an array got str(value) through the domain's
    input function: a dict became "{'a': 1}" (not JSON), a list "[1, 2]"."""
    probe.execute("CREATE DOMAIN jobj AS jsonb CHECK (jsonb_typeof(VALUE) = 'object')")
    probe.execute("CREATE DOMAIN small_arr AS int[] CHECK (cardinality(VALUE) < 3)")
    probe.execute("CREATE DOMAIN posint AS int CHECK (VALUE > 0)")
    expr_table(probe, "j", "jobj", "[[{'a': 1}]]")
    assert probe.execute("SELECT v::text FROM j").fetchall() == [('{"a": 1}',)]
    expr_table(probe, "a", "small_arr", "[[[1, None]], ['{3}']]")
    assert probe.execute("SELECT v::text FROM a").fetchall() == [("{1,NULL}",), ("{3}",)]
    expr_table(probe, "pa", "posint[]", "[[[1, None, 2]]]")
    assert probe.execute("SELECT v::text FROM pa").fetchall() == [("{1,NULL,2}",)]
    # The domains' constraints still hold.
    for name, coltype, expr in [("j2", "jobj", "[[[1]]]"), ("a2", "small_arr", "[[[1, 2, 3]]]"),
                                ("p2", "posint", "[[0]]"), ("pa2", "posint[]", "[[[1, -1]]]")]:
        expr_table(probe, name, coltype, expr)
        with pytest.raises(psycopg.errors.CheckViolation):
            probe.execute("SELECT * FROM %s" % name).fetchall()


def test_ragged_list_with_empty_first_sublist_is_rejected(probe):
    """[[], [1]] was stored as an empty array (the [1] silently dropped)."""
    expr_table(probe, "r", "int[]", "[[[[], [1]]]]")
    with pytest.raises(psycopg.errors.FdwInvalidDataType, match="matching lengths"):
        probe.execute("SELECT * FROM r").fetchall()
    expr_table(probe, "e", "int[]", "[[[[], []]]]")
    assert probe.execute("SELECT v::text FROM e").fetchall() == [("{}",)]


def test_copy_from_and_partition_routing_insert(probe):
    """COPY FROM, and rows routed to a foreign partition, call
    ExecForeignInsert without BeginForeignModify: the backend crashed."""
    probe.execute("CREATE FOREIGN TABLE w (id int, name text) SERVER p OPTIONS (quiet_hooks '1')")
    pid = probe.info.backend_pid
    probe.notices.take()
    with probe.cursor().copy("COPY w FROM STDIN") as copy:
        copy.write_row((1, "a"))
        copy.write_row((2, "b"))
    assert [m for m in probe.notices.take() if m.startswith("insert")] == [
        "insert [('id', 1), ('name', 'a')]", "insert [('id', 2), ('name', 'b')]"]
    probe.execute("CREATE TABLE pt (id int, name text) PARTITION BY RANGE (id)")
    probe.execute("CREATE TABLE pt_local PARTITION OF pt FOR VALUES FROM (0) TO (10)")
    probe.execute("ALTER TABLE pt ATTACH PARTITION w FOR VALUES FROM (10) TO (20)")
    assert probe.execute("INSERT INTO pt VALUES (11, 'x'), (1, 'y') RETURNING *").fetchall() == [
        (11, "x"), (1, "y")]
    assert probe.execute("UPDATE pt SET id = 12 WHERE id = 1 RETURNING *").fetchall() == [(12, "y")]
    assert [m for m in probe.notices.take() if m.startswith("insert")] == [
        "insert [('id', 11), ('name', 'x')]", "insert [('id', 12), ('name', 'y')]"]
    assert probe.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
    # Moving rows into a foreign partition the same UPDATE updates: the
    # UPDATE's state was replaced by the insert's ("cache lookup failed").
    probe.execute("INSERT INTO pt_local VALUES (2, 'z')")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="which the same statement updates"):
        probe.execute("UPDATE pt SET id = id + 10 WHERE name IN ('z', 'n1')")
    assert probe.execute("SELECT pg_backend_pid()").fetchone()[0] == pid


def test_multicorn2_public_names(probe):
    """multicorn.get_class, multicorn._utils and Qual's repr as multicorn2 has them."""
    probe.execute("CREATE FOREIGN TABLE api (id int) SERVER p OPTIONS (quiet_hooks '1', mode 'api')")
    probe.notices.take()
    probe.execute("SELECT * FROM api").fetchall()
    assert probe.notices.take() == ["via _utils", "get_class ProbeB", "repr name = x | id = ANY([1, 2])"]


def test_conversion_edge_cases(probe):
    """Errors name the column (numeric typmod overflow said only "numeric
    field overflow"); a float too small for real is an error, not 0 (as
    float4in); memoryview is bytes, not its str(); a tzinfo whose utcoffset()
    is None is naive (read in TimeZone), not UTC."""
    probe.execute("SET TimeZone = 'America/New_York'")
    for name, coltype, expr in [("n1", "numeric(5,2)", "[[decimal.Decimal('123456')]]"),
                                ("n2", "numeric(5,2)", "[[10**9]]"),
                                ("f1", "real", "[[1e-300]]")]:
        expr_table(probe, name, coltype, expr)
        with pytest.raises(psycopg.errors.FdwInvalidDataType, match='column "v" of foreign table "%s"' % name):
            probe.execute("SELECT * FROM %s" % name).fetchall()
    expr_table(probe, "f2", "real", "[[0.0], [1e-40]]")
    assert probe.execute("SELECT v::text FROM f2").fetchall() == [("0",), ("1e-40",)]
    expr_table(probe, "b", "bytea", "[[memoryview(b'mv')]]")
    assert probe.execute("SELECT encode(v, 'hex') FROM b").fetchall() == [("6d76",)]
    expr_table(probe, "ts", "timestamptz",
               "[[datetime.datetime(2024, 7, 1, 12, 0, tzinfo=__import__('tests.fdws.review', "
               "fromlist=['NoOffset']).NoOffset())]]")
    assert probe.execute("SELECT v::text FROM ts").fetchall() == [("2024-07-01 12:00:00-04",)]


def test_can_limit_result_that_cannot_be_tested_for_truth(probe):
    """A failed truth test of can_limit()'s result left a Python exception
    set under PostgreSQL; it is now the statement's ERROR."""
    probe.execute("CREATE FOREIGN TABLE lim (id int, name text) SERVER p OPTIONS (quiet_hooks '1', bad_limit '1')")
    with pytest.raises(psycopg.errors.FdwError, match="no truth"):
        probe.execute("SELECT * FROM lim LIMIT 1").fetchall()
    assert probe.execute("SELECT count(*) FROM lim").fetchone()[0] == 3


def test_failed_sub_commit_is_followed_by_sub_rollback(probe):
    """Like a failed pre_commit() (then rollback()), a failed sub_commit()
    is followed by sub_rollback(): the depth was lowered before the check."""
    probe.execute("CREATE FOREIGN TABLE sx (id int, name text) SERVER p OPTIONS (fail_on 'sub_commit')")
    probe.execute("BEGIN")
    probe.execute("SELECT 1 FROM sx")
    probe.execute("SAVEPOINT a")
    probe.execute("SELECT 1 FROM sx")
    probe.notices.take()
    with pytest.raises(psycopg.errors.FdwError, match="sub_commit 2 failed"):
        probe.execute("RELEASE a")
    assert [m for m in probe.notices.take() if m.startswith("hook")] == [
        "hook sub_commit 2 (failing)", "hook sub_rollback 2", "hook rollback"]
    probe.execute("ROLLBACK")


def test_cached_plan_uses_the_current_roles_user_mapping(probe):
    """The scan took its user from the plan: after SET ROLE a prepared
    statement (or a PL/pgSQL query) kept using the planning role's user
    mapping, i.e. another role's credentials."""
    roles = ("mc_review_r1", "mc_review_r2")
    try:
        for role in roles:
            probe.execute("CREATE ROLE %s" % role)
            probe.execute("CREATE USER MAPPING FOR %s SERVER p OPTIONS (who '%s')" % (role, role))
        probe.execute("CREATE FOREIGN TABLE wh (id int) SERVER p OPTIONS (mode 'whoami', quiet_hooks '1')")
        probe.execute("GRANT SELECT ON wh TO %s, %s" % roles)
        probe.execute("SET plan_cache_mode = force_generic_plan")
        probe.execute("SET ROLE %s" % roles[0])
        probe.execute("PREPARE s AS SELECT * FROM wh")
        seen = []
        for role in roles:
            probe.execute("SET ROLE %s" % role)
            probe.notices.take()
            probe.execute("EXECUTE s")
            seen += [m for m in probe.notices.take() if m.startswith("who=")]
        assert seen == ["who=%s" % roles[0], "who=%s" % roles[1]]
    finally:
        probe.execute("RESET ROLE")
        probe.execute("DEALLOCATE ALL")
        for role in roles:
            probe.execute("DROP USER MAPPING IF EXISTS FOR %s SERVER p" % role)
            probe.execute("DROP OWNED BY %s" % role)
            probe.execute("DROP ROLE IF EXISTS %s" % role)


def test_instance_replaced_mid_transaction_keeps_its_hooks(conn):
    """Options changed inside a transaction rebuild the instance; the old
    one was dropped without pre_commit(), losing a transaction-aware
    wrapper's queued writes while COMMIT succeeded."""
    conn.execute("CREATE SERVER qs FOREIGN DATA WRAPPER multicorn "
                 "OPTIONS (wrapper 'tests.fdws.writable.Queued')")
    conn.execute("CREATE FOREIGN TABLE qt (id int, text text, note text) SERVER qs "
                  "OPTIONS (store 'review_retired')")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO qt VALUES (1, 'a', 'n')")
    conn.execute("ALTER FOREIGN TABLE qt OPTIONS (ADD extra '1')")
    conn.execute("INSERT INTO qt VALUES (2, 'b', 'n')")
    conn.execute("COMMIT")
    assert conn.execute("SELECT id FROM qt ORDER BY id").fetchall() == [(1,), (2,)]
    # A rollback reaches the retired instance too.
    conn.execute("BEGIN")
    conn.execute("INSERT INTO qt VALUES (3, 'c', 'n')")
    conn.execute("ALTER FOREIGN TABLE qt OPTIONS (ADD more '1')")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT id FROM qt ORDER BY id").fetchall() == [(1,), (2,)]
