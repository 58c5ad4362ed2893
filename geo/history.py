"""SQL of the history generator (etl/history.py): where reports come from, and finding or removing its tickets.

Generated history tickets carry ``source_ref = 'history:<seed>'``; nothing else in the product writes that prefix.
"""
from __future__ import annotations

from sqlalchemy import Connection, text

MARK_PREFIX = "history:"


def tune_bulk_session(conn: Connection) -> None:
    """For one history transaction: plan joins in the order written. The services' lookups join tickets to
    their reference tables by key, already the best order; skipping the join-order search saves a third of the
    planning time of each of the ~300,000 statements of a full history. (SET LOCAL: ends with the transaction.)"""
    conn.execute(text("SET LOCAL join_collapse_limit = 1"))


def history_count(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM tickets WHERE source_ref LIKE :p"),
                        {"p": MARK_PREFIX + "%"}).scalar()


def live_references_to_history(conn: Connection) -> list[str]:
    """Numbers of tickets outside the history that point at a history ticket (越级 or merged into)."""
    return list(conn.execute(text("""
        SELECT t.number FROM tickets t
        JOIN tickets h ON h.id IN (t.related_ticket_id, t.merged_into_id)
        WHERE h.source_ref LIKE :p AND (t.source_ref IS NULL OR t.source_ref NOT LIKE :p)
        ORDER BY t.number"""), {"p": MARK_PREFIX + "%"}).scalars())


def delete_history(conn: Connection) -> int:
    """Delete every generated ticket (events, supervisions, meetings and keys go with them: ON DELETE CASCADE),
    then wind the per-day number counters back to the highest number still in use."""
    days = conn.execute(text("""
        SELECT min((registered_at AT TIME ZONE 'UTC')::date) - 1, max((registered_at AT TIME ZONE 'UTC')::date) + 1
        FROM tickets WHERE source_ref LIKE :p"""), {"p": MARK_PREFIX + "%"}).first()
    # Their outbox rows (published by the history itself) go too; live tickets never share a history number.
    conn.execute(text("""
        DELETE FROM outbox o USING tickets t
        WHERE t.source_ref LIKE :p AND o.published_at IS NOT NULL AND o.topic = 'tickets'
          AND o.payload->'ticket'->>'number' = t.number"""), {"p": MARK_PREFIX + "%"})
    deleted = conn.execute(text("DELETE FROM tickets WHERE source_ref LIKE :p"), {"p": MARK_PREFIX + "%"}).rowcount
    if deleted and days[0] is not None:
        conn.execute(text("""
            UPDATE ticket_counters c SET last = coalesce((
                SELECT max(split_part(t.number, '-', 2)::int) FROM tickets t
                WHERE t.number LIKE to_char(c.day, 'YYYYMMDD') || '-%'), 0)
            WHERE c.day BETWEEN :first AND :last"""), {"first": days[0], "last": days[1]})
        conn.execute(text("DELETE FROM ticket_counters WHERE last = 0"))
    return deleted


def report_locations(conn: Connection) -> list[dict]:
    """Where citizens report from: numbered buildings (with their address) and camera points (dense where people
    are), in a stable order so the same seed picks the same places."""
    return [dict(r) for r in conn.execute(text("""
        SELECT 'building' AS kind, name AS address, ST_X(geom) AS lon, ST_Y(geom) AS lat, grid_code
        FROM places WHERE kind = 'building'
        UNION ALL
        SELECT 'camera', NULL, ST_X(geom), ST_Y(geom), grid_code FROM cameras
        ORDER BY 1, 5, 3, 4""")).mappings()]
