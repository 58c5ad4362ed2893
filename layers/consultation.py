"""Democratic consultation sessions as a map layer: one marker per session at its grid cell, coloured by its active
step (several in one cell spread a little so each can be hovered). Pure: session rows (with ``step``) in, a plotly
trace out."""
from __future__ import annotations

from typing import Any

from layers.text import safe
from workorders.consultation import STEPS

NAME = "consultation-sessions"
# 发布预告 → 情况反馈: from the new (bright blue) through the debate (amber) to the reported (green).
STEP_COLOURS = ("#7fd3ff", "#4d9dff", "#ffb020", "#ff7a59", "#5fd38d")


def sessions_trace(sessions: list[dict]) -> dict[str, Any]:
    seen: dict[str, int] = {}
    lons, lats = [], []
    for session in sessions:
        k = seen.get(session["grid_code"], 0)
        seen[session["grid_code"]] = k + 1
        lons.append(session["lon"] + 0.0008 * (k % 3))
        lats.append(session["lat"] + 0.0006 * (k // 3))
    return {"type": "scattermap", "name": NAME, "mode": "markers", "hoverinfo": "text", "lon": lons, "lat": lats,
            "text": [f"{safe(s['number'])} {safe(s['title'])}<br>{safe(s['community'])} · {s['topic']} · "
                     f"{STEPS[s['step']]}" for s in sessions],
            "customdata": [s["number"] for s in sessions],
            "marker": {"size": 15, "opacity": 0.95, "color": [STEP_COLOURS[s["step"]] for s in sessions]}}


def legend_items() -> list[tuple[str, str]]:
    """(step, colour) for the page's legend (the map's own legend would cover the district)."""
    return list(zip(STEPS, STEP_COLOURS))
