"""SQL of handling records (issue 11): extension requests, holds and co-handling answers (migration 0022)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from geo.tickets import _scope_clause


def _rows(conn: Connection, sql: str, params: dict) -> list[dict]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def _row(conn: Connection, sql: str, params: dict) -> dict | None:
    row = conn.execute(text(sql), params).mappings().first()
    return dict(row) if row else None


# ------------------------------------------------------------------------------------------------ extensions

EXTENSION_COLUMNS = """
    e.id, e.ticket_id, t.number, t.state, c.name AS category_name, t.lead_department_code,
    d.name AS lead_department_name, s.name AS street_name, t.registered_at, t.resolve_due_at, e.reason,
    e.previous_due_at, e.requested_due_at, e.status, e.requested_by, e.requested_at, e.decided_by, e.decided_at,
    e.decision_note"""
EXTENSION_FROM = """
    FROM ticket_extensions e JOIN tickets t ON t.id = e.ticket_id JOIN categories c ON c.code = t.category_code
    JOIN departments d ON d.code = t.lead_department_code JOIN streets s ON s.code = t.street_code"""


def insert_extension(conn: Connection, row: dict) -> int:
    return conn.execute(text("""
        INSERT INTO ticket_extensions (ticket_id, reason, previous_due_at, requested_due_at, status, requested_by,
                                       requested_at)
        VALUES (:ticket_id, :reason, :previous_due_at, :requested_due_at, 'pending', :requested_by, :requested_at)
        RETURNING id"""), row).scalar()


def extension(conn: Connection, extension_id: int, lock: bool = False) -> dict | None:
    return _row(conn, f"SELECT {EXTENSION_COLUMNS} {EXTENSION_FROM} WHERE e.id = :id"
                + (" FOR UPDATE OF e" if lock else ""), {"id": extension_id})


def has_pending_extension(conn: Connection, ticket_id: int) -> bool:
    return bool(conn.scalar(text("""SELECT EXISTS (SELECT 1 FROM ticket_extensions
                                                   WHERE ticket_id = :t AND status = 'pending')"""),
                            {"t": ticket_id}))


def pending_extensions(conn: Connection, scope: dict[str, set[str]] | None, limit: int) -> list[dict]:
    """Pending requests, the oldest first; ``scope`` as policy.ticket_scope gives it (None: every ticket)."""
    where, params = "e.status = 'pending'", {"limit": limit}
    if scope is not None:
        clause, scope_params = _scope_clause(scope)
        where += f" AND {clause}"
        params.update(scope_params)
    return _rows(conn, f"SELECT {EXTENSION_COLUMNS} {EXTENSION_FROM} WHERE {where} ORDER BY e.requested_at, e.id "
                       "LIMIT :limit", params)


def extensions_of(conn: Connection, ticket_id: int) -> list[dict]:
    return _rows(conn, f"SELECT {EXTENSION_COLUMNS} {EXTENSION_FROM} WHERE e.ticket_id = :t "
                       "ORDER BY e.requested_at, e.id", {"t": ticket_id})


def decide_extension(conn: Connection, extension_id: int, status: str, by: str, at: datetime,
                     note: str | None) -> None:
    conn.execute(text("""UPDATE ticket_extensions SET status = :status, decided_by = :by, decided_at = :at,
                                decision_note = :note WHERE id = :id"""),
                 {"id": extension_id, "status": status, "by": by, "at": at, "note": note})


# ------------------------------------------------------------------------------------------------ holds

HOLD_COLUMNS = "h.id, h.ticket_id, h.reason, h.held_by, h.held_at, h.resumed_by, h.resumed_at, h.counted_seconds"


def insert_hold(conn: Connection, ticket_id: int, reason: str, by: str, at: datetime) -> int:
    return conn.execute(text("""INSERT INTO ticket_holds (ticket_id, reason, held_by, held_at)
                                VALUES (:t, :reason, :by, :at) RETURNING id"""),
                        {"t": ticket_id, "reason": reason, "by": by, "at": at}).scalar()


def open_hold(conn: Connection, ticket_id: int) -> dict | None:
    return _row(conn, f"SELECT {HOLD_COLUMNS} FROM ticket_holds h WHERE h.ticket_id = :t AND h.resumed_at IS NULL",
                {"t": ticket_id})


def hold_totals(conn: Connection, ticket_id: int) -> dict:
    """How many holds the ticket had (open or not) and the seconds the finished ones counted."""
    return dict(conn.execute(text("""
        SELECT count(*) AS holds, COALESCE(sum(counted_seconds), 0) AS counted_seconds
        FROM ticket_holds WHERE ticket_id = :t"""), {"t": ticket_id}).mappings().one())


def end_hold(conn: Connection, hold_id: int, by: str, at: datetime, counted_seconds: float) -> None:
    conn.execute(text("""UPDATE ticket_holds SET resumed_by = :by, resumed_at = :at, counted_seconds = :counted
                         WHERE id = :id"""), {"id": hold_id, "by": by, "at": at, "counted": counted_seconds})


def holds_of(conn: Connection, ticket_id: int) -> list[dict]:
    return _rows(conn, f"SELECT {HOLD_COLUMNS} FROM ticket_holds h WHERE h.ticket_id = :t ORDER BY h.held_at, h.id",
                 {"t": ticket_id})


def holds_past(conn: Connection, held_before: datetime) -> list[dict]:
    """Open holds that began before ``held_before`` (past their maximum), with their ticket's number, locked
    (SKIP LOCKED: a concurrent sweep passes them over)."""
    return _rows(conn, """
        SELECT h.id, h.ticket_id, t.number, h.held_at FROM ticket_holds h JOIN tickets t ON t.id = h.ticket_id
        WHERE h.resumed_at IS NULL AND h.held_at < :before ORDER BY h.held_at
        FOR UPDATE OF h SKIP LOCKED""", {"before": held_before})


# ------------------------------------------------------------------------------------------------ 协办

def insert_assist(conn: Connection, ticket_id: int, department_code: str, answer: str, by: str,
                  at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO ticket_assists (ticket_id, department_code, answer, answered_by, answered_at)
        VALUES (:t, :d, :answer, :by, :at) RETURNING id"""),
        {"t": ticket_id, "d": department_code, "answer": answer, "by": by, "at": at}).scalar()


def assist(conn: Connection, assist_id: int) -> dict | None:
    return _row(conn, """
        SELECT a.id, a.ticket_id, a.department_code, d.name AS department_name, a.answer, a.answered_by,
               a.answered_at
        FROM ticket_assists a JOIN departments d ON d.code = a.department_code WHERE a.id = :id""",
        {"id": assist_id})


def assists_of(conn: Connection, ticket_id: int) -> list[dict]:
    """The answers of co-handling units, oldest first, then each co-handling unit of the ticket that has not
    answered yet (``answer`` NULL), in the category's order."""
    return _rows(conn, """
        SELECT a.department_code, d.name AS department_name, a.id, a.answer, a.answered_by, a.answered_at,
               0 AS n
        FROM ticket_assists a JOIN departments d ON d.code = a.department_code WHERE a.ticket_id = :t
        UNION ALL
        SELECT u.code, d.name, NULL, NULL, NULL, NULL, u.n
        FROM tickets t CROSS JOIN LATERAL unnest(t.co_department_codes) WITH ORDINALITY u(code, n)
        JOIN departments d ON d.code = u.code
        WHERE t.id = :t AND NOT EXISTS (SELECT 1 FROM ticket_assists a
                                        WHERE a.ticket_id = t.id AND a.department_code = u.code)
        ORDER BY answered_at NULLS LAST, id, n""", {"t": ticket_id})
