"""SQL of statistics: counts per dimension over a window of registration times, and department scores.

Only counts come out of here; rates and scores are computed in services.stats (pure, unit-tested).

Definitions (the same in every breakdown; ``now`` is the moment the statistics are taken):
  received         tickets registered in the window
  closed           tickets in a final state: closed, merged into another, or refused (不予受理)
  due              tickets that had to be resolved: resolved, or past resolve_due_at (merged/refused excluded)
  on_time          resolved no later than resolve_due_at
  arrival_due      tickets with an arrival deadline that was met or has passed (merged/refused excluded)
  arrived_on_time  on_site_at no later than arrival_due_at
  evaluated        tickets with a citizen rating; satisfied = 满意 or 基本满意
  reopened         tickets reopened at least once; escalated = went up at least one level
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

# dimension → (key expression, label expression); the joins of STATS_FROM make every label available.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "day": ("to_char(t.registered_at AT TIME ZONE :tz, 'YYYY-MM-DD')",
            "to_char(t.registered_at AT TIME ZONE :tz, 'YYYY-MM-DD')"),
    "channel": ("t.channel", "t.channel"),
    "category": ("t.category_code", "c.name"),
    "street": ("t.street_code", "s.name"),
    "community": ("t.community_code", "cm.name"),
    "grid": ("t.grid_code", "g.name"),
    "department": ("t.lead_department_code", "d.name"),
}

COUNTS = """
    count(*) AS received,
    count(*) FILTER (WHERE t.state IN ('closed', 'merged', 'refused')) AS closed,
    count(*) FILTER (WHERE t.state NOT IN ('merged', 'refused')
                       AND (t.resolved_at IS NOT NULL OR t.resolve_due_at < :now)) AS due,
    count(*) FILTER (WHERE t.state NOT IN ('merged', 'refused') AND t.resolved_at <= t.resolve_due_at) AS on_time,
    count(*) FILTER (WHERE t.state NOT IN ('merged', 'refused') AND t.arrival_due_at IS NOT NULL
                       AND (t.on_site_at IS NOT NULL OR t.arrival_due_at < :now)) AS arrival_due,
    count(*) FILTER (WHERE t.state NOT IN ('merged', 'refused') AND t.on_site_at <= t.arrival_due_at)
        AS arrived_on_time,
    count(*) FILTER (WHERE t.satisfaction IS NOT NULL) AS evaluated,
    count(*) FILTER (WHERE t.satisfaction IN ('satisfied', 'basically')) AS satisfied,
    count(*) FILTER (WHERE t.reopened_count > 0) AS reopened,
    count(*) FILTER (WHERE t.escalation_level > 0) AS escalated"""

STATS_FROM = """
    FROM tickets t JOIN categories c ON c.code = t.category_code JOIN grids g ON g.code = t.grid_code
    JOIN communities cm ON cm.code = t.community_code JOIN streets s ON s.code = t.street_code
    JOIN departments d ON d.code = t.lead_department_code
    WHERE t.registered_at >= :start AND t.registered_at < :end"""


def counts_by(conn: Connection, dimension: str, start: datetime, end: datetime, now: datetime,
              tz: str) -> list[dict]:
    """One row of COUNTS per value of ``dimension`` (key, label), ordered by key."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
    key, label = DIMENSIONS[dimension]
    rows = conn.execute(text(f"""
        SELECT {key} AS key, min({label}) AS label, {COUNTS}
        {STATS_FROM}
        GROUP BY 1 ORDER BY 1"""), {"start": start, "end": end, "now": now, "tz": tz}).mappings()
    return [dict(r) for r in rows]


def totals(conn: Connection, start: datetime, end: datetime, now: datetime) -> dict:
    return dict(conn.execute(text(f"SELECT {COUNTS} {STATS_FROM}"),
                             {"start": start, "end": end, "now": now}).mappings().one())


def department_counts(conn: Connection, start: datetime, end: datetime, now: datetime) -> list[dict]:
    """COUNTS per lead department, plus ``returns``: how often the department sent a ticket of the window back
    (ticket_events action 'return', data.returned_by). A department that only returned tickets is listed too."""
    rows = conn.execute(text(f"""
        WITH per_lead AS (
            SELECT t.lead_department_code AS code, {COUNTS}
            FROM tickets t
            WHERE t.registered_at >= :start AND t.registered_at < :end
            GROUP BY 1),
        returns AS (
            SELECT e.data->>'returned_by' AS code, count(*) AS returns
            FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.action = 'return' AND t.registered_at >= :start AND t.registered_at < :end
            GROUP BY 1)
        SELECT d.code, d.name, coalesce(p.received, 0) AS received, coalesce(p.closed, 0) AS closed,
               coalesce(p.due, 0) AS due, coalesce(p.on_time, 0) AS on_time,
               coalesce(p.arrival_due, 0) AS arrival_due, coalesce(p.arrived_on_time, 0) AS arrived_on_time,
               coalesce(p.evaluated, 0) AS evaluated, coalesce(p.satisfied, 0) AS satisfied,
               coalesce(p.reopened, 0) AS reopened, coalesce(p.escalated, 0) AS escalated,
               coalesce(r.returns, 0) AS returns
        FROM departments d
        LEFT JOIN per_lead p ON p.code = d.code
        LEFT JOIN returns r ON r.code = d.code
        WHERE p.code IS NOT NULL OR r.code IS NOT NULL
        ORDER BY d.code"""), {"start": start, "end": end, "now": now}).mappings()
    return [dict(r) for r in rows]
