"""python -m etl escalate [--every SECONDS]: move late tickets one level up (承办单位 → 街道 → 区).

Once by default (for cron); with --every it repeats until interrupted.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def register(subparsers) -> None:
    cmd = subparsers.add_parser("escalate", help="escalate overdue tickets once, or every N seconds")
    cmd.add_argument("--every", type=float, metavar="SECONDS", help="repeat every SECONDS until stopped")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError
    from services.tickets import escalate_overdue
    if args.every is not None and args.every <= 0:
        print("error: --every must be a positive number of seconds", file=sys.stderr)
        return 2
    stop = threading.Event()
    if args.every:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    while True:
        try:
            numbers = escalate_overdue()
        except DBAPIError as error:
            if not args.every:
                raise
            # A database outage must not end the periodic job: report it and try again next round.
            print(f"error: escalation skipped this round: {str(error.orig).strip()}", file=sys.stderr, flush=True)
        else:
            print(f"escalated {len(numbers)} ticket(s)" + (f": {', '.join(numbers)}" if numbers else ""),
                  flush=True)
        if not args.every or stop.wait(args.every):
            return 0
