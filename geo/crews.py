"""SQL of crews: status and position."""
from __future__ import annotations

from sqlalchemy import Connection, text


def set_crew_status(conn: Connection, code: str, status: str) -> bool:
    return conn.execute(text("UPDATE crews SET status = :s WHERE code = :c"), {"s": status, "c": code}).rowcount == 1
