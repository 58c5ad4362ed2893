"""Grid cells (网格) as a choropleth, coloured by one measure at a time."""
from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
import shapely

from layers.text import safe_rows

GRID_TRACE = "grids"
COORD_DECIMALS = 6

# 14 streets need 14 distinguishable colours that read on a dark background.
STREET_PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
                  "#ff9da7", "#9c755f", "#86bcb6", "#8cd17d", "#f1ce63", "#a0cbe8", "#d37295"]
DENSITY_SCALE = [[0.0, "#0f2a44"], [0.35, "#1f6f8b"], [0.7, "#e0a458"], [1.0, "#ff5a5f"]]

MEASURES = {"street": "按街道", "camera_density": "按摄像头密度"}


def grid_geojson(grids: gpd.GeoDataFrame) -> dict[str, Any]:
    """FeatureCollection keyed by grid code (feature ``id``), the form Plotly's choropleth joins on."""
    # Six decimals (~0.1 m) are more than any screen shows and cut the page's largest payload by about a third.
    rounded = shapely.transform(grids.geometry.values, lambda c: np.round(c, COORD_DECIMALS))
    keyed = gpd.GeoDataFrame({"code": grids["code"].values}, geometry=rounded, crs=grids.crs)
    features = json.loads(keyed.to_json(drop_id=True))["features"]
    for feature in features:
        feature["id"] = feature["properties"]["code"]
        feature["properties"] = {}
    return {"type": "FeatureCollection", "features": features}


def measure_values(grids: gpd.GeoDataFrame, measure: str) -> tuple[list[float], list, dict[str, Any]]:
    """z values, colour scale and colour-bar settings for ``measure``."""
    if measure == "street":
        streets = sorted(grids["street_code"].unique())
        index = {code: i for i, code in enumerate(streets)}
        n = max(len(streets), 1)
        scale = []
        for i in range(n):
            colour = STREET_PALETTE[i % len(STREET_PALETTE)]
            scale += [[i / n, colour], [(i + 1) / n, colour]]
        return [float(index[c]) for c in grids["street_code"]], scale, {"zmin": -0.5, "zmax": n - 0.5,
                                                                        "showscale": False}
    if measure == "camera_density":
        per_km2 = (grids["cameras"] / grids["area_km2"].clip(lower=1e-4)).round(1)
        top = float(per_km2.quantile(0.98)) or 1.0
        return per_km2.tolist(), DENSITY_SCALE, {"zmin": 0.0, "zmax": top, "showscale": True,
                                                 "colorbar": colour_bar("摄像头/km²")}
    raise ValueError(f"unknown measure {measure!r}; expected one of {sorted(MEASURES)}")


def colour_bar(title: str) -> dict[str, Any]:
    return {"title": {"text": title, "font": {"color": "#e8f1ff", "size": 14}}, "x": 0.01, "xanchor": "left",
            "y": 0.04, "yanchor": "bottom", "len": 0.3, "thickness": 14, "bgcolor": "rgba(10,22,36,0.7)",
            "tickfont": {"color": "#e8f1ff", "size": 13}, "outlinewidth": 0}


def grid_trace(grids: gpd.GeoDataFrame, measure: str = "street") -> go.Choroplethmap:
    z, scale, extra = measure_values(grids, measure)
    customdata = safe_rows(grids[["code", "name", "community", "street", "cameras"]].values.tolist())
    return go.Choroplethmap(
        name=GRID_TRACE, uid=GRID_TRACE,
        geojson=grid_geojson(grids), locations=grids["code"].tolist(), z=z, colorscale=scale,
        marker={"opacity": 0.55, "line": {"width": 0.6, "color": "rgba(10,22,36,0.9)"}},
        customdata=customdata,
        hovertemplate=("<b>%{customdata[1]}</b><br>%{customdata[3]} · %{customdata[2]}<br>"
                       "网格编码 %{customdata[0]}<br>摄像头 %{customdata[4]} 个<extra></extra>"),
        **extra)
