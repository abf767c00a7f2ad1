"""Fixtures shared by every test: a real PostgreSQL with the runtime."""

import itertools

import psycopg
import pytest

from tests.pg import Cluster, build_runtime

_db_counter = itertools.count()

#: Tokens and secrets handed to the server during the run; none may reach its log.
SECRETS = set()


def remember_secret(value):
    if value:
        SECRETS.add(value)


@pytest.fixture(autouse=True)
def _fresh_api_clock():
    """Each test starts without a learnt API clock: sandboxes reuse ports and some tests move their clocks."""
    from ig_fdw.graph import apiclock
    apiclock.reset()


@pytest.fixture(scope="session")
def cluster():
    """A throwaway cluster with the runtime built and installed; always stopped."""
    build_runtime()
    c = Cluster()
    try:
        c.start()
        with psycopg.connect(c.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE igfdw_template")
        with psycopg.connect(c.dsn("igfdw_template"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION multicorn")
        yield c
        log = c.server_log()
        leaked = [s[:6] + "..." for s in SECRETS if s in log]
        assert not leaked, "secrets found in the server log: %s" % leaked
    finally:
        c.cleanup()


class Notices(list):
    """(severity, message) of the NOTICEs/WARNINGs received on a connection.

    psycopg's Diagnostic is only valid inside the callback, so copy it."""

    def add(self, diag):
        self.append((diag.severity_nonlocalized, diag.message_primary))

    def messages(self):
        return [message for _, message in self]

    def take(self):
        msgs = self.messages()
        del self[:]
        return msgs


@pytest.fixture
def database(cluster):
    """A fresh database (from a template with the extension) per test."""
    name = "t%d" % next(_db_counter)
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s TEMPLATE igfdw_template" % name)
    yield name
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("DROP DATABASE %s WITH (FORCE)" % name)


@pytest.fixture
def connect(cluster, database):
    """connect() -> an autocommit connection to the test's database, with .notices."""
    opened = []

    def _connect(autocommit=True):
        conn = psycopg.connect(cluster.dsn(database), autocommit=autocommit)
        conn.notices = Notices()
        conn.add_notice_handler(conn.notices.add)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def conn(connect):
    return connect()
