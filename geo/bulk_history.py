"""SQL of the set-based history writer (etl/history_bulk.py): what it reads once (catalogue versions, places,
unit names), the ids and numbers it reserves, the COPY of whole chunks of rows, and the repeat links of a chunk.

Everything a ticket's life writes one statement at a time in services.tickets is written here a chunk (thousands
of tickets) at a time: COPY FROM STDIN for tickets, events, supervisions and joint meetings; one statement for the
chunk's ids, one for its numbers, one for its repeat links.
"""
from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text

from geo.catalogue import CATEGORY_FIELDS

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

def category_versions(conn: Connection) -> list[dict]:
    """Every version of every category with the moment it came into force, and (version None, valid_from None)
    each category that has no version row: what geo.catalogue.category_rows_at picks from, for all moments."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT category_code AS code, version, valid_from, {CATEGORY_FIELDS} FROM category_versions
        UNION ALL
        SELECT code, NULL, NULL, {CATEGORY_FIELDS} FROM categories
        ORDER BY 1, 3 NULLS FIRST, 2 NULLS FIRST""")).mappings()]


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

def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY ``rows`` into ``table`` in the caller's transaction (text format, values escaped here)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    finally:
        cursor.close()


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return _array(value).translate(_ESCAPES)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def _array(values: Sequence[Any]) -> str:
    """A text[] literal, every element quoted."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def point(lon: float, lat: float) -> str:
    """A geometry column's COPY text: EWKT with the float's shortest exact digits (what psycopg2 sends)."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def link_repeats(conn: Connection, ticket_ids: Sequence[int], radius_m: float, window_days: int, flag: str) -> int:
    """重复投诉 of the tickets ``ticket_ids``, as services.tickets._link_repeats finds them at
    intake (geo.supervision.earlier_closed): up to 5 earlier tickets of the same category closed within the window
    before the registration, of the same caller or within ``radius_m``; linked, and the ticket flagged. Run after
    the chunk is in: every ticket closed before a registration is then in the table (a ticket registered later
    closes later), and a closed ticket stays closed, so the final rows answer as the rows at intake did. The
    degree box (radius / 80 km, larger than the radius at this latitude) only lets the spatial index help."""
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
                FROM tickets e
                WHERE e.category_code = t.category_code AND e.id <> t.id
                  AND e.closed_at >= t.registered_at - make_interval(secs => :seconds)
                  AND e.closed_at <= t.registered_at
                  AND e.merged_into_id IS NULL AND e.state = 'closed'
                  AND ((t.citizen_phone IS NOT NULL AND e.citizen_phone = t.citizen_phone)
                       OR (ST_DWithin(e.geom, t.geom, :degrees)
                           AND ST_DWithin(e.geom::geography, t.geom::geography, :radius)))
                ORDER BY e.closed_at DESC LIMIT 5) e
            WHERE t.id = ANY(CAST(:ids AS bigint[]))
            ON CONFLICT DO NOTHING
            RETURNING ticket_id)
        UPDATE tickets SET flags = array_append(flags, CAST(:flag AS varchar))
        WHERE id IN (SELECT ticket_id FROM links)"""),
        {"ids": list(ticket_ids), "radius": radius_m, "degrees": radius_m / 80_000.0,
         "seconds": window_days * 86_400, "flag": flag})
    return linked.rowcount
