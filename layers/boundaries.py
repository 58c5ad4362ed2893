"""Street, community and district outlines as line traces (one trace per level, segments split by None)."""
from __future__ import annotations

import geopandas as gpd
import plotly.graph_objects as go
from shapely.geometry.base import BaseGeometry


def outline_coordinates(geoms: list[BaseGeometry]) -> tuple[list[float | None], list[float | None]]:
    """Every ring of every polygon as one line, rings separated by None (how Plotly breaks a line)."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for geom in geoms:
        polygons = getattr(geom, "geoms", [geom])
        for polygon in polygons:
            for ring in [polygon.exterior, *polygon.interiors]:
                xs, ys = ring.xy
                lons.extend(xs)
                lats.extend(ys)
                lons.append(None)
                lats.append(None)
    return lons, lats


def outline_trace(areas: gpd.GeoDataFrame, name: str, colour: str, width: float) -> go.Scattermap:
    lons, lats = outline_coordinates(list(areas.geometry))
    # hoverinfo="skip": outlines must never swallow a click meant for the grid cell underneath.
    return go.Scattermap(name=name, uid=name, lon=lons, lat=lats, mode="lines",
                         line={"color": colour, "width": width}, hoverinfo="skip", showlegend=False)
