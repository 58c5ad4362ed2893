"""The SQL behind `python -m etl load`: where a district's own features sit, who their parents are, and the upsert.

Every function takes the caller's Connection, so the checks and the writes of one file share one transaction: a
rejected file changes nothing. Features travel to PostGIS as hex WKB in SRID 4326 (``etl.loader`` reprojects first)
and come back in the order they were given (``ord`` is the 1-based position in the list).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import shapely
from geoalchemy2 import Geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.models import LAYER_MODELS, SRID

# Child layer → (parent table, foreign-key column). Departments carry no geometry: a crew's department is only ever
# named by a field, never found on the map.
PARENTS: dict[str, tuple[str, str]] = {
    "streets": ("districts", "district_code"),
    "communities": ("streets", "street_code"),
    "grids": ("communities", "community_code"),
    "cameras": ("grids", "grid_code"),
    "crews": ("departments", "department_code"),
}

# The features of one call as rows (ord, geom). unnest(...) WITH ORDINALITY keeps the caller's order.
_FEATURES = f"""
    feature AS (
        SELECT t.ord, ST_GeomFromWKB(decode(t.wkb, 'hex'), {SRID}) AS geom
        FROM unnest(CAST(:wkbs AS text[])) WITH ORDINALITY AS t(wkb, ord)
    )"""


def _wkbs(geoms: Iterable[BaseGeometry]) -> list[str]:
    return [shapely.to_wkb(g, hex=True) for g in geoms]


def table_name(layer: str) -> str:
    return LAYER_MODELS[layer].__tablename__


def district_union(conn: Connection) -> BaseGeometry | None:
    """All loaded districts as one geometry, or None when no district is loaded yet."""
    wkb = conn.scalar(text("SELECT ST_AsBinary(ST_Union(geom)) FROM districts"))
    return shapely.from_wkb(bytes(wkb)) if wkb is not None else None


def district_loaded(conn: Connection) -> bool:
    return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM districts)")))


def share_outside_district(conn: Connection, geoms: Sequence[BaseGeometry]) -> list[float]:
    """For each geometry, the share (0–1) of it that lies outside the union of the loaded districts.

    Polygons: the outside part's area over the polygon's area, on the spheroid (geography) so the share means the
    same at every latitude. Points: 0.0 when the district covers them (its boundary counts as inside), else 1.0.
    """
    if not geoms:
        return []
    sql = text(f"""
        WITH district AS (SELECT ST_Union(geom) AS geom FROM districts), {_FEATURES}
        SELECT CASE
                 WHEN district.geom IS NULL THEN 1.0
                 WHEN ST_Covers(district.geom, feature.geom) THEN 0.0
                 WHEN ST_Dimension(feature.geom) = 0 THEN 1.0
                 ELSE COALESCE(ST_Area(ST_Difference(feature.geom, district.geom)::geography)
                               / NULLIF(ST_Area(feature.geom::geography), 0), 1.0)
               END
        FROM feature CROSS JOIN district
        ORDER BY feature.ord""")
    return [float(share) for share in conn.scalars(sql, {"wkbs": _wkbs(geoms)})]


def find_parents(conn: Connection, layer: str, features_gdf) -> list[str | None]:
    """The parent code of each feature of ``features_gdf`` (a GeoDataFrame in EPSG:4326), found on the map.

    Areas (streets, communities, grids): the parent covering the largest share of the feature; a parent that only
    touches it (shared edge, zero area in common) does not count. Points (cameras): the grid holding the point by the
    rule of every point (grid_at, migration 0007: boundary included, a shared edge to the smallest code), so
    reloads agree.
    None where no parent qualifies.
    """
    parent_table, _ = PARENTS[layer]
    if parent_table == "departments":
        raise ValueError("departments have no geometry: a crew's department comes from a field")
    geoms = list(features_gdf.geometry)
    if not geoms:
        return []
    if layer == "cameras":
        sql = text(f"""
            WITH {_FEATURES}
            SELECT feature.ord, grid.grid_code FROM feature CROSS JOIN LATERAL grid_at(feature.geom) AS grid""")
    else:
        sql = text(f"""
            WITH {_FEATURES}
            SELECT DISTINCT ON (feature.ord) feature.ord, parent.code
            FROM feature
            JOIN {parent_table} AS parent ON ST_Intersects(parent.geom, feature.geom)
            CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(parent.geom, feature.geom)) AS shared) AS overlap
            WHERE overlap.shared > 0
            ORDER BY feature.ord, overlap.shared DESC, parent.code""")
    found = {ord_: code for ord_, code in conn.execute(sql, {"wkbs": _wkbs(geoms)})}
    return [found.get(ord_) for ord_ in range(1, len(geoms) + 1)]


def existing_codes(conn: Connection, table: str, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` are already keys of ``table`` (a reference table of geo.models)."""
    _known_table(table)
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    rows = conn.scalars(text(f"SELECT code FROM {table} WHERE code = ANY(:codes)"), {"codes": wanted})
    return set(rows)


def upsert_features(conn: Connection, layer: str, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """INSERT … ON CONFLICT (code) DO UPDATE every row; returns (inserted, updated).

    Rows are dicts of column → value, all with the same keys; geometry columns hold shapely geometries in
    EPSG:4326. Re-loading the same file therefore rewrites the same values: the load is idempotent.
    """
    if not rows:
        return 0, 0
    table = LAYER_MODELS[layer].__table__
    columns = list(rows[0])
    unknown = [c for c in columns if c not in table.c]
    if unknown or "code" not in columns:
        raise ValueError(f"{table.name}: cannot write columns {columns}")
    geometry_columns = {c for c in columns if isinstance(table.c[c].type, Geometry)}
    values = [f"ST_GeomFromWKB(decode(:{c}, 'hex'), {SRID})" if c in geometry_columns else f":{c}"
              for c in columns]
    updates = [f"{c} = EXCLUDED.{c}" for c in columns if c != "code"]
    sql = text(f"""
        INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(values)})
        ON CONFLICT (code) DO UPDATE SET {', '.join(updates)}""")
    # Counted before writing: after the upsert every code exists and the two cases look alike.
    already = existing_codes(conn, table.name, (row["code"] for row in rows))
    params = [{c: (shapely.to_wkb(v, hex=True) if c in geometry_columns else v) for c, v in row.items()}
              for row in rows]
    conn.execute(sql, params)
    updated = sum(1 for row in rows if row["code"] in already)
    return len(rows) - updated, updated


def _known_table(table: str) -> None:
    # Table names are put into SQL text: only ever our own tables.
    if table not in {m.__tablename__ for m in LAYER_MODELS.values()} | {"departments"}:
        raise ValueError(f"not a reference table: {table!r}")
