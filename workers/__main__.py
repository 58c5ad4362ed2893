"""python -m workers relay|positions|escalate [--once] | supervise

Each worker runs until SIGTERM/SIGINT (it finishes the batch in hand and exits 0); any number of each may run at
once. `--once` does what is waiting now and exits (cron, tests). `supervise` is `make run`'s process set-up.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading


def _relay(args: argparse.Namespace) -> int:
    from events.relay import Relay
    if args.batch < 1:
        return _usage("--batch must be at least 1")
    relay = Relay(batch_size=args.batch)
    if args.once:
        print(f"published {relay.drain()} events to {relay.stream}")
        return 0
    from workers.relay import run_relay
    run_relay(_stop_on_signals(), relay)
    return 0


def _positions(args: argparse.Namespace) -> int:
    if args.once:
        from workers.positions import ingest_waiting
        done = ingest_waiting()
        print(f"stored {done.stored} track point(s) of {done.read} entries, {done.dead} to the dead letters")
        return 0
    from workers.positions import run_position_ingester
    run_position_ingester(_stop_on_signals())
    return 0


def _escalate(args: argparse.Namespace) -> int:
    if args.every is not None and args.every <= 0:
        return _usage("--every must be a positive number of seconds")
    if args.once:
        return _sweep_once()
    from workers.escalation import run_sweeps
    run_sweeps(_stop_on_signals(), args.every)
    return 0


def _sweep_once() -> int:
    import redis
    from sqlalchemy.exc import DBAPIError
    from workers.escalation import sweep
    try:
        numbers = sweep()
    except DBAPIError as error:
        print(f"error: database unavailable: {str(error.orig).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    except redis.RedisError as error:      # escalated and committed; only the record for /healthz is missing
        print(f"warning: sweep not recorded for /healthz: redis unavailable ({error})", file=sys.stderr)
        return 0
    print(f"escalated {len(numbers)} ticket(s)" + (f": {', '.join(numbers)}" if numbers else ""), flush=True)
    return 0


def _supervise(_args: argparse.Namespace) -> int:
    from workers.supervisor import main
    return main()


def _stop_on_signals() -> threading.Event:
    from workers.loop import stop_on_signals
    stop = threading.Event()
    stop_on_signals(stop)
    return stop


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workers", description="The long-running processes.")
    sub = parser.add_subparsers(dest="command", required=True)
    relay = sub.add_parser("relay", help="publish outbox events to the Redis stream")
    relay.add_argument("--once", action="store_true", help="publish what is waiting, then exit")
    relay.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    relay.set_defaults(func=_relay)
    positions = sub.add_parser("positions", help="store crew positions from the stream as PostGIS tracks")
    positions.add_argument("--once", action="store_true", help="store what is waiting, then exit")
    positions.set_defaults(func=_positions)
    escalate = sub.add_parser("escalate", help="escalate overdue tickets (承办单位 → 街道 → 区)")
    escalate.add_argument("--once", action="store_true", help="one sweep, then exit (cron)")
    escalate.add_argument("--every", type=float, metavar="SECONDS",
                          help="seconds between sweeps (default: settings ESCALATION_EVERY_SECONDS, 60)")
    escalate.set_defaults(func=_escalate)
    supervise = sub.add_parser("supervise", help="`make run`: gunicorn, every worker and the simulator, "
                                                 "restarted when they die, all stopped by one Ctrl+C")
    supervise.set_defaults(func=_supervise)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
