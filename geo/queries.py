"""Reads for the command-center map and its panels. All SQL of the screens lives here."""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo.grids import place_at

# Simplifying the drawn outlines keeps the page light; 0.00001° ≈ 1 m, far below what a screen shows.
DRAW_TOLERANCE_DEG = 0.00001


@dataclass(frozen=True)
class MapData:
    """Everything the base map draws, as plain frames (lon/lat in WGS-84)."""
    district: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    cameras: pd.DataFrame
    crews: pd.DataFrame

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(self.district.total_bounds) if len(self.district) else (73.5, 18.0, 135.0, 53.5)


def _frame(conn: Connection, sql: str, **params) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text(sql), conn, geom_col="geom", params=params, crs="EPSG:4326")


def map_data(conn: Connection) -> MapData:
    tol = DRAW_TOLERANCE_DEG
    district = _frame(conn, "SELECT code, name, ST_SimplifyPreserveTopology(geom, :tol) AS geom FROM districts", tol=tol)
    streets = _frame(conn, """
        SELECT code, name, ST_SimplifyPreserveTopology(geom, :tol) AS geom,
               ST_X(ST_PointOnSurface(geom)) AS label_lon, ST_Y(ST_PointOnSurface(geom)) AS label_lat
        FROM streets ORDER BY code""", tol=tol)
    communities = _frame(conn, """
        SELECT code, name, kind, street_code, ST_SimplifyPreserveTopology(geom, :tol) AS geom
        FROM communities ORDER BY code""", tol=tol)
    grids = _frame(conn, """
        SELECT g.grid_code AS code, g.grid_name AS name, g.community_name AS community, g.street_code,
               g.street_name AS street, g.worker_name, ST_Area(g.geom::geography) / 1e6 AS area_km2,
               (SELECT count(*) FROM cameras k WHERE k.grid_code = g.grid_code) AS cameras,
               ST_SimplifyPreserveTopology(g.geom, :tol) AS geom
        FROM grid_places g ORDER BY g.grid_code""", tol=tol)
    cameras = pd.read_sql(text("""
        SELECT code, kind, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM cameras ORDER BY code"""), conn)
    crews = crew_positions(conn)
    return MapData(district, streets, communities, grids, cameras, crews)


def crew_positions(conn: Connection) -> pd.DataFrame:
    return pd.read_sql(text("""
        SELECT w.code, w.name, w.kind, w.status, d.name AS department, w.grid_code,
               ST_X(w.geom) AS lon, ST_Y(w.geom) AS lat
        FROM crews w JOIN departments d ON d.code = w.department_code ORDER BY w.code"""), conn)


def grid_detail(conn: Connection, code: str) -> dict | None:
    """The cell part of the dispatcher's panel (its people, camera count, its own grid worker); None when there
    is no such grid. Crews and cameras near a ticket come from geo.crews."""
    row = conn.execute(text("""
        SELECT g.grid_code AS code, g.grid_name AS name, g.worker_name, g.worker_phone, g.cadre_name, g.cadre_phone,
               g.community_code, g.community_name AS community, g.community_kind,
               g.street_code, g.street_name AS street,
               ST_Area(g.geom::geography) / 1e6 AS area_km2,
               (SELECT count(*) FROM cameras k WHERE k.grid_code = g.grid_code) AS camera_count
        FROM grid_places g WHERE g.grid_code = :code"""), {"code": code}).mappings().first()
    if row is None:
        return None
    own = conn.execute(text("SELECT code, name, status FROM crews WHERE grid_code = :code ORDER BY code"),
                       {"code": code}).mappings().all()
    return {**dict(row), "grid_crews": [dict(c) for c in own]}


def grid_at(conn: Connection, lon: float, lat: float) -> str | None:
    """The one grid a point belongs to (geo.grids: boundary points count, a shared edge goes to the smaller code)."""
    place = place_at(conn, lon, lat, ("grid_code",))
    return place["grid_code"] if place else None
