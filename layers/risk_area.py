"""A risk-assessed project's area as map layers: the area itself, the outlines of the grids inside it, and one
label per grid with its open work orders and mediation cases. Pure: the project (GeoJSON area) and its grid rows
in, plotly traces out."""
from __future__ import annotations

from typing import Any

from layers.text import safe

AREA_COLOUR = "#ff6b6b"
GRID_COLOUR = "#7fd3ff"
BUSY_COLOUR = "#ffb020"
AREA, GRIDS, COUNTS = "risk-area", "risk-grids", "risk-grid-counts"


def _rings(geometry: dict) -> tuple[list, list]:
    """Longitudes and latitudes of every outer ring of a (multi)polygon, rings separated by None."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    lons: list = []
    lats: list = []
    for polygon in polygons:
        ring = polygon[0]
        lons += [p[0] for p in ring] + [None]
        lats += [p[1] for p in ring] + [None]
    return lons, lats


def area_traces(area: dict, grids: list[dict]) -> list[dict[str, Any]]:
    lons, lats = _rings(area)
    grid_lons: list = []
    grid_lats: list = []
    for grid in grids:
        lo, la = _rings(grid["outline"])
        grid_lons += lo
        grid_lats += la
    return [
        {"type": "scattermap", "name": AREA, "mode": "lines", "fill": "toself", "lon": lons, "lat": lats,
         "line": {"color": AREA_COLOUR, "width": 3}, "fillcolor": "rgba(255, 107, 107, 0.22)", "hoverinfo": "skip"},
        {"type": "scattermap", "name": GRIDS, "mode": "lines", "lon": grid_lons, "lat": grid_lats,
         "line": {"color": GRID_COLOUR, "width": 1.5}, "hoverinfo": "skip"},
        # Counts in the hover, not as map text: the map's glyph endpoint draws CJK only (no digits).
        {"type": "scattermap", "name": COUNTS, "mode": "markers", "lon": [g["lon"] for g in grids],
         "lat": [g["lat"] for g in grids], "customdata": [g["code"] for g in grids],
         "text": [f"{safe(g['name'])}（{g['code']}）<br>办理中工单 {g['open_tickets']} · 办理中纠纷 {g['open_disputes']}"
                  for g in grids], "hoverinfo": "text",
         "marker": {"size": [10 + 3 * min(g["open_tickets"] + g["open_disputes"], 6) for g in grids],
                    "color": [BUSY_COLOUR if g["open_tickets"] or g["open_disputes"] else GRID_COLOUR
                              for g in grids]}},
    ]


def area_centre(area: dict) -> dict[str, float]:
    """The middle of the area's bounding box (where the map centres on it)."""
    lons, lats = _rings(area)
    xs = [x for x in lons if x is not None]
    ys = [y for y in lats if y is not None]
    return {"lon": (min(xs) + max(xs)) / 2, "lat": (min(ys) + max(ys)) / 2}
