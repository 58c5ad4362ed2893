"""Crews (处置力量) coloured by status."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from layers.text import safe_rows

CREW_TRACE = "crews"
CREW_SIZE = 10
GRID_WORKER_SIZE = 4
STATUS_COLOURS = {"available": "#36d67a", "en_route": "#ffb020", "on_scene": "#ff4d4f", "off_duty": "#8795a8"}
STATUS_LABELS = {"available": "待命", "en_route": "出动中", "on_scene": "到场处置", "off_duty": "休息"}


def crew_trace(crews: pd.DataFrame) -> go.Scattermap:
    colours = [STATUS_COLOURS.get(s, "#ffffff") for s in crews["status"]]
    # Grid workers (one per cell, ~900) are drawn small so the response crews stand out at district zoom.
    sizes = [GRID_WORKER_SIZE if isinstance(grid, str) and grid else CREW_SIZE for grid in crews["grid_code"]]
    labels = [STATUS_LABELS.get(s, s) for s in crews["status"]]
    customdata = safe_rows(zip(crews["code"], crews["name"], crews["department"], labels, crews["grid_code"]))
    return go.Scattermap(
        name=CREW_TRACE, uid=CREW_TRACE, mode="markers",
        lon=crews["lon"].tolist(), lat=crews["lat"].tolist(), ids=crews["code"].tolist(),
        customdata=customdata,
        marker={"size": sizes, "color": colours, "opacity": 0.95},
        hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[2]}<br>状态：%{customdata[3]}<extra></extra>",
        showlegend=False)
