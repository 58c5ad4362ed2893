"""The district's cameras: every one on the map, clustered visually when zoomed out (none dropped)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from layers.text import safe_rows

CAMERA_TRACE = "cameras"
CAMERA_COLOUR = "#5ad1ff"


def camera_trace(cameras: pd.DataFrame, cluster_below_zoom: int = 13) -> go.Scattermap:
    return go.Scattermap(
        name=CAMERA_TRACE, uid=CAMERA_TRACE, mode="markers",
        lon=cameras["lon"].tolist(), lat=cameras["lat"].tolist(), ids=cameras["code"].tolist(),
        customdata=safe_rows(cameras[["code", "kind", "grid_code"]].values.tolist()),
        marker={"size": 5, "color": CAMERA_COLOUR, "opacity": 0.85},
        # MapLibre clusters: a bubble per neighbourhood showing how many cameras it holds, sized by count.
        cluster={"enabled": True, "maxzoom": cluster_below_zoom, "size": [8, 14, 22], "step": [20, 150],
                 "color": "rgba(90, 209, 255, 0.45)", "opacity": 0.8},
        hovertemplate="摄像头 %{customdata[0]}<br>%{customdata[1]} · 网格 %{customdata[2]}<extra></extra>",
        showlegend=False)
