"""``ig-fdw sync``: run the ig_sync schema's work from outside PostgreSQL.

The sync itself lives in SQL (ig_fdw/sql/sync.sql, docs/sync.md): this module only
installs it, adds accounts, and runs ``CALL ig_sync.tick(...)`` from K
threads, each with its own connection, where pg_cron is not available.  The
workers share nothing but the database: they claim work with FOR UPDATE SKIP
LOCKED exactly as pg_cron jobs do.
"""

import os
import sys
import threading

#: Shipped inside the package (setup.py's package_data): `ig-fdw sync --sql-path` prints where.
SQL_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sql", "sync.sql")


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise SystemExit("ig-fdw sync needs psycopg 3 (pip install 'psycopg[binary]'), "
                         "or run the same SQL with psql: CALL ig_sync.tick(100, 300);")
    return psycopg


def schema_sql():
    """The text of the installed sync.sql."""
    with open(SQL_FILE, encoding="utf-8") as f:
        return f.read()


def install(dsn, source_schema=None):
    """Create or update the ig_sync schema (state and synced rows are kept)."""
    psycopg = _psycopg()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(schema_sql())
        if source_schema:
            conn.execute("UPDATE ig_sync.settings SET source_schema = %s", (source_schema,))


def add_accounts(dsn, accounts, schema=None):
    """Schedule accounts; ``schema``: where their foreign tables are, when not the
    settings' source_schema (accounts with their own Instagram Login server)."""
    psycopg = _psycopg()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for a in accounts:
            conn.execute("SELECT ig_sync.add_account(%s, %s)", (a, schema))


def tick(dsn, max_calls=100, max_seconds=300):
    """One worker: CALL ig_sync.tick on its own connection; returns the runs it made."""
    psycopg = _psycopg()
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("CALL ig_sync.tick(%s, %s, NULL)", (int(max_calls), int(max_seconds))).fetchone()
        return row[0] if row else 0


def run_workers(dsn, workers=1, max_calls=100, max_seconds=300):
    """K workers side by side; returns (runs made, errors as text)."""
    results = []
    errors = []
    lock = threading.Lock()

    def work():
        try:
            n = tick(dsn, max_calls, max_seconds)
            with lock:
                results.append(n)
        except Exception as exc:  # reported, the other workers go on
            with lock:
                errors.append(str(exc))

    threads = [threading.Thread(target=work, name="ig-sync-%d" % i) for i in range(max(1, int(workers)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(results), errors


STATUS_SQL = """
SELECT business_account_id, status, coalesce(usage_pct::text, '-') AS usage_pct,
       units_last_hour, coalesce(media_stale::text, 'never') AS media_stale,
       coalesce(media_insights_stale::text, 'never') AS insights_stale, coalesce(errors, '') AS errors
  FROM ig_sync.overview ORDER BY business_account_id
"""


def status(dsn):
    psycopg = _psycopg()
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(STATUS_SQL)
        names = [d.name for d in cur.description]
        return names, cur.fetchall()


def cmd_sync(args):
    if args.sql_path:
        print(SQL_FILE)
        return 0 if os.path.exists(SQL_FILE) else 1
    if not args.dsn:
        print("ig-fdw sync: --dsn is required (e.g. --dsn 'dbname=analytics')", file=sys.stderr)
        return 2
    if args.account_schema and not args.add_account:
        print("ig-fdw sync: --account-schema goes with --add-account", file=sys.stderr)
        return 2
    try:
        if args.install:
            install(args.dsn, args.source_schema)
        if args.add_account:
            add_accounts(args.dsn, args.add_account, args.account_schema)
    except _psycopg().Error as exc:     # a bad id or schema: the database's message and hint
        hint = getattr(getattr(exc, "diag", None), "message_hint", None)
        print("ig-fdw sync: %s%s" % (str(exc).strip(), ("\nHINT: " + hint) if hint else ""), file=sys.stderr)
        return 2
    if args.status:
        names, rows = status(args.dsn)
        print("\t".join(names))
        for r in rows:
            print("\t".join(str(v) for v in r))
        return 0
    if args.install or args.add_account:
        if not args.run:
            return 0
    runs, errors = run_workers(args.dsn, args.workers, args.max_calls, args.max_seconds)
    print("ig-fdw sync: %d (account, stream) runs by %d worker(s)" % (runs, args.workers))
    for e in errors:
        print("ig-fdw sync: worker failed: %s" % e, file=sys.stderr)
    return 1 if errors else 0


def add_command(sub):
    p = sub.add_parser("sync", help="run the incremental sync of ig_sync (docs/sync.md)",
                       description="Run CALL ig_sync.tick(max_calls, max_seconds) from K workers, each on "
                                   "its own connection (the same work pg_cron jobs do). --install creates "
                                   "the ig_sync schema; --add-account schedules an account; --status shows "
                                   "staleness, usage and errors per account.")
    p.add_argument("--dsn", help="libpq connection string of the database holding ig_sync")
    p.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    p.add_argument("--max-calls", type=int, default=100,
                   help="API calls (BUC units) per account per run (default 100)")
    p.add_argument("--max-seconds", type=int, default=300, help="time limit of the run (default 300)")
    p.add_argument("--install", action="store_true", help="create/update the ig_sync schema and exit")
    p.add_argument("--source-schema", default=None,
                   help="schema of the imported foreign tables (default: instagram), with --install")
    p.add_argument("--add-account", action="append", metavar="ID",
                   help="schedule a business account (repeatable) and exit")
    p.add_argument("--account-schema", default=None, metavar="SCHEMA",
                   help="with --add-account: the schema of that account's own foreign tables (an account "
                        "with its own Instagram Login server; default: the settings' source_schema)")
    p.add_argument("--run", action="store_true", help="with --install/--add-account: run afterwards too")
    p.add_argument("--status", action="store_true", help="print the state per account and exit")
    p.add_argument("--sql-path", action="store_true",
                   help="print the path of the installed sync.sql (for psql -f) and exit")
    p.set_defaults(func=cmd_sync)
