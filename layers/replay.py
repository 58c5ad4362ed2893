"""The replay's two moving layers, as plotly traces: tickets open at the minute (coloured by state group, as the
live layer colours them) and crews where they were (moving ones brighter). Pure: the minute's rows in, traces out."""
from __future__ import annotations

from typing import Any

from layers.crews import STATUS_COLOURS
from layers.text import safe
from layers.tickets import TICKET_GROUPS

STATE_GROUP = {"registered": 0, "returned": 0, "reopened": 0, "dispatched": 1, "accepted": 1, "on_site": 2,
               "escalated": 3, "joint_meeting": 3}
TICKETS_NAME, CREWS_NAME = "replay-tickets", "replay-crews"


def ticket_trace(tickets: list[dict]) -> dict[str, Any]:
    return {"type": "scattermap", "name": TICKETS_NAME, "mode": "markers", "hoverinfo": "text",
            "lon": [t["lon"] for t in tickets], "lat": [t["lat"] for t in tickets],
            "customdata": [t["number"] for t in tickets],
            "text": [f"{t['number']} · {safe(t.get('category_name') or t['category'])} · {t['state_label']}"
                     for t in tickets],
            "marker": {"size": [17 if t["priority"] == 1 else 13 for t in tickets],
                       "color": [TICKET_GROUPS[STATE_GROUP.get(t["state"], 0)][0] for t in tickets],
                       "opacity": 0.95}}


def crew_trace(crews: list[dict]) -> dict[str, Any]:
    return {"type": "scattermap", "name": CREWS_NAME, "mode": "markers", "hoverinfo": "text",
            "lon": [c["lon"] for c in crews], "lat": [c["lat"] for c in crews],
            "customdata": [c["code"] for c in crews],
            "text": [f"{safe(c['name'])} · {safe(c['kind'])}" + (" · 行进中" if c["moving"] else "") for c in crews],
            "marker": {"size": [11 if c["moving"] else 7 for c in crews], "symbol": "circle",
                       "color": [STATUS_COLOURS["en_route"] if c["moving"] else STATUS_COLOURS["available"]
                                 for c in crews], "opacity": 0.9}}


def replay_figure(base: dict[str, Any], moment: dict) -> dict[str, Any]:
    """The shared static figure with the minute's two layers on top (the base dict itself is left untouched)."""
    return {**base, "data": [*base["data"], ticket_trace(moment["tickets"]), crew_trace(moment["crews"])]}
