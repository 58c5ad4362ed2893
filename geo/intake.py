"""The statements of intake (issue 12): a new ticket in two round trips, so that intake's time is PostgreSQL's
work rather than the wait for a dozen answers one after the other.

1. ``place_and_stamp``: where the point is (``grid_at``, the one rule of geo.grids) and the catalogue's stamp
   (migration 0029), which tells the process whether the catalogue it keeps in memory is still the one stored.
2. ``register``: one statement of data-modifying CTEs: the day's counter, the ticket, the links to the closed
   tickets it repeats (and its ``repeat`` flag), its registration event, its outbox row, its idempotency key, its
   audit entry; it answers the ticket as ``geo.tickets.ticket_by_id`` reads it and the open look-alikes near it.
   One statement is one transaction's worth of writes: the ticket, its event and its outbox row stand or fall
   together, as before.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql

from geo.db import execute_prepared, execute_prepared_named, positional
from geo.models import Ticket
from geo.tickets import TICKET_COLUMNS, TICKET_JOINS

PLACE = ("grid_code", "community_code", "street_code")
REPEAT_REASONS = ("same_caller", "same_place")      # workorders.supervision.REPEAT_REASONS, in their order

# Both statements are prepared once per database connection (geo.db.execute_prepared): planning the register
# statement's dozen CTEs took ~2.3 ms of a ticket's ~11 ms in the door (profiled through Open311), executing it less.
_PLACE_AND_STAMP = """
    SELECT s.stamp::text AS stamp, g.grid_code, g.community_code, g.street_code
    FROM catalogue_stamp s
    LEFT JOIN LATERAL (SELECT * FROM grid_at(ST_SetSRID(ST_MakePoint($1, $2), 4326)) LIMIT 1) g ON true"""


def place_and_stamp(conn: Connection, lon: float, lat: float) -> tuple[str, dict | None]:
    """The catalogue's stamp and the grid/community/street codes of (lon, lat) (None outside every grid)."""
    row = execute_prepared(conn, "intake_place_and_stamp", "float8, float8", _PLACE_AND_STAMP,
                           (lon, lat)).mappings().one()
    place = {k: row[k] for k in PLACE} if row["grid_code"] is not None else None
    return row["stamp"], place


@dataclass(frozen=True)
class Registration:
    """What ``register`` writes besides the ticket row (``ticket``: the columns of ``tickets`` with lon/lat for
    the point; ``number`` is made here from the day's counter)."""
    ticket: dict[str, Any]
    day: date                        # the counter's day; the number is YYYYMMDD-NNNNNN of it
    event_actor: str
    event_data: dict
    outbox_topic: str
    outbox_type: str
    outbox_payload: dict             # completed here with the ticket's number and category name
    repeat_flag: str
    repeat_since: datetime
    repeat_radius_m: float
    duplicate_since: datetime
    duplicate_radius_m: float
    idempotency: tuple[str, str, str] | None = None        # (scope, key, request hash)
    audit: dict | None = None        # an audit_log row; its target is completed with the ticket's number


@dataclass
class Registered:
    ticket: dict
    duplicates: list[dict]           # open look-alikes near it, nearest first (each with ``metres``)
    key_claimed: bool                # False: another transaction stored the idempotency key first


