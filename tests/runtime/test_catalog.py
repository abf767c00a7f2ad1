"""Options merging, instance caching, IMPORT FOREIGN SCHEMA."""


from tests.runtime.helpers import RECORDER, make_server, make_table


def test_option_precedence_user_mapping_over_server_over_table(conn):
    conn.execute("CREATE SERVER srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '%s', a 'server', b 'server')"
                 % RECORDER)
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER srv OPTIONS (a 'public', c 'public')")
    make_table(conn, "t", "id int", options={"a": "table", "b": "table", "d": "table", "rows": "1"})
    conn.notices.take()
    conn.execute("SELECT * FROM t").fetchall()
    assert "init a,b,c,d,rows" in conn.notices.take()


def test_options_values_reach_the_instance(conn):
    conn.execute("CREATE SERVER srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'tests.fdws.options.Echo', a 'server', b 'server')")
    conn.execute("CREATE USER MAPPING FOR PUBLIC SERVER srv OPTIONS (a 'public')")
    make_table(conn, "t", "k text, v text", options={"a": "table", "b": "table", "d": "table"})
    assert dict(conn.execute("SELECT * FROM t").fetchall()) == {"a": "public", "b": "server", "d": "table"}
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER srv OPTIONS (a 'mine')")
    assert dict(conn.execute("SELECT * FROM t").fetchall())["a"] == "mine"


def test_instance_cached_and_rebuilt_on_change(conn):
    make_server(conn, RECORDER)
    make_table(conn, "t", "id int", options={"rows": "2"})
    conn.notices.take()
    conn.execute("SELECT * FROM t").fetchall()
    conn.execute("SELECT * FROM t").fetchall()
    assert len([n for n in conn.notices.take() if n.startswith("init")]) == 1
    conn.execute("ALTER FOREIGN TABLE t OPTIONS (SET rows '3')")
    assert len(conn.execute("SELECT * FROM t").fetchall()) == 3
    conn.execute("ALTER FOREIGN TABLE t ADD COLUMN name text")
    assert conn.execute("SELECT name FROM t WHERE id = 1").fetchone() == ("n1",)
    assert len([n for n in conn.notices.take() if n.startswith("init")]) == 2


def test_column_definitions_and_options(conn):
    make_server(conn, "tests.fdws.options.Echo")
    conn.execute("CREATE FOREIGN TABLE cols (k text, v text, extra varchar(12) OPTIONS (src 'x')) "
                 "SERVER srv OPTIONS (mode 'columns')")
    got = dict(conn.execute("SELECT k, v FROM cols").fetchall())
    assert got == {"k": "text|text|25|-1|{}", "v": "text|text|25|-1|{}",
                   "extra": "character varying(12)|character varying|1043|16|{'src': 'x'}"}


def test_import_foreign_schema_limit_to_and_except(conn):
    make_server(conn, RECORDER, options="srvopt 'x'")
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER srv OPTIONS (umopt 'y')")
    conn.execute("CREATE SCHEMA a")
    conn.execute("CREATE SCHEMA b")
    conn.execute("CREATE SCHEMA c")
    conn.notices.take()
    conn.execute("IMPORT FOREIGN SCHEMA remote FROM SERVER srv INTO a OPTIONS (kind 'k1')")
    conn.execute("IMPORT FOREIGN SCHEMA remote LIMIT TO (alpha) FROM SERVER srv INTO b")
    conn.execute("IMPORT FOREIGN SCHEMA remote EXCEPT (beta) FROM SERVER srv INTO c")
    notices = conn.notices.take()
    assert "import_schema remote ['srvopt', 'umopt'] None []" in notices
    assert "import_schema remote ['srvopt', 'umopt'] limit ['alpha']" in notices
    assert "import_schema remote ['srvopt', 'umopt'] except ['beta']" in notices
    tables = conn.execute("SELECT foreign_table_schema, foreign_table_name FROM information_schema.foreign_tables "
                          "ORDER BY 1, 2").fetchall()
    assert tables == [("a", "alpha"), ("a", "beta"), ("a", "gamma"), ("b", "alpha"), ("c", "alpha"), ("c", "gamma")]
    opts = conn.execute("SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'a.alpha'::regclass").fetchone()[0]
    assert sorted(opts) == ["kind=k1", "rows=3"]
    colopts = conn.execute("SELECT attfdwoptions FROM pg_attribute WHERE attrelid = 'a.beta'::regclass "
                           "AND attname = 'name'").fetchone()[0]
    assert colopts == ["src=beta"]
    assert conn.execute("SELECT count(*) FROM c.gamma").fetchone() == (3,)
