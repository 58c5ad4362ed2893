"""SQL of retention: delete rows that have served their purpose, a batch at a time (short locks, short transactions).

Both tables are append-only in time order, so a BRIN index on the time column (migration 0006) finds the old rows
in the first block ranges without scanning the rest; SKIP LOCKED lets two pruners run at once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text


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
