"""The intake forms' small locator map: district and street outlines, street names, and the chosen point."""
from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from geo.queries import MapData
from layers.boundaries import outline_trace
from layers.figure import fit_view
from layers.labels import street_label_trace
from layers.style import BACKGROUND, COMMUNITY_LINE, DISTRICT_LINE, STREET_LINE

CHOSEN = "#ff8a3d"
POINT_TRACE_INDEX = 4     # the chosen point is drawn last, above outlines and labels
POINT_ZOOM = 13.8   # close enough to see the street, far enough to see its outlines (there is no basemap)


def point_trace(lon: float | None = None, lat: float | None = None, label: str = "") -> go.Scattermap:
    """The chosen point, marked in words too (there is no basemap to show where it is)."""
    lons, lats = ([lon], [lat]) if lon is not None and lat is not None else ([], [])
    return go.Scattermap(name="chosen", uid="chosen", lon=lons, lat=lats, text=[label] if lons else [],
                         mode="markers+text", textposition="top center",
                         textfont={"size": 15, "color": "#ffffff"}, marker={"size": 18, "color": CHOSEN},
                         hoverinfo="skip", showlegend=False)


def locator_figure(data: MapData, style: str | dict[str, Any], width_px: int = 520, height_px: int = 380,
                   point: tuple[float, float] | None = None) -> go.Figure:
    figure = go.Figure([
        outline_trace(data.communities, "community_lines", COMMUNITY_LINE, 0.8),
        outline_trace(data.streets, "street_lines", STREET_LINE, 1.2),
        outline_trace(data.district, "district_line", DISTRICT_LINE, 3.0),
        street_label_trace(data.streets, size=13),
        point_trace(*(point or (None, None))),
    ])
    view = fit_view(data.bounds, width_px, height_px)
    if point:
        view = {"center": {"lon": point[0], "lat": point[1]}, "zoom": POINT_ZOOM}
    figure.update_layout(map={"style": style, **view}, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                         paper_bgcolor=BACKGROUND, showlegend=False, dragmode="pan", clickmode="none",
                         uirevision="locator")
    return figure
