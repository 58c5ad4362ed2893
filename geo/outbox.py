"""SQL of the outbox relay: claim unpublished rows, mark them published, and measure the backlog."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text


def claim_unpublished(conn: Connection, limit: int) -> list[dict]:
    """The oldest unpublished rows, locked for this transaction.

    SKIP LOCKED lets several relays run at once: each takes rows no other relay holds, and a row stays locked
    (invisible to the others) until its relay commits the mark or rolls back.
    """
    return [dict(r) for r in conn.execute(text("""
        SELECT id, topic, event_type, payload, created_at FROM outbox
        WHERE published_at IS NULL
        ORDER BY id LIMIT :n
        FOR UPDATE SKIP LOCKED"""), {"n": limit}).mappings()]


def mark_published(conn: Connection, ids: list[int], at: datetime) -> int:
    if not ids:
        return 0
    return conn.execute(text("UPDATE outbox SET published_at = :at WHERE id = ANY(:ids)"),
                        {"at": at, "ids": ids}).rowcount


def mark_own_published(conn: Connection, at: datetime) -> int:
    """Mark published the rows this very transaction wrote (history import: nothing to send to live screens).

    ``xmin`` of a row is the id of the transaction that inserted it; nothing else can match, and the relay
    never sees these rows unpublished because they become visible only at commit, already marked.
    """
    return conn.execute(text("""
        UPDATE outbox SET published_at = :at
        WHERE published_at IS NULL AND xmin = xid(pg_current_xact_id())"""), {"at": at}).rowcount


def oldest_unpublished_age(conn: Connection, timeout_seconds: float) -> float | None:
    """Seconds since the oldest unpublished row was written (None: nothing waits): one probe of the partial index
    on unpublished rows. Cut off after ``timeout_seconds`` (it runs for /healthz, which must answer quickly);
    run it in a transaction of its own (the limit is the transaction's)."""
    conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"),
                 {"ms": str(max(int(timeout_seconds * 1000), 1))})
    age = conn.execute(text("""SELECT extract(epoch FROM clock_timestamp() - created_at) FROM outbox
                               WHERE published_at IS NULL ORDER BY id LIMIT 1""")).scalar()
    return None if age is None else max(float(age), 0.0)


def backlog(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()


def unpublished_ids(conn: Connection) -> list[int]:
    return list(conn.execute(text("SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id")).scalars())
