"""SQL of the local gazetteer (地名地址库, the ``places`` table) that address search reads: its communities and
grids, and the grid of each generated road and building (by grid_at, the rule of every point)."""
from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text


def is_filled(conn: Connection) -> bool:
    return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM places)")))


def replace_with_areas(conn: Connection) -> None:
    """Empty the gazetteer, then name every community and grid at a point inside it."""
    conn.execute(text("DELETE FROM places"))
    conn.execute(text("""
        INSERT INTO places (kind, name, search_text, grid_code, geom)
        SELECT 'community', c.name, replace(c.name, ' ', ''),
               (SELECT g.grid_code FROM grid_at(ST_PointOnSurface(c.geom)) AS g), ST_PointOnSurface(c.geom)
        FROM communities c
        UNION ALL
        SELECT 'grid', g.name, replace(g.name, ' ', ''), g.code, ST_PointOnSurface(g.geom) FROM grids g"""))


def first_district(conn: Connection) -> tuple[str, BaseGeometry] | None:
    """Code and shape of the loaded district (the first, should there be several)."""
    row = conn.execute(text("SELECT code, ST_AsBinary(ST_Union(geom)) FROM districts GROUP BY code")).first()
    return (row[0], shapely.from_wkb(bytes(row[1]))) if row else None


def place_streets_in_grids(conn: Connection) -> None:
    """Roads and buildings take the grid they stand in; then every place in no grid (past the district's edge)
    goes."""
    conn.execute(text("""
        UPDATE places p SET grid_code = (SELECT g.grid_code FROM grid_at(p.geom) AS g)
        WHERE p.kind IN ('road', 'building')"""))
    conn.execute(text("DELETE FROM places WHERE grid_code IS NULL"))


def count(conn: Connection) -> int:
    return conn.scalar(text("SELECT count(*) FROM places"))
