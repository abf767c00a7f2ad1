"""Small helpers for the runtime tests."""

RECORDER = "tests.fdws.recorder.Recorder"


def make_server(conn, wrapper, name="srv", options=""):
    extra = (", " + options) if options else ""
    conn.execute("CREATE SERVER %s FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '%s'%s)"
                 % (name, wrapper, extra))


def make_table(conn, name, columns, server="srv", options=None):
    opts = ""
    if options:
        opts = " OPTIONS (%s)" % ", ".join("%s '%s'" % (k, v.replace("'", "''"))
                                            for k, v in options.items())
    conn.execute("CREATE FOREIGN TABLE %s (%s) SERVER %s%s" % (name, columns, server, opts))


def recorder(conn, columns="id int, name text, flag bool, ts timestamptz, tags text[], score float8",
             **options):
    make_server(conn, RECORDER)
    opts = {"rows": "5"}
    opts.update(options)
    make_table(conn, "t", columns, options=opts)


def quals_of(conn, sql, params=None):
    """Run sql; return the 'qual ...' NOTICEs the recorder emitted."""
    conn.notices.take()
    rows = conn.execute(sql, params).fetchall()
    return [m[5:] for m in conn.notices.take() if m.startswith("qual ")], rows


def explain(conn, sql):
    return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql).fetchall())
