"""SQL of work orders: location lookups, numbers, inserts, updates, events, outbox, idempotency."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from geo.db import execute_prepared
from geo.grids import place_at

TICKET_COLUMNS = """
    t.id, t.number, t.channel, t.category_code, t.category_version, c.name AS category_name, t.variant,
    t.description,
    ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.grid_code, g.name AS grid_name, t.community_code,
    cm.name AS community_name, t.street_code, s.name AS street_name, t.address, t.citizen_name, t.citizen_phone,
    t.priority, t.complexity, t.lead_department_code, d.name AS lead_department_name, t.co_department_codes,
    t.handled_by_community, t.state, t.escalation_level, t.supervised, t.returned_count, t.reopened_count,
    t.crew_code, t.related_ticket_id, t.merged_into_id, t.flags, t.media_url, t.attributes, t.source_ref,
    t.registered_by, t.registered_at, t.dispatched_at, t.accepted_at, t.on_site_at, t.resolved_at,
    t.evaluated_at, t.closed_at, t.updated_at, t.arrival_due_at, t.resolve_due_at, t.evaluation_token,
    t.satisfaction, t.evaluation_comment,
    (SELECT number FROM tickets r WHERE r.id = t.related_ticket_id) AS related_number,
    (SELECT number FROM tickets m WHERE m.id = t.merged_into_id) AS merged_into_number"""
# The names a ticket is read with, joined to ``t`` (a table of ticket rows: ``tickets``, or geo.intake's new row).
TICKET_JOINS = """
    JOIN categories c ON c.code = t.category_code JOIN grids g ON g.code = t.grid_code
    JOIN communities cm ON cm.code = t.community_code JOIN streets s ON s.code = t.street_code
    JOIN departments d ON d.code = t.lead_department_code"""
TICKET_FROM = "FROM tickets t" + TICKET_JOINS


# ------------------------------------------------------------------------------------------------ location

def place_of_point(conn: Connection, lon: float, lat: float) -> dict | None:
    """Grid, community and street codes of a point (geo.grids: the one rule for every point); None outside."""
    return place_at(conn, lon, lat, ("grid_code", "community_code", "street_code"))


def grid_point(conn: Connection, grid_code: str) -> tuple[float, float] | None:
    row = conn.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids
                               WHERE code = :code) q"""), {"code": grid_code}).first()
    return (row[0], row[1]) if row else None


def search_places(conn: Connection, query: str, limit: int = 8) -> list[dict]:
    """Fuzzy address search over the gazetteer (trigram similarity, exact substring first)."""
    rows = conn.execute(text("""
        SELECT name, kind, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat,
               CASE WHEN search_text LIKE '%' || :q || '%' THEN 1.0 ELSE similarity(search_text, :q) END AS score
        FROM places
        WHERE search_text % :q OR search_text LIKE '%' || :q || '%'
        ORDER BY search_text = :q DESC, (search_text LIKE '%' || :q || '%') DESC, similarity(search_text, :q) DESC,
                 length(search_text), name
        LIMIT :n"""), {"q": query, "n": limit}).mappings().all()
    return [dict(r) for r in rows]


# ------------------------------------------------------------------------------------------------ catalogue

def category_rows(conn: Connection) -> list[dict]:
    """The current version of every category (geo.catalogue keeps them all)."""
    return [dict(r) for r in conn.execute(text(
        "SELECT code, name, complexity, priority, lead_department_code, rules, version FROM categories ORDER BY code"
    )).mappings()]


