"""Retention: old crew tracks and old published outbox events are deleted by the processes that write them.

Each pruner deletes in batches of BATCH rows, one short transaction per batch, until a batch comes back short, so
a first run after months of history never holds a long lock or a huge transaction.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from geo import retention as sql
from geo.db import get_engine
from settings import get_settings

log = logging.getLogger(__name__)
BATCH = 5000


def _prune(delete: Callable[[Connection, datetime, int], int], days: float, now: datetime | None,
           engine: Engine | None) -> int:
    if days <= 0:
        return 0
    before = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    total = 0
    while True:
        with (engine or get_engine()).begin() as conn:
            n = delete(conn, before, BATCH)
        total += n
        if n < BATCH:
            return total


def prune_tracks(now: datetime | None = None, engine: Engine | None = None) -> int:
    return _prune(sql.delete_tracks_before, get_settings().track_retention_days, now, engine)


def prune_outbox(now: datetime | None = None, engine: Engine | None = None) -> int:
    return _prune(sql.delete_published_outbox_before, get_settings().outbox_retention_days, now, engine)


class Every:
    """Call ``action`` at most once per ``retention_every_seconds`` from a loop that calls ``due()`` often; the
    first call happens at once (a restarted process catches up). Failures are logged: pruning can wait."""

    def __init__(self, action: Callable[[], int], what: str):
        self.action, self.what = action, what
        self.next_at = 0.0

    def due(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + get_settings().retention_every_seconds
        try:
            deleted = self.action()
        except Exception as error:  # noqa: BLE001 - retention must never stop the feed it rides on
            log.warning("retention of %s failed: %s", self.what, error)
            return
        if deleted:
            log.info("retention: deleted %d old %s", deleted, self.what)
