"""SQL of the set-based history writer (etl/history_bulk.py): what it reads once (catalogue versions, places,
unit names), the ids and numbers it reserves, the COPY of whole chunks of rows, and the repeat links of a chunk.

Everything a ticket's life writes one statement at a time in services.tickets is written here a chunk (thousands
of tickets) at a time: COPY FROM STDIN for tickets, events, supervisions and joint meetings; one statement for the
chunk's ids, one for its numbers, one for its repeat links.
"""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text


TICKET_COLUMNS = (
    "id", "number", "channel", "category_code", "category_version", "variant", "description", "geom", "grid_code",
    "community_code", "street_code", "address", "citizen_name", "citizen_phone", "priority", "complexity",
    "lead_department_code", "co_department_codes", "handled_by_community", "state", "escalation_level",
    "supervised", "returned_count", "reopened_count", "merged_into_id", "flags", "attributes", "source_ref",
    "registered_by", "registered_at", "dispatched_at", "accepted_at", "on_site_at", "resolved_at", "evaluated_at",
    "closed_at", "updated_at", "arrival_due_at", "resolve_due_at", "evaluation_token", "satisfaction",
    "evaluation_comment")
EVENT_COLUMNS = ("ticket_id", "at", "actor", "action", "from_state", "to_state", "reason", "data")
SUPERVISION_COLUMNS = ("ticket_id", "level", "unit", "person", "reason", "created_at", "closed_at")
MEETING_COLUMNS = ("ticket_id", "meeting_date", "department_codes", "decision", "follow_up", "created_at")


# ------------------------------------------------------------------------------------------------ read once

def department_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(text("SELECT code, name FROM departments")).all())


def street_names_by_community(conn: Connection) -> dict[str, str]:
    """The street name of each community (services.tickets._answerable holds a community-handled ticket's street
    to account)."""
    return dict(conn.execute(text(
        "SELECT c.code, s.name FROM communities c JOIN streets s ON s.code = c.street_code")).all())


# ------------------------------------------------------------------------------------------------ reserve

def reserve_ticket_ids(conn: Connection, count: int) -> list[int]:
    """``count`` ids from the tickets' own sequence, ascending (so ids follow the order of registration)."""
    return list(conn.execute(text("SELECT nextval('tickets_id_seq') FROM generate_series(1, :n) ORDER BY 1"),
                             {"n": count}).scalars())


def reserve_numbers(conn: Connection, counts: dict[date, int]) -> dict[date, int]:
    """Take ``counts[day]`` numbers of each local day's counter at once (geo.tickets.next_ticket_number takes
    one); returns the first sequence number of each day's range."""
    if not counts:
        return {}
    days = sorted(counts)
    rows = conn.execute(text("""
        INSERT INTO ticket_counters (day, last)
        SELECT * FROM unnest(CAST(:days AS date[]), CAST(:counts AS int[]))
        ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + EXCLUDED.last
        RETURNING day, last"""), {"days": days, "counts": [counts[d] for d in days]}).all()
    return {day: last - counts[day] + 1 for day, last in rows}


# ------------------------------------------------------------------------------------------------ write

def copy_text(rows: Iterable[Sequence[Any]]) -> io.StringIO:
    """``rows`` as the text COPY FROM STDIN reads (values escaped here), ready to be sent by ``copy_into``."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
    buffer.seek(0)
    return buffer


def copy_into(conn: Connection, table: str, columns: Sequence[str], buffer: io.StringIO) -> None:
    """COPY what ``copy_text`` made into ``table``, in the caller's transaction."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    finally:
        cursor.close()


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is float:
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return _array(value).translate(_ESCAPES)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str).translate(_ESCAPES) if value else "{}"
    return str(value).translate(_ESCAPES)


def _array(values: Sequence[Any]) -> str:
    """A text[] literal, every element quoted."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def point(lon: float, lat: float) -> str:
    """A geometry column's COPY text: EWKT with the float's shortest exact digits (what psycopg2 sends)."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def tune_session(conn: Connection) -> None:
    """For one chunk's transaction: no JIT. The chunk's statements are planned while the table grows faster than
    its statistics, and a plan that looks expensive gets ~0.5 s of JIT compilation to save milliseconds."""
    conn.execute(text("SET LOCAL jit = off"))