def department_codes(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT code FROM departments")).scalars())


# ------------------------------------------------------------------------------------------------ tickets

def update_ticket(conn: Connection, ticket_id: int, changes: dict[str, Any]) -> None:
    if not changes:
        return
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    conn.execute(text(f"UPDATE tickets SET {sets} WHERE id = :id"), {**changes, "id": ticket_id})


def ticket_by_number(conn: Connection, number: str, lock: bool = False) -> dict | None:
    if lock:
        return _ticket_where(conn, "ticket_by_number_for_update", "text", "t.number = $1 FOR UPDATE OF t", number)
    return _ticket_where(conn, "ticket_by_number", "text", "t.number = $1", number)


def ticket_by_id(conn: Connection, ticket_id: int) -> dict | None:
    return _ticket_where(conn, "ticket_by_id", "bigint", "t.id = $1", ticket_id)


def ticket_by_token(conn: Connection, token: str) -> dict | None:
    return _ticket_where(conn, "ticket_by_token", "text", "t.evaluation_token = $1", token)


def _ticket_where(conn: Connection, name: str, signature: str, condition: str, value) -> dict | None:
    """One ticket with its names: the read every change makes two or three times, so a prepared statement
    (geo.db.execute_prepared: planned once per connection, not once per call)."""
    row = execute_prepared(conn, name, signature, f"SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE {condition}",
                           (value,)).mappings().first()
    return dict(row) if row else None


LIST_FILTERS = {
    "state": "t.state = ANY(:state)", "category": "t.category_code = ANY(:category)",
    "channel": "t.channel = ANY(:channel)", "street": "t.street_code = :street", "grid": "t.grid_code = :grid",
    "community": "t.community_code = :community", "department": "t.lead_department_code = :department",
    "phone": "t.citizen_phone = :phone", "since": "t.registered_at >= :since", "until": "t.registered_at < :until",
    "numbers": "t.number = ANY(:numbers)", "updated_since": "t.updated_at >= :updated_since",
    "crew": "t.crew_code = :crew",          # a crew's tasks (the grid worker's phone)
}


# A scoped reader's tickets (workorders.policy.ticket_scope): any one of these holds.
SCOPE_CLAUSES = {
    "department": "(t.lead_department_code = ANY(:scope_department)"
                  " OR t.co_department_codes::text[] && CAST(:scope_department AS text[]))",
    "street": "t.street_code = ANY(:scope_street)", "community": "t.community_code = ANY(:scope_community)",
    "grid": "t.grid_code = ANY(:scope_grid)", "crew": "t.crew_code = ANY(:scope_crew)",
}


def _scope_clause(scope: dict[str, set[str]]) -> tuple[str, dict]:
    """``scope`` as one OR of SCOPE_CLAUSES (an empty scope: no ticket at all)."""
    parts = [SCOPE_CLAUSES[key] for key in sorted(scope) if scope[key]]
    params = {f"scope_{key}": sorted(values) for key, values in scope.items() if values}
    return ("(" + " OR ".join(parts) + ")" if parts else "false"), params


def list_tickets(conn: Connection, filters: dict[str, Any], *, open_only: bool = False, limit: int = 100,
                 offset: int = 0, oldest_first: bool = False, scope: dict[str, set[str]] | None = None) -> list[dict]:
    """Tickets matching ``filters`` (keys of LIST_FILTERS; empty values ignored), newest first; with ``scope``
    only those within it (see SCOPE_CLAUSES)."""
    unknown = set(filters) - set(LIST_FILTERS)
    if unknown:
        raise ValueError(f"unknown ticket filters: {', '.join(sorted(unknown))}")
    params = {k: v for k, v in filters.items() if v not in (None, [], "")}
    where = [LIST_FILTERS[k] for k in params]
    if scope is not None:
        clause, scope_params = _scope_clause(scope)
        where.append(clause)
        params.update(scope_params)
    if open_only:
        where.append("t.state NOT IN ('closed', 'merged', 'refused')")
    sql = f"SELECT {TICKET_COLUMNS} {TICKET_FROM}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    direction = "ASC" if oldest_first else "DESC"
    sql += f" ORDER BY t.registered_at {direction}, t.id {direction} LIMIT :limit OFFSET :offset"
    return [dict(r) for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset}).mappings()]


def most_urgent(conn: Connection, states: list[str], limit: int) -> list[dict]:
    """Tickets in ``states``, the most urgent first (priority, then the nearest resolution deadline, then the
    oldest): what a map shows when there are more than it holds, so the cut drops the least pressing ones."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.state = ANY(:states)
        ORDER BY t.priority, t.resolve_due_at NULLS LAST, t.registered_at, t.id LIMIT :limit"""),
        {"states": states, "limit": limit}).mappings()]


