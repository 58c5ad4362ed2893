"""SQL of supervision (督办): the lists of /supervision, 督办单, 问责, 联席会 records, repeat links, arrival breaches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, text

from geo.ticket_search import number_or_address

OPEN = "t.state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')"
LIST_COLUMNS = """
    t.id, t.number, t.state, t.category_code, c.name AS category_name, t.street_code, s.name AS street_name,
    t.community_code, t.lead_department_code, d.name AS lead_department_name, t.escalation_level, t.flags,
    t.registered_at, t.arrival_due_at, t.on_site_at, t.resolve_due_at, t.related_ticket_id,
    (SELECT number FROM tickets r WHERE r.id = t.related_ticket_id) AS related_number"""
LIST_FROM = """
    FROM tickets t JOIN categories c ON c.code = t.category_code JOIN streets s ON s.code = t.street_code
    JOIN departments d ON d.code = t.lead_department_code"""


def _rows(conn: Connection, sql: str, params: dict) -> list[dict]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


# ------------------------------------------------------------------------------------------------ lists

OVERDUE = f"""{OPEN} AND NOT ('held' = ANY(t.flags))
    AND (t.resolve_due_at < :now OR (t.on_site_at IS NULL AND t.arrival_due_at < :now))"""


# Every list takes ``find``: only the tickets whose number or address holds it (geo.ticket_search.number_or_address),
# so a ticket beyond a list's first ``limit`` rows is still reached.

def overdue(conn: Connection, now: datetime, limit: int, find: str | None = None) -> list[dict]:
    """Open tickets past their resolution deadline, or past their arrival deadline with nobody on site; a held
    ticket's clock stands still, so it is not late. The latest deadline passed longest ago first."""
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT {LIST_COLUMNS}, (t.resolve_due_at < :now) AS resolve_breached,
               (t.on_site_at IS NULL AND t.arrival_due_at < :now) AS arrival_breached
        {LIST_FROM}
        WHERE {OVERDUE} AND {found}
        ORDER BY LEAST(t.resolve_due_at, COALESCE(t.arrival_due_at, t.resolve_due_at)), t.id
        LIMIT :limit""", {**params, "now": now, "limit": limit})


def overdue_count(conn: Connection, now: datetime) -> int:
    """How many tickets ``overdue`` would list without its limit."""
    return int(conn.scalar(text(f"SELECT count(*) FROM tickets t WHERE {OVERDUE}"), {"now": now}))


def escalated(conn: Connection, limit: int, find: str | None = None) -> list[dict]:
    """Open tickets raised to a supervision level, the highest level first."""
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT {LIST_COLUMNS} {LIST_FROM}
        WHERE {OPEN} AND t.escalation_level > 0 AND {found}
        ORDER BY t.escalation_level DESC, t.resolve_due_at, t.id LIMIT :limit""", {**params, "limit": limit})


def escalated_counts(conn: Connection) -> dict[int, int]:
    return {row[0]: row[1] for row in conn.execute(text(f"""
        SELECT t.escalation_level, count(*) FROM tickets t WHERE {OPEN} AND t.escalation_level > 0
        GROUP BY 1"""))}


def repeats(conn: Connection, since: datetime, limit: int, find: str | None = None) -> list[dict]:
    """Tickets registered since ``since`` that repeat an earlier closed one, with the earlier one and why."""
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT {LIST_COLUMNS}, e.number AS earlier_number, e.closed_at AS earlier_closed_at, l.reasons
        {LIST_FROM} JOIN ticket_links l ON l.ticket_id = t.id JOIN tickets e ON e.id = l.earlier_id
        WHERE t.registered_at >= :since AND {found}
        ORDER BY t.registered_at DESC, t.id DESC, e.closed_at DESC LIMIT :limit""",
        {**params, "since": since, "limit": limit})


def refiled_higher(conn: Connection, since: datetime, limit: int, find: str | None = None) -> list[dict]:
    """越级: tickets a citizen filed again higher up, naming the original."""
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT {LIST_COLUMNS} {LIST_FROM}
        WHERE t.related_ticket_id IS NOT NULL AND t.registered_at >= :since AND {found}
        ORDER BY t.registered_at DESC, t.id DESC LIMIT :limit""", {**params, "since": since, "limit": limit})