def analyze_tickets(conn: Connection) -> None:
    """Fresh planner statistics: after a COPY of thousands of rows into a small table the planner still thinks it
    small and picks scans of whole categories for the repeat links."""
    conn.execute(text("ANALYZE tickets"))


def link_repeats(conn: Connection, ticket_ids: Sequence[int], radius_m: float, window_days: int, flag: str) -> int:
    """重复投诉 of the tickets ``ticket_ids``, as services.tickets._link_repeats finds them at intake
    (geo.supervision.earlier_closed): up to 5 earlier tickets of the same category closed within the window before
    the registration, of the same caller or within ``radius_m``; linked, and the ticket flagged. Run after the
    chunk is in: every ticket closed before a registration is then in the table (a ticket registered later closes
    later), and a closed ticket stays closed, so the final rows answer as the rows at intake did.

    Speed: the tickets closed in the chunk's window go to a temporary table of their own with its own spatial
    index, so a place is looked up among the few closed then, not among every ticket there in years of history;
    the degree box (radius / 80 km, larger than the radius at this latitude) only lets that index help."""
    if not ticket_ids:
        return 0
    window = {"ids": list(ticket_ids), "seconds": window_days * 86_400}
    conn.execute(text("""
        CREATE TEMPORARY TABLE repeat_candidates ON COMMIT DROP AS
        SELECT e.id, e.category_code, e.citizen_phone, e.geom, e.closed_at FROM tickets e
        WHERE e.state = 'closed' AND e.merged_into_id IS NULL AND e.closed_at IS NOT NULL
          AND e.closed_at >= (SELECT min(registered_at) FROM tickets WHERE id = ANY(CAST(:ids AS bigint[])))
                             - make_interval(secs => :seconds)
          AND e.closed_at <= (SELECT max(registered_at) FROM tickets WHERE id = ANY(CAST(:ids AS bigint[])))"""),
        window)
    conn.execute(text("CREATE INDEX ON repeat_candidates USING gist (geom)"))
    conn.execute(text("CREATE INDEX ON repeat_candidates (citizen_phone)"))
    conn.execute(text("ANALYZE repeat_candidates"))
    linked = conn.execute(text("""
        WITH links AS (
            INSERT INTO ticket_links (ticket_id, earlier_id, reasons, created_at)
            SELECT t.id, e.id,
                   array_remove(ARRAY[CASE WHEN e.same_caller THEN 'same_caller' END,
                                      CASE WHEN e.same_place THEN 'same_place' END], NULL),
                   t.registered_at
            FROM tickets t
            CROSS JOIN LATERAL (
                SELECT e.id, (t.citizen_phone IS NOT NULL AND e.citizen_phone = t.citizen_phone) AS same_caller,
                       ST_DWithin(e.geom::geography, t.geom::geography, :radius) AS same_place
                FROM (SELECT c.* FROM repeat_candidates c            -- the same caller
                      WHERE t.citizen_phone IS NOT NULL AND c.citizen_phone = t.citizen_phone
                      UNION
                      SELECT c.* FROM repeat_candidates c            -- the same place
                      WHERE ST_DWithin(c.geom, t.geom, :degrees)
                        AND ST_DWithin(c.geom::geography, t.geom::geography, :radius)) e
                WHERE e.category_code = t.category_code AND e.id <> t.id
                  AND e.closed_at >= t.registered_at - make_interval(secs => :seconds)
                  AND e.closed_at <= t.registered_at
                ORDER BY e.closed_at DESC LIMIT 5) e
            WHERE t.id = ANY(CAST(:ids AS bigint[]))
            ON CONFLICT DO NOTHING
            RETURNING ticket_id)
        UPDATE tickets SET flags = array_append(flags, CAST(:flag AS varchar))
        WHERE id IN (SELECT ticket_id FROM links)"""),
        {**window, "radius": radius_m, "degrees": radius_m / 80_000.0, "flag": flag})
    conn.execute(text("DROP TABLE repeat_candidates"))
    return linked.rowcount
