"""Open petitions (信访案件) as a map layer: one marker per open case at its grid cell, 越级上访 in red above the
others, each named by number, kind and level (never the petitioner). Pure: petition rows in, plotly traces out."""
from __future__ import annotations

from typing import Any

from layers.mediation import spread_in_cells
from layers.text import safe

NAME = "petitions-open"
SKIPPED_NAME = "petitions-skipped"
OPEN_COLOUR = "#ffb020"
SKIPPED_COLOUR = "#ff4d5a"


def open_petition_traces(rows: list[dict]) -> list[dict[str, Any]]:
    """Two traces (办理中, 越级上访), each with its count in the legend; an empty one is left out."""
    traces = []
    for name, colour, label, chosen in ((NAME, OPEN_COLOUR, "办理中", [r for r in rows if not r["skipped_level"]]),
                                        (SKIPPED_NAME, SKIPPED_COLOUR, "越级上访（办理中）",
                                         [r for r in rows if r["skipped_level"]])):
        if not chosen:
            continue
        lons, lats = spread_in_cells(chosen)
        traces.append({
            "type": "scattermap", "name": f"{label}（{len(chosen)}）", "uid": name, "mode": "markers",
            "lon": lons, "lat": lats, "hoverinfo": "text", "showlegend": True,
            "text": [f"{safe(r['number'])} · {safe(r['kind'])} · {safe(r['level'])}<br>{safe(r['street'])}"
                     for r in chosen],
            "customdata": [r["number"] for r in chosen],
            "marker": {"size": 13, "color": colour, "opacity": 0.95}})
    return traces
