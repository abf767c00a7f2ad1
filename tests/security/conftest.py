"""Fixtures of the security tests: the sandbox and server of tests/fdw, and
unprivileged roles that log in on their own connections (the cluster trusts
local connections, so a role only needs LOGIN)."""

import itertools

import psycopg
import pytest

from tests.fdw.conftest import calls, create_server, ig, sandbox  # noqa: F401  (fixtures)

_role_counter = itertools.count()


class Roles(object):
    """Creates roles for one test and drops them (and what they own) after it."""

    def __init__(self, cluster, database, admin):
        self.cluster, self.database, self.admin = cluster, database, admin
        self.made = []
        self.conns = []

    def make(self, base, grants=()):
        name = "sec_%s_%d" % (base, next(_role_counter))
        self.admin.execute("CREATE ROLE %s LOGIN" % name)
        self.made.append(name)
        for grant in grants:
            self.admin.execute(grant % {"role": name})
        return name

    def connect(self, role):
        dsn = self.cluster.dsn(self.database).replace("user=postgres", "user=%s" % role)
        conn = psycopg.connect(dsn, autocommit=True)
        self.conns.append(conn)
        return conn

    def drop(self):
        for conn in self.conns:
            conn.close()
        for name in self.made:
            self.admin.execute("DROP OWNED BY %s CASCADE" % name)
            self.admin.execute("DROP ROLE IF EXISTS %s" % name)


@pytest.fixture
def roles(cluster, database, conn):
    r = Roles(cluster, database, conn)
    yield r
    r.drop()


def reader_grants():
    """A role with SELECT on the imported tables and nothing else."""
    return ("GRANT USAGE ON SCHEMA ig TO %(role)s", "GRANT SELECT ON ALL TABLES IN SCHEMA ig TO %(role)s")


def sandbox_calls(sb):
    return sb.stats()["calls"]
