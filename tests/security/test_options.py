"""Options a role may set (issue 11, attacks 3 and 5, and the ranges).

Host options are the administrator's: a role with USAGE on the server that
creates or alters its own user mapping cannot point the Graph API host (and
so the token) at a listener of its own.  Refused statements never reach the
server log with their secrets."""

import socket
import threading
import uuid

import psycopg
import pytest

from tests.security.conftest import reader_grants

HOST_OPTIONS = ("graph_url", "dialog_url", "ig_graph_url", "ig_api_url", "ig_authorize_url")


class Listener(object):
    """A TCP listener of the attacker's: records whatever connects."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.received = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def _run(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            c.settimeout(1)
            try:
                self.received.append(c.recv(65536))
            except OSError:
                self.received.append(b"")
            c.close()

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture
def usage_role(ig, roles):
    """bob: USAGE on the server and SELECT on ig.* (so he may create his own mapping)."""
    role = roles.make("bob", reader_grants() + ("GRANT USAGE ON FOREIGN SERVER instagram TO %(role)s",
                                                "GRANT CREATE ON SCHEMA ig TO %(role)s"))
    conn = roles.connect(role)
    conn.role = role
    conn.sandbox = ig.sandbox
    return conn


@pytest.mark.parametrize("option", HOST_OPTIONS)
def test_a_user_mapping_cannot_set_a_host(usage_role, listener, option):
    bob = usage_role
    with pytest.raises(psycopg.errors.FdwInvalidOptionName, match='"%s" is not allowed in USER MAPPING' % option):
        bob.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (%s '%s')"
                    % (option, listener.url))
    bob.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram")
    with pytest.raises(psycopg.errors.FdwInvalidOptionName, match="SERVER"):
        bob.execute("ALTER USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (ADD %s '%s')"
                    % (option, listener.url))
    # and a table of his own cannot either
    with pytest.raises(psycopg.errors.FdwInvalidOptionName):
        bob.execute("CREATE FOREIGN TABLE ig.mine (id text) SERVER instagram OPTIONS (table 'media', %s '%s')"
                    % (option, listener.url))
    assert listener.received == []


def test_redirect_attack_of_the_issue_receives_nothing(ig, usage_role, listener):
    """The administrator's mapping holds the token; bob's mapping tries to
    move graph_url, then reads: his listener never hears a thing."""
    sb = ig.sandbox
    bob = usage_role
    with pytest.raises(psycopg.errors.FdwInvalidOptionName):
        bob.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (graph_url '%s')" % listener.url)
    bob.execute("CREATE FOREIGN TABLE ig.mine (id text) SERVER instagram OPTIONS (table 'media')")
    with pytest.raises(psycopg.Error):
        bob.execute("SELECT id FROM ig.mine LIMIT 1")    # no mapping of his: nothing to use (test_mappings)
    assert listener.received == []


def test_refused_secrets_do_not_reach_the_server_log(cluster, ig, usage_role):
    """The validator's errors are raised without the statement text."""
    secrets = ["sec%s" % uuid.uuid4().hex for _ in range(4)]
    bob = usage_role
    refused = [
        "CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (oauthclientsecret '%s', "
        "initiateoauth 'SOMETIMES')" % secrets[0],
        "CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (oauthaccesstoken '%s', "
        "graph_url 'http://127.0.0.1:9')" % secrets[1],
        "CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (oauthsettingskey '%s', "
        "Timeout '99999999999')" % secrets[2],
        "CREATE USER MAPPING FOR CURRENT_USER SERVER instagram OPTIONS (oauthverifier '%s', nosuchoption 'x')"
        % secrets[3],
    ]
    for sql in refused:
        with pytest.raises(psycopg.Error):
            bob.execute(sql)
    ig.execute("SELECT pg_sleep(0.2)")      # let the log catch up
    log = cluster.server_log()
    assert "SOMETIMES" in log or "InitiateOAuth" in log, "the refusals were logged"
    assert [s for s in secrets if s in log] == []


@pytest.mark.parametrize("option,value", [
    ("Timeout", "99999999999"), ("Timeout", "-1"), ("Pagesize", "0"), ("Pagesize", "1000"),
    ("MaxConcurrency", "0"), ("MaxConcurrency", "10000"), ("CacheTTL", "99999999999"),
    ("RateLimitMaxWait", "99999999999"), ("BusinessAccountId", "\u0661\u0662\u0663"),
    ("BusinessAccountId", "me/accounts"),
])
def test_option_ranges_are_checked_at_create_and_alter(ig, option, value):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='invalid value for option "%s"' % option):
        ig.execute("ALTER SERVER instagram OPTIONS (%s %s '%s')" % (
            "SET" if option == "BusinessAccountId" else "ADD", option, value))
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=option):
        ig.execute("ALTER FOREIGN TABLE ig.media OPTIONS (ADD %s '%s')" % (option, value))
    ig.execute("ALTER SERVER instagram OPTIONS (ADD Timeout '3600')")    # the edge of the range is fine
    assert ig.execute("SELECT count(*) FROM (SELECT id FROM ig.media LIMIT 1) m").fetchone() == (1,)
