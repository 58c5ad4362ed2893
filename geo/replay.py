"""SQL of the replay (issue 14): the open tickets and the crews' positions at a past moment, from what is stored
(ticket_events and crew_tracks), never a second copy of the day."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from workorders.states import OPEN_STATES

# A ticket is looked for among those registered in the 30 days before the moment: older open ones are rare and
# would make every step scan the whole table (they show on the live map, not in a replay of a day).
LOOKBACK_DAYS = 30
# A crew's last track point older than this at the moment: it was not reporting (off duty), not drawn.
CREW_SILENCE_MINUTES = 15


def tickets_at(conn: Connection, at: datetime) -> list[dict]:
    """Each ticket open at ``at`` with its state then (its last event at or before ``at``)."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT t.number, t.category_code, t.priority, t.street_code, t.grid_code, ST_X(t.geom) AS lon,
               ST_Y(t.geom) AS lat, t.arrival_due_at, t.resolve_due_at, t.registered_at, e.to_state AS state,
               e.data ->> 'crew' AS crew
        FROM tickets t CROSS JOIN LATERAL (
            SELECT to_state, data FROM ticket_events WHERE ticket_id = t.id AND at <= :at
            ORDER BY at DESC, id DESC LIMIT 1) e
        WHERE t.registered_at <= :at AND t.registered_at > :at - make_interval(days => :lookback)
          AND e.to_state = ANY(:open)
        ORDER BY t.resolve_due_at"""),
        {"at": at, "lookback": LOOKBACK_DAYS, "open": sorted(OPEN_STATES)}).mappings()]


def crews_at(conn: Connection, at: datetime) -> list[dict]:
    """Where each reporting crew was at ``at``: its last track point of the CREW_SILENCE_MINUTES before."""
    return [dict(r) for r in conn.execute(text("""
        SELECT DISTINCT ON (k.crew_code) k.crew_code AS code, w.name, w.kind, w.department_code,
               ST_X(k.geom) AS lon, ST_Y(k.geom) AS lat, k.speed_kmh, k.at
        FROM crew_tracks k JOIN crews w ON w.code = k.crew_code
        WHERE k.at <= :at AND k.at > :at - make_interval(mins => :silence)
        ORDER BY k.crew_code, k.at DESC"""), {"at": at, "silence": CREW_SILENCE_MINUTES}).mappings()]