def _register_sql(columns: list[str]) -> str:
    values = ", ".join("CAST(:attributes AS jsonb)" if c == "attributes" else f":{c}" for c in columns)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    caller = "(CAST(:citizen_phone AS text) IS NOT NULL AND e.citizen_phone = :citizen_phone)"
    near = f"ST_DWithin(e.geom::geography, {point}::geography, :repeat_radius)"
    return f"""
    WITH earlier AS (           -- closed tickets this one repeats (services.tickets._link_repeats' rule)
        SELECT e.id, {caller} AS same_caller, {near} AS same_place
        FROM tickets e
        WHERE e.category_code = :category_code AND e.closed_at >= :repeat_since AND e.closed_at <= :registered_at
          AND e.merged_into_id IS NULL AND e.state = 'closed' AND ({caller} OR {near})
        ORDER BY e.closed_at DESC LIMIT 5),
    counter AS (
        INSERT INTO ticket_counters (day, last) VALUES (:day, 1)
        ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last),
    inserted AS (
        INSERT INTO tickets ({', '.join(columns)}, number, flags, geom)
        SELECT {values}, :number_prefix || lpad(counter.last::text, greatest(6, length(counter.last::text)), '0'),
               CAST(:flags AS text[]) || CASE WHEN EXISTS (SELECT 1 FROM earlier)
                                               THEN ARRAY[CAST(:repeat_flag AS text)] ELSE '{{}}'::text[] END,
               {point}
        FROM counter RETURNING *),
    links AS (
        INSERT INTO ticket_links (ticket_id, earlier_id, reasons, created_at)
        SELECT t.id, e.id, array_remove(ARRAY[CASE WHEN e.same_caller THEN :reason_caller END,
                                              CASE WHEN e.same_place THEN :reason_place END], NULL), :registered_at
        FROM inserted t, earlier e ON CONFLICT DO NOTHING),
    event AS (
        INSERT INTO ticket_events (ticket_id, at, actor, action, from_state, to_state, reason, data)
        SELECT t.id, :registered_at, :event_actor, 'register', NULL, 'registered', NULL, CAST(:event_data AS jsonb)
        FROM inserted t),
    named AS (SELECT {TICKET_COLUMNS} FROM inserted t {TICKET_JOINS}),
    outbox_row AS (
        INSERT INTO outbox (topic, event_type, payload, created_at)
        SELECT :outbox_topic, :outbox_type,
               jsonb_set(jsonb_set(CAST(:outbox_payload AS jsonb), '{{ticket,number}}', to_jsonb(n.number)),
                         '{{ticket,category_name}}', to_jsonb(n.category_name)), :registered_at
        FROM named n),
    key_claim AS (
        INSERT INTO idempotency_keys (scope, key, request_hash, ticket_id, created_at)
        SELECT :key_scope, :key, :key_hash, t.id, :registered_at FROM inserted t
        WHERE CAST(:key_scope AS text) IS NOT NULL
        ON CONFLICT DO NOTHING RETURNING 1),
    audit AS (
        INSERT INTO audit_log (at, user_id, actor, action, target, outcome, address, user_agent, detail)
        SELECT :audit_at, :audit_user_id, :audit_actor, :audit_action, :audit_target || t.number, :audit_outcome,
               :audit_address, :audit_user_agent, CAST(:audit_detail AS jsonb)
        FROM inserted t WHERE CAST(:audit_action AS text) IS NOT NULL),
    nearest AS (                -- services.tickets._duplicates' rule; the new ticket is not in this snapshot
        SELECT t.id, ST_Distance(t.geom::geography, {point}::geography) AS metres
        FROM tickets t
        WHERE t.category_code = :category_code AND t.registered_at >= :duplicate_since
          AND t.state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')
          AND ST_DWithin(t.geom, {point}, :duplicate_deg)
        ORDER BY metres, t.registered_at DESC  -- equally near: the newest first
        LIMIT 5),
    look_alikes AS (            -- the names of the five only (joined for every candidate, it was most of the time)
        SELECT {TICKET_COLUMNS}, n.metres FROM nearest n JOIN tickets t ON t.id = n.id {TICKET_JOINS})
    SELECT 0 AS position, n.*, CAST(NULL AS float8) AS metres,
           (SELECT count(*) FROM key_claim) + CAST(CAST(:key_scope AS text) IS NULL AS int) AS claimed
    FROM named n
    UNION ALL
    SELECT row_number() OVER (ORDER BY l.metres, l.registered_at DESC), l.*, NULL FROM look_alikes l"""


