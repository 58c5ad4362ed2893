"""Open mediation cases as a map layer: one marker per open case at its grid cell (several in a cell spread a little
so each can be hovered). Pure: case rows in, a plotly trace out."""
from __future__ import annotations

from typing import Any

from layers.text import safe

CASE_COLOUR = "#ffb020"
NAME = "mediation-open"


def spread_in_cells(rows: list[dict]) -> tuple[list[float], list[float]]:
    """Each row's position at its cell's point, the second and later rows of one cell set a little aside (three to
    a line) so that each marker can be hovered."""
    seen: dict[str, int] = {}
    lons, lats = [], []
    for row in rows:
        k = seen.get(row["grid_code"], 0)
        seen[row["grid_code"]] = k + 1
        lons.append(row["lon"] + 0.0008 * (k % 3))
        lats.append(row["lat"] + 0.0006 * (k // 3))
    return lons, lats


def open_cases_trace(cases: list[dict]) -> dict[str, Any]:
    lons, lats = spread_in_cells(cases)
    return {"type": "scattermap", "name": NAME, "mode": "markers", "hoverinfo": "text", "lon": lons, "lat": lats,
            "text": [f"{safe(c['number'])} · {safe(c['kind'])}（办理中）" for c in cases], "customdata": [c["number"] for c in cases],
            "marker": {"size": 14, "color": CASE_COLOUR, "opacity": 0.95}}
