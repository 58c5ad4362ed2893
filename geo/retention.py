"""Retention: old crew tracks and old published outbox events are deleted by the workers that write them (the
position ingester, the relay: workers/), a batch at a time until a batch comes back short: short locks, short transactions,
so a first run after months of history never holds a long lock or a huge transaction.

Both tables are append-only in time order, so a BRIN index on the time column (migration 0006) finds the old rows
in the first block ranges without scanning the rest; SKIP LOCKED lets two pruners run at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

from geo.db import get_engine
from settings import get_settings


def delete_tracks_before(conn: Connection, before: datetime, limit: int) -> int:
    return conn.execute(text("""
        DELETE FROM crew_tracks WHERE id IN (
          SELECT id FROM crew_tracks WHERE at < :before LIMIT :n FOR UPDATE SKIP LOCKED)"""),
                        {"before": before, "n": limit}).rowcount


def delete_published_outbox_before(conn: Connection, before: datetime, limit: int) -> int:
    """Published events created before ``before``; an unpublished row is never deleted, however old."""
    return conn.execute(text("""
        DELETE FROM outbox WHERE id IN (
          SELECT id FROM outbox WHERE created_at < :before AND published_at IS NOT NULL
          LIMIT :n FOR UPDATE SKIP LOCKED)"""), {"before": before, "n": limit}).rowcount


# ------------------------------------------------------------------------------------------------ pruning

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
    return _prune(delete_tracks_before, get_settings().track_retention_days, now, engine)


def prune_outbox(now: datetime | None = None, engine: Engine | None = None) -> int:
    return _prune(delete_published_outbox_before, get_settings().outbox_retention_days, now, engine)
