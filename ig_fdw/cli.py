"""Command line entry point: ``ig-fdw <command> ...`` / ``python -m ig_fdw ...``.

Subcommands register themselves in ``build_parser``; each sets ``func``.
"""

import argparse
import sys


def _cmd_sandbox(args):
    import signal
    import threading

    from ig_fdw.sandbox import Sandbox, FaultSpecError

    try:
        sb = Sandbox(seed=args.seed, latency_ms=args.latency_ms, faults=args.faults, host=args.host,
                     port=args.port, budget_per_hour=args.budget_per_hour, accounts=args.accounts)
    except FaultSpecError as e:
        print("ig-fdw sandbox: bad --faults: %s" % e, file=sys.stderr)
        return 2
    sb.start()
    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    sys.stdout.write(sb.url + "\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sb.stop()
    return 0


def _add_oauth_commands(sub):
    """OAuth subcommands (login, auth-url, exchange, refresh, status, accounts): ig_fdw/auth/cli.py."""
    from ig_fdw.auth.cli import add_commands
    add_commands(sub)


def _add_doctor(sub):
    from ig_fdw.auth.cli import _common, _run

    def cmd_doctor(args, opts):
        from ig_fdw import doctor
        if doctor.wants_server(args.dsn):
            checks = doctor.server_checks(args.dsn, args.server, psql=args.psql)
            print("(checked by the database server, through SQL)")
        else:
            checks = doctor.run(opts, pg_config=args.pg_config, python=args.python, pythonpath=args.pythonpath)
            print("(checked in this shell, with its Python and files; --dsn or PG* variables ask the server)")
        print(doctor.render(checks))
        return 0 if all(c.ok for c in checks) else 1

    p = sub.add_parser("doctor", help="check the installation and the connection, saying what to fix",
                       description="Checks, in order: the runtime is installed; the Python PostgreSQL embeds "
                                   "imports ig_fdw and its dependencies; the OAuth settings file decrypts; the "
                                   "token is valid (and its scopes); the business account is reachable. With "
                                   "--dsn (or PG* variables) the server itself makes the checks, through SQL.")
    _common(p)
    p.add_argument("--pg-config", default="pg_config", help="pg_config of the server (default: on PATH)")
    p.add_argument("--python", default="/usr/bin/python3", help="the Python the server embeds")
    p.add_argument("--pythonpath", default=None,
                   help="PYTHONPATH of the server (default: this process's)")
    p.add_argument("--dsn", default=None,
                   help="libpq connection string or URI of the database: check through SQL what the server sees "
                        "(also when PGHOST / PGDATABASE / ... are set)")
    p.add_argument("--server", default=None, help="with --dsn: the ig_fdw server to check (default: the only one)")
    p.add_argument("--psql", default="psql", help="psql to run the SQL with (default: on PATH)")
    p.set_defaults(func=_run(cmd_doctor))


def build_parser():
    p = argparse.ArgumentParser(prog="ig-fdw", description="ig_fdw: the Instagram Graph API as PostgreSQL "
                                                           "foreign tables")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sp = sub.add_parser("sandbox", help="run the local Instagram Graph API emulator",
                        description="Run the sandbox (local emulator of the Instagram Graph API and its "
                                    "OAuth endpoints). Prints its base URL on the first line of stdout.")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8123, help="port (0 = any free port; default 8123)")
    sp.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    sp.add_argument("--latency-ms", type=float, default=0, help="latency added to every API call")
    sp.add_argument("--faults", default=None, help='fault spec, e.g. "status=503@nth=3;latency=200ms"')
    sp.add_argument("--budget-per-hour", type=int, default=200,
                    help="calls per user (and per IG account) per hour before throttling (default 200)")
    sp.add_argument("--accounts", type=int, default=0,
                    help="also seed N agency accounts reachable by the default user token, each with "
                         "its own hourly budget (docs/sync.md)")
    sp.set_defaults(func=_cmd_sandbox)
    _add_oauth_commands(sub)
    _add_doctor(sub)
    from ig_fdw.sync import add_command as _add_sync
    _add_sync(sub)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