def count_in_states(conn: Connection, states: list[str]) -> int:
    return conn.execute(text("SELECT count(*) FROM tickets WHERE state = ANY(:states)"),
                        {"states": states}).scalar_one()


def open_tickets_near(conn: Connection, category: str, lon: float, lat: float, radius_m: float,
                      since: datetime, exclude_id: int | None = None) -> list[dict]:
    """Open tickets of the same category close by and recent: likely duplicates of a new report."""
    rows = conn.execute(text(f"""
        SELECT {TICKET_COLUMNS},
               ST_Distance(t.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS metres
        {TICKET_FROM}
        WHERE t.category_code = :category AND t.registered_at >= :since
          AND t.state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')
          AND ST_DWithin(t.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg)
          AND (CAST(:exclude AS bigint) IS NULL OR t.id <> :exclude)
        ORDER BY metres, t.registered_at DESC  -- equally near: the newest first
        LIMIT 5"""),
        {"category": category, "lon": lon, "lat": lat, "since": since, "exclude": exclude_id,
         # index-friendly degree pre-filter (generous), then exact metres below
         "deg": radius_m / 80_000.0}).mappings().all()
    return [dict(r) for r in rows if r["metres"] <= radius_m]


def add_event(conn: Connection, ticket_id: int, at: datetime, actor: str, action: str, from_state: str | None,
              to_state: str | None, reason: str | None = None, data: dict | None = None) -> int:
    return conn.execute(text("""
        INSERT INTO ticket_events (ticket_id, at, actor, action, from_state, to_state, reason, data)
        VALUES (:t, :at, :actor, :action, :f, :to, :reason, CAST(:data AS jsonb)) RETURNING id"""),
        {"t": ticket_id, "at": at, "actor": actor, "action": action, "f": from_state, "to": to_state,
         "reason": reason, "data": json.dumps(data or {}, ensure_ascii=False, default=str)}).scalar()


def ticket_events(conn: Connection, ticket_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT id, at, actor, action, from_state, to_state, reason, data FROM ticket_events
        WHERE ticket_id = :t ORDER BY at, id"""), {"t": ticket_id}).mappings()]


def add_outbox(conn: Connection, topic: str, event_type: str, payload: dict, at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO outbox (topic, event_type, payload, created_at)
        VALUES (:topic, :type, CAST(:payload AS jsonb), :at) RETURNING id"""),
        {"topic": topic, "type": event_type, "payload": json.dumps(payload, ensure_ascii=False, default=str),
         "at": at}).scalar()


# ------------------------------------------------------------------------------------------------ idempotency

def find_idempotency_key(conn: Connection, scope: str, key: str) -> dict | None:
    row = conn.execute(text("""SELECT request_hash, ticket_id FROM idempotency_keys
                               WHERE scope = :scope AND key = :key"""), {"scope": scope, "key": key}).mappings().first()
    return dict(row) if row else None


def claim_idempotency_key(conn: Connection, scope: str, key: str, request_hash: str, ticket_id: int,
                          at: datetime) -> bool:
    """False when another transaction stored the key first (the caller then rolls back and answers with it)."""
    inserted = conn.execute(text("""
        INSERT INTO idempotency_keys (scope, key, request_hash, ticket_id, created_at)
        VALUES (:scope, :key, :hash, :ticket, :at) ON CONFLICT DO NOTHING RETURNING 1"""),
        {"scope": scope, "key": key, "hash": request_hash, "ticket": ticket_id, "at": at}).scalar()
    return bool(inserted)


# ------------------------------------------------------------------------------------------------ supervision

