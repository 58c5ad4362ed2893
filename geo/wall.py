"""SQL behind the wall screen's tiles and lists."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

FINISHED = "('resolved', 'evaluated', 'closed', 'merged', 'refused')"
# A ticket's next deadline: arrival while nobody is on site (water 30 min, heating 20 …), else its resolution.
NEXT_DUE = """CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN t.arrival_due_at
                   ELSE t.resolve_due_at END"""
NEXT_DUE_KIND = """CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN 'arrival'
                        ELSE 'resolve' END"""


def day_figures(conn: Connection, start: datetime, end: datetime, now: datetime) -> dict:
    """Today's received/closed counts, on-time share, open tickets past their next deadline (the same count as the
    wall's 已超时 list), crews out, arrival times."""
    row = conn.execute(text(f"""
        SELECT
          (SELECT count(*) FROM tickets WHERE registered_at >= :start AND registered_at < :end) AS received,
          (SELECT count(*) FROM tickets WHERE resolved_at >= :start AND resolved_at < :end) AS closed,
          (SELECT count(*) FILTER (WHERE resolved_at <= resolve_due_at) FROM tickets
            WHERE resolved_at >= :start AND resolved_at < :end) AS closed_on_time,
          (SELECT count(*) FROM tickets t WHERE state NOT IN {FINISHED} AND ({NEXT_DUE}) < :now) AS overdue,
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


# ------------------------------------------------------------------------------------ the day's story (issue 15)


def category_counts(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    """Tickets registered in [start, end) per category, most first (merged duplicates are not new trouble)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT c.code, c.name, count(*)::int AS n
        FROM tickets t JOIN categories c ON c.code = t.category_code
        WHERE t.registered_at >= :start AND t.registered_at < :end AND t.state <> 'merged'
        GROUP BY c.code, c.name ORDER BY n DESC, c.code"""), {"start": start, "end": end}).mappings()]


def street_counts(conn: Connection, start: datetime, end: datetime, now: datetime) -> list[dict]:
    """Every street with its tickets registered in [start, end) and its open tickets past their resolution
    deadline now, most tickets first (a street with none still shows, as a 0)."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT s.code, s.name,
               count(t.id) FILTER (WHERE t.registered_at >= :start AND t.registered_at < :end
                                     AND t.state <> 'merged')::int AS n,
               count(t.id) FILTER (WHERE t.state NOT IN {FINISHED} AND t.resolve_due_at < :now)::int AS overdue
        FROM streets s LEFT JOIN tickets t ON t.street_code = s.code
             AND ((t.registered_at >= :start AND t.registered_at < :end)
                  OR (t.state NOT IN {FINISHED} AND t.resolve_due_at < :now))
        GROUP BY s.code, s.name ORDER BY n DESC, overdue DESC, s.code"""),
        {"start": start, "end": end, "now": now}).mappings()]


def hourly_counts(conn: Connection, start: datetime, end: datetime, tz: str) -> dict[int, int]:
    """Tickets registered in [start, end) per local hour of day (hours with none are absent)."""
    return {int(r["hour"]): int(r["n"]) for r in conn.execute(text("""
        SELECT extract(hour FROM registered_at AT TIME ZONE :tz) AS hour, count(*) AS n FROM tickets
        WHERE registered_at >= :start AND registered_at < :end AND state <> 'merged' GROUP BY 1"""),
        {"start": start, "end": end, "tz": tz}).mappings()}


def crews_by_kind(conn: Connection) -> list[dict]:
    """Per crew kind: how many are on duty (not off duty) and how many of them are on a job now."""
    return [dict(r) for r in conn.execute(text("""
        SELECT kind, count(*) FILTER (WHERE status <> 'off_duty')::int AS on_duty,
               count(*) FILTER (WHERE status IN ('en_route', 'on_scene'))::int AS on_job
        FROM crews GROUP BY kind HAVING count(*) FILTER (WHERE status <> 'off_duty') > 0
        ORDER BY on_job DESC, on_duty DESC, kind""")).mappings()]


def overdue_open(conn: Connection, now: datetime, limit: int) -> tuple[int, list[dict]]:
    """Open tickets whose next deadline has passed: how many, and the most urgent (priority, then the latest)."""
    where = f"t.state NOT IN {FINISHED} AND ({NEXT_DUE}) < :now"
    total = conn.execute(text(f"SELECT count(*) FROM tickets t WHERE {where}"), {"now": now}).scalar_one()
    rows = conn.execute(text(f"""
        SELECT t.number, c.name AS category, s.name AS street, cm.name AS community, t.priority,
               {NEXT_DUE} AS due, {NEXT_DUE_KIND} AS due_kind
        FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
        JOIN communities cm ON cm.code = t.community_code
        WHERE {where} ORDER BY t.priority, due LIMIT :n"""), {"now": now, "n": limit}).mappings()
    return total, [dict(r) for r in rows]


def at_risk_open(conn: Connection, now: datetime, horizon: datetime, limit: int) -> tuple[int, list[dict]]:
    """Open tickets whose next deadline falls in (now, horizon]: how many, and those most likely to miss it
    (ticket_risk's larger chance; unscored ones after, by deadline)."""
    where = f"t.state NOT IN {FINISHED} AND ({NEXT_DUE}) >= :now AND ({NEXT_DUE}) < :horizon"
    args = {"now": now, "horizon": horizon, "n": limit}
    total = conn.execute(text(f"SELECT count(*) FROM tickets t WHERE {where}"), args).scalar_one()
    rows = conn.execute(text(f"""
        SELECT t.number, c.name AS category, s.name AS street, cm.name AS community, t.priority,
               {NEXT_DUE} AS due, {NEXT_DUE_KIND} AS due_kind,
               CASE WHEN t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL THEN r.arrival_p
                    ELSE r.resolve_p END AS p
        FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
        JOIN communities cm ON cm.code = t.community_code LEFT JOIN ticket_risk r ON r.ticket_id = t.id
        WHERE {where} ORDER BY p DESC NULLS LAST, due LIMIT :n"""), args).mappings()
    return total, [dict(r) for r in rows]


def notable_events(conn: Connection, since: datetime, until: datetime, limit: int) -> list[dict]:
    """What a watcher must notice, newest first: escalations (late tickets and missed arrivals), joint meetings
    convened, one-key alarms of the elderly. Places and categories only — never a name or a phone. Only what
    happened by ``until`` (now): a row stamped later (a skewed clock, a simulated day) would sit atop the ticker."""
    return [dict(r) for r in conn.execute(text("""
        (SELECT e.at, e.action AS kind, (e.data ->> 'arrival_breach') IS NOT NULL AS arrival_breach,
                t.escalation_level, t.number, c.name AS category, s.name AS street, cm.name AS community
         FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
         JOIN communities cm ON cm.code = t.community_code
         WHERE e.action IN ('escalate', 'joint_meeting') AND e.at >= :since AND e.at <= :until
         ORDER BY e.at DESC LIMIT :n)
        UNION ALL
        (SELECT t.registered_at, 'alarm', false, t.escalation_level, t.number, c.name, s.name, cm.name
         FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
         JOIN communities cm ON cm.code = t.community_code
         WHERE t.channel = 'elder_phone' AND t.registered_at >= :since AND t.registered_at <= :until
         ORDER BY t.registered_at DESC LIMIT :n)
        ORDER BY at DESC LIMIT :n"""), {"since": since, "until": until, "n": limit}).mappings()]
