"""SQL behind the wall screen's tiles and lists."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

FINISHED = "('resolved', 'evaluated', 'closed', 'merged', 'refused')"


def day_figures(conn: Connection, start: datetime, end: datetime, now: datetime) -> dict:
    """Today's received/closed counts, on-time share, overdue open tickets, crews out, arrival times."""
    row = conn.execute(text(f"""
        SELECT
          (SELECT count(*) FROM tickets WHERE registered_at >= :start AND registered_at < :end) AS received,
          (SELECT count(*) FROM tickets WHERE resolved_at >= :start AND resolved_at < :end) AS closed,
          (SELECT count(*) FILTER (WHERE resolved_at <= resolve_due_at) FROM tickets
            WHERE resolved_at >= :start AND resolved_at < :end) AS closed_on_time,
          (SELECT count(*) FROM tickets WHERE state NOT IN {FINISHED} AND resolve_due_at < :now) AS overdue,
          (SELECT count(*) FROM tickets WHERE state NOT IN {FINISHED}) AS open,
          (SELECT count(*) FROM crews WHERE status IN ('en_route', 'on_scene')) AS crews_out,
          (SELECT avg(extract(epoch FROM on_site_at - registered_at) / 60) FROM tickets
            WHERE on_site_at >= :start AND on_site_at < :end AND arrival_due_at IS NOT NULL) AS arrival_minutes,
          (SELECT avg(extract(epoch FROM arrival_due_at - registered_at) / 60) FROM tickets
            WHERE on_site_at >= :start AND on_site_at < :end AND arrival_due_at IS NOT NULL) AS arrival_sla_minutes,
          (SELECT count(*) FILTER (WHERE on_site_at <= arrival_due_at) FROM tickets
            WHERE on_site_at >= :start AND on_site_at < :end AND arrival_due_at IS NOT NULL) AS arrivals_on_time,
          (SELECT count(*) FROM tickets
            WHERE on_site_at >= :start AND on_site_at < :end AND arrival_due_at IS NOT NULL) AS arrivals
        """), {"start": start, "end": end, "now": now}).mappings().one()
    return dict(row)


def deadline_watch(conn: Connection, now: datetime, horizon: datetime, limit: int) -> list[dict]:
    """Open tickets whose next deadline (arrival while nobody is on site, else resolution) is before ``horizon``,
    breached first. Only public fields: the wall shows no personal data."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT t.number, c.name AS category, s.name AS street, t.state, t.priority,
               CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN t.arrival_due_at
                    ELSE t.resolve_due_at END AS due,
               CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN 'arrival' ELSE 'resolve' END
                 AS due_kind
        FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
        WHERE t.state NOT IN {FINISHED}
          AND (CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN t.arrival_due_at
                    ELSE t.resolve_due_at END) < :horizon
        ORDER BY due LIMIT :n"""), {"horizon": horizon, "n": limit}).mappings()]


def newest_tickets(conn: Connection, limit: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT t.number, t.registered_at, t.channel, t.priority, c.name AS category, s.name AS street,
               cm.name AS community
        FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
        JOIN communities cm ON cm.code = t.community_code
        ORDER BY t.registered_at DESC, t.id DESC LIMIT :n"""), {"n": limit}).mappings()]
