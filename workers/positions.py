"""The position ingester as a worker: crew positions from the stream → PostGIS tracks (events.positions), trimming
the stream behind the group's acknowledged entries and pruning old track points on the way."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

from events.positions import Ingested, TrackIngester
from geo.retention import prune_tracks
from workers.loop import Every, SupervisedLoop

log = logging.getLogger("workers.positions")
TRIM_EVERY_SECONDS = 10.0


def consumer_name() -> str:
    """One consumer per process: a restarted process comes back under a new name, and its predecessor's pending
    entries are claimed after POSITION_CLAIM_IDLE_SECONDS (a minute)."""
    return f"{socket.gethostname()}-{os.getpid()}"


def ingester_loop(ingester: TrackIngester, block_ms: int = 1000) -> SupervisedLoop:
    retention = Every(lambda: prune_tracks(engine=ingester.engine), "crew track points")
    next_trim = 0.0

    def step() -> float:
        nonlocal next_trim
        retention.due()
        ingester.ingest_once(block_ms=block_ms)        # waits up to block_ms when nothing is new
        if time.monotonic() >= next_trim:
            ingester.trim()
            next_trim = time.monotonic() + TRIM_EVERY_SECONDS
        return 0.0

    return SupervisedLoop("position ingester", step, log=log, max_backoff=10.0,
                          while_down="positions wait in the stream")


def run_position_ingester(stop: threading.Event, ingester: TrackIngester | None = None) -> None:
    ingester_loop(ingester or TrackIngester(consumer_name())).run(stop)


def ingest_waiting(ingester: TrackIngester | None = None) -> Ingested:
    """Store everything waiting now, then trim (the CLI's --once; tests)."""
    ingester = ingester or TrackIngester(consumer_name())
    total = Ingested()
    while batch := ingester.ingest_once(block_ms=10):
        total = total + batch
    ingester.trim()
    return total
