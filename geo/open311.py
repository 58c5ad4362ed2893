"""SQL behind the Open311 GeoReport v2 endpoints that the work-order queries do not already answer."""
from __future__ import annotations

from sqlalchemy import Connection, text


def service_rows(conn: Connection) -> list[dict]:
    """Every category with its lead department's name: one Open311 service each."""
    return [dict(r) for r in conn.execute(text("""
        SELECT c.code, c.name, c.complexity, c.priority, c.lead_department_code, c.rules,
               d.name AS lead_department_name
        FROM categories c JOIN departments d ON d.code = c.lead_department_code
        ORDER BY c.code""")).mappings()]
