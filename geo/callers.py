"""SQL of the hotline's caller lookup: a caller's earlier tickets, found by the phone number they call from."""
from __future__ import annotations

from sqlalchemy import Connection, text


def tickets_by_phone(conn: Connection, phone_digits: str, limit: int = 8) -> tuple[list[dict], int]:
    """The caller's latest tickets (newest first) and how many there are in all.

    ``tickets.citizen_phone`` holds digits only (intake strips the rest), so an exact match uses its index.
    """
    rows = conn.execute(text("""
        SELECT t.number, t.state, t.channel, c.name AS category_name, t.registered_at, t.citizen_name,
               t.citizen_phone, t.address, s.name AS street_name, cm.name AS community_name,
               count(*) OVER () AS total
        FROM tickets t JOIN categories c ON c.code = t.category_code
        JOIN streets s ON s.code = t.street_code JOIN communities cm ON cm.code = t.community_code
        WHERE t.citizen_phone = :phone
        ORDER BY t.registered_at DESC, t.id DESC LIMIT :n"""), {"phone": phone_digits, "n": limit}).mappings().all()
    total = rows[0]["total"] if rows else 0
    return [{k: v for k, v in r.items() if k != "total"} for r in rows], total