def satisfaction_by_unit(conn: Connection, since: datetime) -> list[dict]:
    """Per lead unit: ratings since ``since`` and how many were 满意 or 基本满意."""
    return _rows(conn, """
        SELECT d.code AS department_code, d.name AS department_name, count(*) AS rated,
               count(*) FILTER (WHERE t.satisfaction IN ('satisfied', 'basically')) AS content,
               count(*) FILTER (WHERE t.satisfaction = 'unsatisfied') AS unsatisfied
        FROM tickets t JOIN departments d ON d.code = t.lead_department_code
        WHERE t.satisfaction IS NOT NULL AND t.evaluated_at >= :since
        GROUP BY d.code, d.name ORDER BY d.code""", {"since": since})


# ------------------------------------------------------------------------------------------------ 督办单

def insert_order(conn: Connection, row: dict) -> int:
    return conn.execute(text("""
        INSERT INTO supervision_orders (ticket_id, department_code, responsible_person, due_on, demand, issued_by,
                                        issued_at)
        VALUES (:ticket_id, :department_code, :responsible_person, :due_on, :demand, :issued_by, :issued_at)
        RETURNING id"""), row).scalar()


ORDER_COLUMNS = """
    o.id, o.ticket_id, t.number, c.name AS category_name, o.department_code, d.name AS department_name,
    o.responsible_person, o.due_on, o.demand, o.issued_by, o.issued_at, o.answer, o.answered_at, o.outcome,
    o.outcome_note, o.closed_by, o.closed_at"""
ORDER_FROM = """
    FROM supervision_orders o JOIN tickets t ON t.id = o.ticket_id JOIN departments d ON d.code = o.department_code
    JOIN categories c ON c.code = t.category_code"""


def order(conn: Connection, order_id: int, lock: bool = False) -> dict | None:
    sql = f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.id = :id" + (" FOR UPDATE OF o" if lock else "")
    row = conn.execute(text(sql), {"id": order_id}).mappings().first()
    return dict(row) if row else None


def orders(conn: Connection, *, open_only: bool = False, ticket_id: int | None = None,
           limit: int = 200, find: str | None = None) -> list[dict]:
    """督办单, the open ones first, the nearest deadline first."""
    found, params = number_or_address(find)
    where = [found]
    if open_only:
        where.append("o.closed_at IS NULL")
    if ticket_id is not None:
        where.append("o.ticket_id = :ticket_id")
    return _rows(conn, f"""SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE {' AND '.join(where)}
                           ORDER BY o.closed_at IS NOT NULL, o.due_on, o.id LIMIT :limit""",
                 {**params, "ticket_id": ticket_id, "limit": limit})


def update_order(conn: Connection, order_id: int, changes: dict) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    conn.execute(text(f"UPDATE supervision_orders SET {sets} WHERE id = :id"), {**changes, "id": order_id})


# ------------------------------------------------------------------------------------------------ 问责

def insert_accountability(conn: Connection, row: dict) -> int:
    return conn.execute(text("""
        INSERT INTO accountabilities (ticket_id, order_id, person, measure, decided_on, note, recorded_by,
                                      recorded_at)
        VALUES (:ticket_id, :order_id, :person, :measure, :decided_on, :note, :recorded_by, :recorded_at)
        RETURNING id"""), row).scalar()


def accountabilities(conn: Connection, ticket_id: int | None = None, limit: int = 200,
                     find: str | None = None) -> list[dict]:
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT a.id, a.ticket_id, t.number, a.order_id, a.person, a.measure, a.decided_on, a.note, a.recorded_by,
               a.recorded_at
        FROM accountabilities a JOIN tickets t ON t.id = a.ticket_id
        WHERE (CAST(:ticket_id AS bigint) IS NULL OR a.ticket_id = :ticket_id) AND {found}
        ORDER BY a.decided_on DESC, a.id DESC LIMIT :limit""", {**params, "ticket_id": ticket_id, "limit": limit})


# ------------------------------------------------------------------------------------------------ 联席会

def insert_meeting(conn: Connection, ticket_id: int, meeting_date: date, departments: list[str], convened_by: str,
                   at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO joint_meetings (ticket_id, meeting_date, department_codes, convened_by, created_at)
        VALUES (:t, :d, :deps, :by, :at) RETURNING id"""),
        {"t": ticket_id, "d": meeting_date, "deps": departments, "by": convened_by, "at": at}).scalar()


MEETING_COLUMNS = """
    m.id, m.ticket_id, t.number, m.meeting_date, m.department_codes,
    ARRAY(SELECT d.name FROM unnest(m.department_codes) WITH ORDINALITY u(code, n)
          JOIN departments d ON d.code = u.code ORDER BY u.n) AS department_names,
    m.decision, m.follow_up, m.convened_by, m.created_at, m.decided_at"""


