"""python -m etl positions: store crew positions from the Redis stream as PostGIS tracks (runs until stopped).

Any number may run at once (one consumer group); `python app.py` runs one in a background thread as well.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading


def register(subparsers) -> None:
    cmd = subparsers.add_parser("positions", help="store crew positions from the stream as tracks (runs until stopped)")
    cmd.set_defaults(func=run)


def run(_args: argparse.Namespace) -> int:
    from services.live import run_position_ingester
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run_position_ingester(stop)
    return 0
