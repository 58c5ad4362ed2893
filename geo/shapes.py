"""Geometry clean-up shared by the reference generator and the loaders."""
from __future__ import annotations

import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def polygonal_part(geom: BaseGeometry) -> MultiPolygon:
    """The polygons of ``geom`` as one MultiPolygon (lines and points that ST_MakeValid may leave are dropped)."""
    if geom is None or geom.is_empty:
        return MultiPolygon()
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, GeometryCollection):
        polys: list[Polygon] = []
        for part in geom.geoms:
            polys.extend(polygonal_part(part).geoms)
        return MultiPolygon(polys)
    return MultiPolygon()


def repair(geom: BaseGeometry) -> tuple[MultiPolygon, str | None]:
    """A valid MultiPolygon for ``geom`` and, when it had to be repaired, why (for the load report)."""
    if geom.is_valid:
        return polygonal_part(geom), None
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal_part(shapely.make_valid(geom))
    return fixed, reason