# The SQL types of register's parameters that are not columns of ``tickets`` (those take the column's type).
_PARAMETER_TYPES = {
    "lon": "float8", "lat": "float8", "day": "date", "number_prefix": "text", "flags": "text[]",
    "repeat_flag": "text", "repeat_since": "timestamptz", "repeat_radius": "float8",
    "reason_caller": "text", "reason_place": "text", "event_actor": "text", "event_data": "text",
    "outbox_topic": "text", "outbox_type": "text", "outbox_payload": "text",
    "key_scope": "text", "key": "text", "key_hash": "text",
    "audit_at": "timestamptz", "audit_user_id": "bigint", "audit_actor": "text", "audit_action": "text",
    "audit_target": "text", "audit_outcome": "text", "audit_address": "text", "audit_user_agent": "text",
    "audit_detail": "text", "duplicate_since": "timestamptz", "duplicate_deg": "float8",
}
# One prepared statement per set of columns written (in practice one: services.tickets always writes the same).
_STATEMENTS: dict[tuple[str, ...], tuple[str, str, list[str], dict[str, str]]] = {}


def _column_type(column: str) -> str:
    """The SQL type of a ``tickets`` column, as the model declares it, without a length (varchar(16) → VARCHAR)."""
    return re.sub(r"\(\d+\)", "", Ticket.__table__.c[column].type.compile(dialect=postgresql.dialect()))


def _register_statement(columns: list[str]) -> tuple[str, str, list[str], dict[str, str]]:
    """(prepared statement name, its SQL with $n, the parameter names in order, their types) for ``columns``."""
    found = _STATEMENTS.get(tuple(columns))
    if found is None:
        sql, names = positional(_register_sql(columns))
        types = {n: _PARAMETER_TYPES.get(n) or _column_type(n) for n in names}
        name = "intake_register_" + hashlib.sha1(sql.encode()).hexdigest()[:12]
        found = _STATEMENTS[tuple(columns)] = (name, sql, names, types)
    return found


def register(conn: Connection, r: Registration) -> Registered:
    """The ticket and everything written with it, in one statement (see the module's docstring)."""
    row = r.ticket
    columns = [k for k in row if k not in ("lon", "lat", "number", "flags")]
    scope, key, key_hash = r.idempotency or (None, None, None)
    audit = r.audit or {}
    params = {
        **row, "attributes": json.dumps(row.get("attributes") or {}, ensure_ascii=False),
        "flags": list(row.get("flags") or []), "day": r.day, "number_prefix": f"{r.day:%Y%m%d}-",
        "repeat_flag": r.repeat_flag, "repeat_since": r.repeat_since, "repeat_radius": r.repeat_radius_m,
        "reason_caller": REPEAT_REASONS[0], "reason_place": REPEAT_REASONS[1],
        "event_actor": r.event_actor, "event_data": json.dumps(r.event_data, ensure_ascii=False, default=str),
        "outbox_topic": r.outbox_topic, "outbox_type": r.outbox_type,
        "outbox_payload": json.dumps(r.outbox_payload, ensure_ascii=False, default=str),
        "key_scope": scope, "key": key, "key_hash": key_hash,
        **{f"audit_{k}": audit.get(k) for k in ("at", "user_id", "actor", "action", "target", "outcome",
                                                 "address", "user_agent")},
        "audit_detail": json.dumps(audit["detail"], ensure_ascii=False) if audit.get("detail") is not None else None,
        "duplicate_since": r.duplicate_since,
        # index-friendly degree pre-filter (generous), then exact metres below, as geo.tickets.open_tickets_near
        "duplicate_deg": r.duplicate_radius_m / 80_000.0,
    }
    name, sql, names, types = _register_statement(columns)
    rows = [dict(x) for x in execute_prepared_named(conn, name, sql, names, types, params).mappings()]
    first = next(x for x in rows if x["position"] == 0)
    claimed = bool(first.pop("claimed"))
    ticket = {k: v for k, v in first.items() if k not in ("position", "metres")}
    look_alikes = sorted((x for x in rows if x["position"] != 0), key=lambda x: x["position"])
    duplicates = [{k: v for k, v in x.items() if k not in ("position", "claimed")} for x in look_alikes
                  if x["metres"] <= r.duplicate_radius_m]
    return Registered(ticket, duplicates, claimed)


def session_zone(conn: Connection) -> tzinfo:
    """The zone the database session gives times back in (its TimeZone, which libpq keeps without a query)."""
    name = conn.connection.dbapi_connection.info.parameter_status("TimeZone")
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ValueError, ZoneInfoNotFoundError):       # a POSIX offset such as '<+08>-08': fall back to UTC
        return timezone.utc
