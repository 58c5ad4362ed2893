"""Reference reads of the intake forms: the departments' windows in the center, and the names of a place."""
from __future__ import annotations

from sqlalchemy import Connection, text


def resident_departments(conn: Connection) -> list[dict]:
    """The departments with a window in the command center (入驻中心), where walk-in visitors are received."""
    return [dict(r) for r in conn.execute(text(
        "SELECT code, name FROM departments WHERE resident_in_center ORDER BY name")).mappings()]


def point_context(conn: Connection, lon: float, lat: float) -> dict | None:
    """Grid, community and street (codes and names) of a point; None outside every grid of the district.

    The same rule as intake's place lookup: boundary points count, a shared edge goes to the smaller code.
    """
    row = conn.execute(text("""
        SELECT g.code AS grid_code, g.name AS grid_name, c.name AS community_name, s.name AS street_name
        FROM grids g JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code
        WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        ORDER BY g.code LIMIT 1"""), {"lon": lon, "lat": lat}).mappings().first()
    return dict(row) if row else None


def grid_contexts(conn: Connection, grid_codes: list[str]) -> dict[str, dict]:
    """Community and street names of several grids at once (address suggestions show where each one is)."""
    if not grid_codes:
        return {}
    rows = conn.execute(text("""
        SELECT g.code AS grid_code, g.name AS grid_name, c.name AS community_name, s.name AS street_name
        FROM grids g JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code
        WHERE g.code = ANY(:codes)"""), {"codes": list(set(grid_codes))}).mappings()
    return {r["grid_code"]: dict(r) for r in rows}


def department_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute(text("SELECT code, name FROM departments WHERE code = ANY(:codes)"),
                        {"codes": list(set(codes))})
    return {code: name for code, name in rows}