def add_supervision(conn: Connection, ticket_id: int, level: int, unit: str, person: str | None, reason: str,
                    at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO supervisions (ticket_id, level, unit, person, reason, created_at)
        VALUES (:t, :level, :unit, :person, :reason, :at) RETURNING id"""),
        {"t": ticket_id, "level": level, "unit": unit, "person": person, "reason": reason, "at": at}).scalar()


def close_supervisions(conn: Connection, ticket_id: int, at: datetime) -> None:
    conn.execute(text("UPDATE supervisions SET closed_at = :at WHERE ticket_id = :t AND closed_at IS NULL"),
                 {"t": ticket_id, "at": at})


def add_supervision_action(conn: Connection, supervision_id: int, actor: str, note: str,
                           at: datetime) -> int | None:
    """The new action's id, or None when there is no such supervision."""
    return conn.execute(text("""INSERT INTO supervision_actions (supervision_id, at, actor, note)
                                SELECT :s, :at, :actor, :note WHERE EXISTS (SELECT 1 FROM supervisions WHERE id = :s)
                                RETURNING id"""),
                        {"s": supervision_id, "at": at, "actor": actor, "note": note}).scalar()


def supervision_ticket_id(conn: Connection, supervision_id: int) -> int | None:
    """The id of the ticket a supervision is about, or None when there is no such supervision."""
    return conn.scalar(text("SELECT ticket_id FROM supervisions WHERE id = :s"), {"s": supervision_id})


def supervision_list(conn: Connection, open_only: bool = True) -> list[dict]:
    sql = """
        SELECT s.id, s.level, s.unit, s.person, s.reason, s.created_at, s.closed_at, t.number, t.state,
               t.resolve_due_at, c.name AS category_name,
               (SELECT count(*) FROM supervision_actions a WHERE a.supervision_id = s.id) AS actions
        FROM supervisions s JOIN tickets t ON t.id = s.ticket_id JOIN categories c ON c.code = t.category_code"""
    if open_only:
        sql += " WHERE s.closed_at IS NULL"
    return [dict(r) for r in conn.execute(text(sql + " ORDER BY s.created_at")).mappings()]


def add_joint_meeting(conn: Connection, ticket_id: int, meeting_date: date, departments: list[str],
                      decision: str | None, follow_up: str | None, at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO joint_meetings (ticket_id, meeting_date, department_codes, decision, follow_up, created_at)
        VALUES (:t, :d, :deps, :decision, :follow, :at) RETURNING id"""),
        {"t": ticket_id, "d": meeting_date, "deps": departments, "decision": decision, "follow": follow_up,
         "at": at}).scalar()


def overdue_tickets(conn: Connection, now: datetime, grace_hours: float, states: list[str]) -> list[dict]:
    """Tickets in ``states`` past their deadline (plus a grace per level already reached) that can still go up a
    level and are not held, locked for this transaction. SKIP LOCKED: a second sweep at the same time passes over the tickets
    the first one holds instead of waiting and escalating them once more when it commits."""
    return [dict(r) for r in conn.execute(text("""
        SELECT t.id, t.number, t.escalation_level FROM tickets t
        WHERE t.state = ANY(:states)
          AND NOT ('held' = ANY(t.flags))      -- 挂起: the clock stands still (services/handling.py)
          AND t.escalation_level < 2
          AND t.resolve_due_at + interval '1 hour' * (CAST(:grace AS float) * t.escalation_level) < :now
        ORDER BY t.resolve_due_at
        FOR UPDATE SKIP LOCKED"""), {"now": now, "grace": grace_hours, "states": states}).mappings()]


def returned_departments(conn: Connection, ticket_id: int) -> set[str]:
    return set(conn.execute(text("""SELECT data->>'returned_by' FROM ticket_events
                                    WHERE ticket_id = :t AND action = 'return'"""), {"t": ticket_id}).scalars())


def merged_children(conn: Connection, ticket_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text(
        "SELECT id, number, state FROM tickets WHERE merged_into_id = :t ORDER BY id"), {"t": ticket_id}).mappings()]


def street_and_community_names(conn: Connection, community_code: str) -> dict:
    return dict(conn.execute(text("""
        SELECT c.name AS community, s.name AS street, g.cadre_name
        FROM communities c JOIN streets s ON s.code = c.street_code
        LEFT JOIN LATERAL (SELECT cadre_name FROM grids WHERE community_code = c.code ORDER BY code LIMIT 1) g ON true
        WHERE c.code = :c"""), {"c": community_code}).mappings().one())
