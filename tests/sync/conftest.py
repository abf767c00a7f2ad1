"""Fixtures of the ig_sync tests: a PostgreSQL cluster with pg_cron preloaded,
a sandbox with agency accounts (its own clock, moved by the tests), and a
database with the foreign tables imported into `ig` and ig_fdw/sql/sync.sql installed."""

import itertools

import psycopg
import pytest

from ig_fdw.sandbox import Sandbox
from ig_fdw.sync import schema_sql
from tests.fdw.conftest import create_server
from tests.pg import Cluster, build_runtime

_n = itertools.count()
HOUR = 3600


@pytest.fixture(scope="session")
def cron_cluster():
    build_runtime()
    c = Cluster(settings={"shared_preload_libraries": "pg_cron", "cron.database_name": "postgres",
                          "cron.use_background_workers": "on", "max_worker_processes": "16"})
    try:
        c.start()
        with psycopg.connect(c.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE igsync_template")
        with psycopg.connect(c.dsn("igsync_template"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION multicorn")
        yield c
    finally:
        c.cleanup()


@pytest.fixture
def sandbox():
    with Sandbox(seed=7, accounts=4, budget_per_hour=200) as sb:
        yield sb


class SyncDB:
    """A database with ig_sync over the sandbox; the sync's clock follows the sandbox's."""

    def __init__(self, cluster, name, sb):
        self.cluster = cluster
        self.name = name
        self.dsn = cluster.dsn(name)
        self.sb = sb
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        self.accounts = sb.agency_accounts

    def q(self, sql, params=None):
        cur = self.conn.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def one(self, sql, params=None):
        return self.conn.execute(sql, params).fetchone()[0]

    def sync_clock(self):
        self.conn.execute("UPDATE ig_sync.settings SET clock = to_timestamp(%s)", (self.sb.now(),))

    def advance(self, seconds):
        self.sb.advance_clock(seconds)
        self.sync_clock()

    def tick(self, max_calls=100, max_seconds=600):
        return self.one("CALL ig_sync.tick(%s, %s, NULL)", (max_calls, max_seconds))

    def state(self, account, stream):
        cur = self.conn.execute("SELECT * FROM ig_sync.state WHERE business_account_id = %s AND stream = %s",
                                (account, stream))
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone()))

    def close(self):
        self.conn.close()


@pytest.fixture
def syncdb(cron_cluster, sandbox):
    name = "sync%d" % next(_n)
    with psycopg.connect(cron_cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s TEMPLATE igsync_template" % name)
    db = SyncDB(cron_cluster, name, sandbox)
    create_server(db.conn, sandbox)
    db.conn.execute("CREATE SCHEMA ig")
    db.conn.execute("IMPORT FOREIGN SCHEMA instagram FROM SERVER instagram INTO ig")
    db.conn.execute(schema_sql())
    db.conn.execute("UPDATE ig_sync.settings SET source_schema = 'ig'")
    db.sync_clock()
    yield db
    db.close()
    with psycopg.connect(cron_cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP DATABASE %s WITH (FORCE)" % name)
