"""Coverage gaps of social forces as a map layer: the grid cells no patrol post or no volunteer team covers, filled
by what they lack, with a legend. Pure: gap rows (code, names, what is missing, GeoJSON outline) in, plotly traces
out."""
from __future__ import annotations

from typing import Any

from layers.text import safe
from workorders.resources import GAPS

NAME = "resources-gaps"
STATIONS = "police-stations"
STATION_COLOUR = "#e8f1ff"
# Both missing is the worst: red; patrol missing amber; volunteers missing violet — each readable on the dark map.
GAP_COLOURS = dict(zip(GAPS, ("#ffb020", "#b07aff", "#ff4d5a")))


def gap_traces(gaps: list[dict]) -> list[dict[str, Any]]:
    """One choropleth per kind of gap (so the legend names each), empty kinds left out."""
    traces = []
    for lack in GAPS:
        cells = [g for g in gaps if g["gap"] == lack]
        if not cells:
            continue
        colour = GAP_COLOURS[lack]
        traces.append({
            "type": "choroplethmap", "name": f"{lack}（{len(cells)}）", "uid": f"{NAME}-{GAPS.index(lack)}",
            "geojson": {"type": "FeatureCollection",
                        "features": [{"type": "Feature", "id": g["code"], "properties": {}, "geometry": g["outline"]}
                                     for g in cells]},
            "locations": [g["code"] for g in cells], "z": [1] * len(cells),
            "colorscale": [[0, colour], [1, colour]], "showscale": False, "showlegend": True,
            "marker": {"opacity": 0.75, "line": {"width": 1.2, "color": "#ffffff"}},
            "text": [f"{safe(g['name'])}（{g['code']}）<br>{safe(g['street'])} · {safe(g['community'])}<br>{lack}"
                     for g in cells], "hoverinfo": "text"})
    return traces


def legend() -> dict[str, Any]:
    return {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top", "bgcolor": "rgba(10,22,36,0.8)",
            "font": {"color": "#e8f1ff", "size": 13}, "bordercolor": "#24405f", "borderwidth": 1}


def _rings(geometry: dict) -> tuple[list, list]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    lons: list = []
    lats: list = []
    for polygon in polygons:
        lons += [p[0] for p in polygon[0]] + [None]
        lats += [p[1] for p in polygon[0]] + [None]
    return lons, lats


def station_traces(stations: list[dict]) -> list[dict[str, Any]]:
    """The police stations' areas as dashed outlines (one legend entry), each named at a point inside it."""
    if not stations:
        return []
    lons: list = []
    lats: list = []
    for station in stations:
        lo, la = _rings(station["outline"])
        lons += lo
        lats += la
    return [{"type": "scattermap", "name": "派出所辖区", "uid": STATIONS, "mode": "lines", "lon": lons, "lat": lats,
             "line": {"color": STATION_COLOUR, "width": 2.5}, "opacity": 0.9, "hoverinfo": "skip",
             "showlegend": True},
            {"type": "scattermap", "name": f"{STATIONS}-names", "uid": f"{STATIONS}-names", "mode": "markers",
             "lon": [s["lon"] for s in stations], "lat": [s["lat"] for s in stations], "showlegend": False,
             "marker": {"size": 9, "color": STATION_COLOUR, "symbol": "circle"},
             "text": [safe(s["name"]) for s in stations], "hoverinfo": "text"}]
