"""Reference reads of the intake forms: the departments' windows in the center, and the names of a place."""
from __future__ import annotations

from sqlalchemy import Connection, text

from geo.grids import place_at


def resident_departments(conn: Connection) -> list[dict]:
    """The departments with a window in the command center (入驻中心), where walk-in visitors are received."""
    return [dict(r) for r in conn.execute(text(
        "SELECT code, name FROM departments WHERE resident_in_center ORDER BY name")).mappings()]


def point_context(conn: Connection, lon: float, lat: float) -> dict | None:
    """Grid code and the names of the grid, community and street of a point; None outside every grid of the
    district (geo.grids: the same rule as intake's place lookup)."""
    return place_at(conn, lon, lat, ("grid_code", "grid_name", "community_name", "street_name"))


def grid_contexts(conn: Connection, grid_codes: list[str]) -> dict[str, dict]:
    """Community and street names of several grids at once (address suggestions show where each one is)."""
    if not grid_codes:
        return {}
    rows = conn.execute(text("""
        SELECT grid_code, grid_name, community_name, street_name FROM grid_places
        WHERE grid_code = ANY(:codes)"""), {"codes": list(set(grid_codes))}).mappings()
    return {r["grid_code"]: dict(r) for r in rows}


def department_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute(text("SELECT code, name FROM departments WHERE code = ANY(:codes)"),
                        {"codes": list(set(codes))})
    return {code: name for code, name in rows}
