"""Compose the command-center map figure from the layer builders (pure: data in, figure out)."""
from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from geo.queries import MapData
from layers.boundaries import outline_trace
from layers.cameras import camera_trace
from layers.grids import grid_trace
from layers.labels import street_label_trace
from layers.style import COMMUNITY_LINE, DISTRICT_LINE, STREET_LINE


def fit_view(bounds: tuple[float, float, float, float], width_px: int = 1600, height_px: int = 1000) -> dict:
    """Centre and zoom that show ``bounds`` whole in a map of roughly the given size."""
    minx, miny, maxx, maxy = bounds
    centre = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max(maxy - miny, 1e-6) / math.cos(math.radians(centre["lat"]))
    zoom = min(math.log2(360 * width_px / 512 / lon_span), math.log2(360 * height_px / 512 / lat_span))
    return {"center": centre, "zoom": round(zoom - 0.15, 2)}


def command_map_figure(data: MapData, style: str | dict[str, Any], measure: str = "street",
                       labels_size: int = 15, cameras: bool = True,
                       view_px: tuple[int, int] = (1600, 1000)) -> go.Figure:
    # Order is drawing order: polygons first, then outlines, then points on top. Tickets and crews are not here:
    # they are live layers owned by MapLibre (assets/livemap.js), so their updates never redraw these traces.
    traces = [
        grid_trace(data.grids, measure),
        outline_trace(data.communities, "community_lines", COMMUNITY_LINE, 0.8),
        outline_trace(data.streets, "street_lines", STREET_LINE, 2.2),
        outline_trace(data.district, "district_line", DISTRICT_LINE, 3.5),
        *([camera_trace(data.cameras)] if cameras else []),
        street_label_trace(data.streets, labels_size),
    ]
    figure = go.Figure(traces)
    figure.update_layout(
        map={"style": style, **fit_view(data.bounds, *view_px)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#0a1624", showlegend=False, uirevision="command-map",
        hoverlabel={"font": {"size": 15}}, clickmode="event")
    return figure
