"""Street names written on the map, large enough for the wall screen."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from layers.style import TEXT


def street_label_trace(streets: pd.DataFrame, size: int = 15) -> go.Scattermap:
    return go.Scattermap(
        name="street_labels", uid="street_labels", mode="text",
        lon=streets["label_lon"].tolist(), lat=streets["label_lat"].tolist(), text=streets["name"].tolist(),
        textfont={"size": size, "color": TEXT}, hoverinfo="skip", showlegend=False)
