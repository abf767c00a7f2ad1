"""HTTP transport (http.server, one thread per connection, HTTP/1.1
keep-alive) and the in-process ``Sandbox`` handle."""

import email.utils
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import control
from .app import App, dumps
from .errors import GraphError
from .routes import Parsed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def _body_pairs(raw, ctype):
    if not raw:
        return []
    ctype = (ctype or "").lower()
    if ctype.startswith("application/json"):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except ValueError:
            return []
        if not isinstance(obj, dict):
            return []
        return [(k, v if isinstance(v, str) else json.dumps(v) if not isinstance(v, bool) else str(v).lower())
                for k, v in obj.items()]
    if ctype.startswith("multipart/"):
        return []  # [U] file uploads are not emulated
    return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # avoid 40 ms delayed-ACK stalls on keep-alive connections
    server_version = "ig-fdw-sandbox"
    sys_version = ""
    app = None  # set on the subclass

    def log_message(self, fmt, *args):  # quiet
        pass

    def date_time_string(self, timestamp=None):
        """The Date header, on the sandbox's clock like everything else it answers (the Graph API's Date is
        what ig_fdw takes as "now" for token expiry)."""
        return email.utils.formatdate(self.app.clock.now(), usegmt=True)

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def _send(self, status, body, content_type, headers, slow_ms=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if not slow_ms:
            # headers and body in one write
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(body)
            self.flush_headers()
            return
        self.end_headers()
        if slow_ms and body:
            half = max(1, len(body) // 2)
            self.wfile.write(body[:half])
            self.wfile.flush()
            time.sleep(slow_ms / 1000.0)
            self.wfile.write(body[half:])
        else:
            self.wfile.write(body)

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        app = self.app
        method = self.command
        u = urlsplit(self.path)
        path = u.path or "/"
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        ctype = self.headers.get("Content-Type", "")
        if path.startswith("/__sandbox/") or path == "/__sandbox":
            status, obj = control.handle(app, method, path, u.query, raw, ctype)
            self._send(status, json.dumps(obj).encode(), "application/json; charset=UTF-8", {})
            return
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        with app.lock:
            app.in_flight += 1
            if app.in_flight == 1:      # 0 -> 1: a new round trip starts
                app.rounds += 1
            if app.in_flight > app.max_in_flight:
                app.max_in_flight = app.in_flight
            fired = app.faults.fire({"latency", "status", "status_after", "reset", "reset_after", "slow", "malformed"},
                                    method, path)
        finished = [False]

        def done():
            # leave the in-flight count before answering, so a client that has its
            # answer never sees itself counted as in flight
            if not finished[0]:
                finished[0] = True
                with app.lock:
                    app.in_flight -= 1
        try:
            kinds = {r.kind: r for r in fired}
            delay = app.latency_ms + sum(r.value for r in fired if r.kind == "latency")
            if delay:
                time.sleep(delay / 1000.0)
            if "reset" in kinds:
                with app.lock:
                    app.record(method, path, None, 0)
                done()
                self._reset()
                return
            if "status" in kinds:
                st = kinds["status"].value
                with app.lock:
                    trace = app.trace_id()
                    app.record(method, path, None, st)
                done()
                # code 2 = service temporarily unavailable, code 1 = unknown error (Meta's error codes)
                err = (GraphError("An unexpected error has occurred. Please retry your request later.", 2,
                                  status=st, transient=True) if st == 503 else
                       GraphError("An unknown error has occurred.", 1, status=st, transient=True))
                self._send(st, dumps(err.body(trace, Parsed(path).flavour)), "application/json; charset=UTF-8",
                           {"x-fb-trace-id": trace})
                return
            query_pairs = parse_qsl(u.query, keep_blank_values=True)
            body_pairs = _body_pairs(raw, ctype) if method in ("POST", "PUT", "DELETE") else []
            token, source = None, None
            auth = self.headers.get("Authorization")
            if auth:
                parts = auth.split(None, 1)
                if len(parts) == 2 and parts[0].lower() in ("bearer", "oauth"):
                    token, source = parts[1].strip(), "header"
            parsed = Parsed(path)
            with app.lock:
                if not parsed.segments and method == "POST" and any(k == "batch" for k, _ in query_pairs + body_pairs):
                    res = app.batch(query_pairs, body_pairs, token, source, host, path,
                                    "/ig" if parsed.flavour == "ig" else "")
                else:
                    res = app.call(method, path, query_pairs, body_pairs, token, source, host)
                app.record(method, path, res.template, res.status if "reset_after" not in kinds else 0,
                           token or dict(query_pairs + body_pairs).get("access_token"), query=u.query)
            done()
            if "reset_after" in kinds:
                self._reset()
                return
            if "status_after" in kinds:     # applied above; the answer is lost in a server error
                st = kinds["status_after"].value
                with app.lock:
                    trace = app.trace_id()
                err = GraphError("An unknown error has occurred.", 1, status=st, transient=True)
                self._send(st, dumps(err.body(trace, parsed.flavour)), "application/json; charset=UTF-8",
                           {"x-fb-trace-id": trace})
                return
            body = res.body if isinstance(res.body, (bytes, bytearray)) else dumps(res.body)
            if "malformed" in kinds:
                body = body[:max(1, len(body) // 2)] + b"\x00<!-- truncated"
            self._send(res.status, body, res.content_type, res.headers,
                       slow_ms=kinds["slow"].value if "slow" in kinds else None)
        finally:
            done()


class Sandbox:
    """In-process sandbox.  See ig_fdw/sandbox/README.md."""

    def __init__(self, seed=1, latency_ms=0, faults=None, host="127.0.0.1", port=0, budget_per_hour=200,
                 accounts=0):
        self.host = host
        self.port = port
        self.app = App(seed=seed, latency_ms=latency_ms, faults=faults, budget_per_hour=budget_per_hour)
        self.n_agency = int(accounts or 0)  # agency-scale accounts (ig_fdw/sandbox/agency.py)
        self._seed_agency()
        self._server = None
        self._thread = None

    # ------------------------------------------------------------ lifecycle
    def start(self):
        if self._server is not None:
            return self
        handler = type("BoundHandler", (Handler,), {"app": self.app})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="ig-fdw-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ facts
    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def graph_url(self):
        return self.url

    @property
    def app_id(self):
        return self.app.world.app_id

    @property
    def app_secret(self):
        return self.app.world.app_secret

    @property
    def ig_app_id(self):
        return self.app.world.ig_app_id

    @property
    def ig_app_secret(self):
        return self.app.world.ig_app_secret

    @property
    def accounts(self):
        return list(self.app.world.account_ids)

    @property
    def pages(self):
        return list(self.app.world.pages)

    def info(self):
        with self.app.lock:
            return control.info(self.app)

    # ------------------------------------------------------------ tokens
    def user_token(self):
        return self.app.default_user_token

    def mint_token(self, kind="user_long", user=None, expires_in=None, scopes=None):
        with self.app.lock:
            return self.app.tokens.mint(kind, user=user, expires_in=expires_in, scopes=scopes).value

    # ------------------------------------------------------------ control
    def stats(self):
        return self.app.stats()

    def reset_stats(self):
        self.app.reset_stats()

    def reset(self):
        self.app.reset_all()
        self._seed_agency()

    def _seed_agency(self):
        if self.n_agency:
            from .agency import seed_accounts
            seed_accounts(self.app, self.n_agency)

    @property
    def agency_accounts(self):
        """Ids of the accounts added by ``accounts=N`` (all reachable by user_token())."""
        return list(getattr(self.app.world, "agency_ids", []))

    def writes(self):
        with self.app.lock:
            return list(self.app.write_log)

    def advance_clock(self, seconds):
        return self.app.clock.advance(seconds)

    def now(self):
        return self.app.clock.now()

    def set_faults(self, spec):
        with self.app.lock:
            self.app.faults.set(spec)

    def set_oauth(self, deny=None, ig_account=None):
        with self.app.lock:
            if deny is not None:
                self.app.oauth.deny = bool(deny)
            if ig_account is not None:
                self.app.oauth.ig_account = ig_account