def meeting(conn: Connection, meeting_id: int, lock: bool = False) -> dict | None:
    sql = (f"SELECT {MEETING_COLUMNS} FROM joint_meetings m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = :id"
           + (" FOR UPDATE OF m" if lock else ""))
    row = conn.execute(text(sql), {"id": meeting_id}).mappings().first()
    return dict(row) if row else None


def meetings(conn: Connection, ticket_id: int | None = None, limit: int = 200, find: str | None = None) -> list[dict]:
    found, params = number_or_address(find)
    return _rows(conn, f"""
        SELECT {MEETING_COLUMNS} FROM joint_meetings m JOIN tickets t ON t.id = m.ticket_id
        WHERE (CAST(:ticket_id AS bigint) IS NULL OR m.ticket_id = :ticket_id) AND {found}
        ORDER BY m.decision IS NOT NULL, m.meeting_date DESC, m.id DESC LIMIT :limit""",
        {**params, "ticket_id": ticket_id, "limit": limit})


def record_meeting_decision(conn: Connection, meeting_id: int, decision: str, follow_up: str | None,
                            at: datetime) -> None:
    conn.execute(text("""UPDATE joint_meetings SET decision = :decision, follow_up = :follow, decided_at = :at
                         WHERE id = :id"""), {"id": meeting_id, "decision": decision, "follow": follow_up, "at": at})


# ------------------------------------------------------------------------------------------------ repeats

def earlier_closed(conn: Connection, ticket: dict, phone: str | None, radius_m: float,
                   closed_since: datetime) -> list[dict]:
    """Closed tickets of the same category as ``ticket``, closed since ``closed_since``, of the same caller
    (``phone``) or within ``radius_m`` of it: what the new ticket repeats, and why (``same_caller``/``same_place``)."""
    return _rows(conn, """
        SELECT e.id, e.number, (CAST(:phone AS text) IS NOT NULL AND e.citizen_phone = :phone) AS same_caller,
               ST_DWithin(e.geom::geography, t.geom::geography, :radius) AS same_place
        FROM tickets t JOIN tickets e ON e.category_code = t.category_code AND e.id <> t.id
        WHERE t.id = :id AND e.closed_at >= :since AND e.closed_at <= t.registered_at
          AND e.merged_into_id IS NULL AND e.state = 'closed'
          AND ((CAST(:phone AS text) IS NOT NULL AND e.citizen_phone = :phone)
               OR ST_DWithin(e.geom::geography, t.geom::geography, :radius))
        ORDER BY e.closed_at DESC LIMIT 5""",
        {"id": ticket["id"], "phone": phone, "radius": radius_m, "since": closed_since})


def insert_link(conn: Connection, ticket_id: int, earlier_id: int, reasons: list[str], at: datetime) -> None:
    conn.execute(text("""INSERT INTO ticket_links (ticket_id, earlier_id, reasons, created_at)
                         VALUES (:t, :e, :r, :at) ON CONFLICT DO NOTHING"""),
                 {"t": ticket_id, "e": earlier_id, "r": reasons, "at": at})


def links_of(conn: Connection, ticket_id: int) -> list[dict]:
    """The tickets this one repeats and those that repeat it."""
    return _rows(conn, """
        SELECT e.number, l.reasons, 'earlier' AS direction FROM ticket_links l JOIN tickets e ON e.id = l.earlier_id
        WHERE l.ticket_id = :t
        UNION ALL
        SELECT n.number, l.reasons, 'later' FROM ticket_links l JOIN tickets n ON n.id = l.ticket_id
        WHERE l.earlier_id = :t
        ORDER BY 1""", {"t": ticket_id})


# ------------------------------------------------------------------------------------------------ arrival breach

def arrival_breaches(conn: Connection, now: datetime, states: list[str]) -> list[dict]:
    """Tickets in ``states`` whose arrival deadline passed with nobody on site, not held and not raised for it
    yet, locked (SKIP LOCKED: a concurrent sweep passes them over)."""
    return _rows(conn, """
        SELECT t.id, t.number, t.arrival_due_at FROM tickets t
        WHERE t.on_site_at IS NULL AND t.arrival_due_at < :now AND t.state = ANY(:states)
          AND NOT ('arrival_breached' = ANY(t.flags)) AND NOT ('held' = ANY(t.flags))
        ORDER BY t.arrival_due_at
        FOR UPDATE SKIP LOCKED""", {"now": now, "states": states})
