"""Open mediation cases as a map layer: one marker per open case at its grid cell (several in a cell spread a little
so each can be hovered). Pure: case rows in, a plotly trace out."""
from __future__ import annotations

from typing import Any

from layers.text import safe

CASE_COLOUR = "#ffb020"
NAME = "mediation-open"


def open_cases_trace(cases: list[dict]) -> dict[str, Any]:
    seen: dict[str, int] = {}
    lons, lats = [], []
    for case in cases:
        k = seen.get(case["grid_code"], 0)
        seen[case["grid_code"]] = k + 1
        lons.append(case["lon"] + 0.0008 * (k % 3))
        lats.append(case["lat"] + 0.0006 * (k // 3))
    return {"type": "scattermap", "name": NAME, "mode": "markers", "hoverinfo": "text", "lon": lons, "lat": lats,
            "text": [f"{safe(c['number'])} · {safe(c['kind'])}（办理中）" for c in cases], "customdata": [c["number"] for c in cases],
            "marker": {"size": 14, "color": CASE_COLOUR, "opacity": 0.95}}
