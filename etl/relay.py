"""python -m etl relay [--once] [--batch N]: publish the outbox to the Redis stream.

Runs until interrupted (SIGINT/SIGTERM); any number of relays may run at once (each claims other rows).
`python app.py` runs one in a background thread as well (settings RUN_RELAY_IN_APP).
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading


def register(subparsers) -> None:
    cmd = subparsers.add_parser("relay", help="publish outbox events to the Redis stream (runs until stopped)")
    cmd.add_argument("--once", action="store_true", help="publish what is waiting, then exit")
    cmd.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from events.relay import Relay
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.batch < 1:
        print("error: --batch must be at least 1", file=sys.stderr)
        return 2
    relay = Relay(batch_size=args.batch)
    if args.once:
        print(f"published {relay.drain()} events to {relay.stream}")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    relay.run(stop)
    return 0
