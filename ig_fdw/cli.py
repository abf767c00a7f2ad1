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
                     port=args.port, budget_per_hour=args.budget_per_hour)
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
    sp.set_defaults(func=_cmd_sandbox)
    _add_oauth_commands(sub)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
