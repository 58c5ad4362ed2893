"""The leader view's map: tickets per grid cell as a choropleth or as a density heatmap (pure: data in, traces out).

Both are built from per-grid counts, never one point per ticket: the choropleth colours the 932 cells, the heatmap
weights one point per cell (a point inside it) by the cell's count. The figure holds both traces and shows one; a
filter change only replaces their ``z`` (see ``map_update``), so the browser never receives the cells' outlines
again.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import geopandas as gpd
import plotly.graph_objects as go

from layers.boundaries import outline_trace
from layers.figure import fit_view
from layers.grids import colour_bar, grid_geojson
from layers.style import BACKGROUND, DISTRICT_LINE
from layers.text import safe_rows

CELLS_TRACE = "cells"
HEAT_TRACE = "heat"
# Drawing order: cells, heat, then the outlines on top (they never take a click: hoverinfo skip).
CELLS_INDEX, HEAT_INDEX = 0, 1
MODES = {"heat": "热力图", "cells": "网格分布"}

# Few tickets: a dim blue; many: amber to red. The first stop stays close to the background so empty cells recede.
COUNT_SCALE = [[0.0, "rgba(24, 52, 84, 0.55)"], [0.02, "#1d4e74"], [0.25, "#2a8bb0"], [0.5, "#e0c060"],
               [0.75, "#f08a3c"], [1.0, "#ff4d4f"]]
HEAT_SCALE = [[0.0, "rgba(0, 0, 0, 0)"], [0.15, "rgba(42, 139, 176, 0.55)"], [0.4, "rgba(224, 192, 96, 0.75)"],
              [0.7, "rgba(240, 138, 60, 0.9)"], [1.0, "rgba(255, 77, 79, 0.95)"]]
HEAT_RADIUS_PX = 18
# The heat of a place adds up the weights of the cell points around it, and downtown cells are small and many: with
# the cells' colour range the whole centre saturates. Twice that range leaves red for the hottest cores.
HEAT_SPREAD = 2.0
# Street outlines fainter than on the command map: here they are a frame of reference, the counts are the subject.
OUTLINE = "rgba(232, 241, 255, 0.45)"


def cell_values(codes: Iterable[str], counts: Mapping[str, int | float]) -> list[float]:
    """Counts in the order of ``codes`` (the order of the figure's cells); cells without tickets are 0."""
    return [float(counts.get(code, 0)) for code in codes]


def colour_top(values: Iterable[float], quantile: float = 0.95) -> float:
    """Upper end of the colour scale: the ``quantile`` of the non-zero values, so one busy cell does not wash all
    the others out; at least 1."""
    nonzero = sorted(v for v in values if v > 0)
    if not nonzero:
        return 1.0
    index = min(len(nonzero) - 1, max(0, math.ceil(quantile * len(nonzero)) - 1))
    return max(1.0, float(nonzero[index]))


def cell_points(grids: gpd.GeoDataFrame) -> tuple[list[float], list[float]]:
    """One point inside each cell (a centroid can fall outside a concave cell)."""
    points = grids.geometry.representative_point()
    return [round(p.x, 6) for p in points], [round(p.y, 6) for p in points]


def cells_trace(grids: gpd.GeoDataFrame, z: list[float], zmax: float, visible: bool = True,
                unit: str = "件") -> go.Choroplethmap:
    customdata = safe_rows(grids[["name", "community", "street"]].values.tolist())
    return go.Choroplethmap(
        name=CELLS_TRACE, uid=CELLS_TRACE, geojson=grid_geojson(grids), locations=grids["code"].tolist(),
        z=z, zmin=0, zmax=zmax, colorscale=COUNT_SCALE, visible=visible,
        marker={"opacity": 0.85, "line": {"width": 0.4, "color": "rgba(10, 22, 36, 0.9)"}},
        colorbar={**colour_bar(f"受理量（{unit}）"), "dtick": whole_ticks(zmax)}, customdata=customdata,
        hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[2]} · %{customdata[1]}<br>"
                       f"受理 %{{z:,.0f}} {unit}<extra></extra>"))


def heat_trace(lons: list[float], lats: list[float], z: list[float], zmax: float, visible: bool = True,
               radius: int = HEAT_RADIUS_PX) -> go.Densitymap:
    """Density of tickets: each cell's point weighted by its count (weights above ``zmax`` count as ``zmax``)."""
    return go.Densitymap(
        name=HEAT_TRACE, uid=HEAT_TRACE, lon=lons, lat=lats, z=z, zmin=0, zmax=zmax, radius=radius,
        colorscale=HEAT_SCALE, showscale=False, visible=visible, hoverinfo="skip")


def analytics_map_figure(grids: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, district: gpd.GeoDataFrame,
                         counts: Mapping[str, int], style: str | dict[str, Any], mode: str = "heat",
                         bounds: tuple[float, float, float, float] | None = None) -> go.Figure:
    if mode not in MODES:
        raise ValueError(f"unknown map mode {mode!r}; expected one of {sorted(MODES)}")
    z = cell_values(grids["code"], counts)
    top = colour_top(z)
    lons, lats = cell_points(grids)
    figure = go.Figure([
        cells_trace(grids, z, top, visible=mode == "cells"),
        heat_trace(lons, lats, z, top * HEAT_SPREAD, visible=mode == "heat"),
        outline_trace(streets, "street_lines", OUTLINE, 1.0),
        outline_trace(district, "district_line", DISTRICT_LINE, 2.0),
    ])
    # The map is about 1040 × 720 px on a 1920 × 1080 screen; a little less keeps the district clear of the caption.
    view = fit_view(bounds or tuple(grids.total_bounds), width_px=1050, height_px=640)
    figure.update_layout(map={"style": style, **view}, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                         paper_bgcolor=BACKGROUND, showlegend=False, uirevision="analytics-map",
                         hoverlabel={"font": {"size": 15}})
    return figure


def map_update(codes: Iterable[str], counts: Mapping[str, int], top: float | None = None,
               heat_spread: float = HEAT_SPREAD) -> dict[str, Any]:
    """What changes on the map for new counts: z and the colour range of both traces (trace index → props).
    ``top`` fixes the colour range (the replay keeps one range for all hours of a day); an hour's few tickets lie
    apart and need no ``heat_spread``."""
    z = cell_values(codes, counts)
    zmax = top if top else colour_top(z)
    return {CELLS_INDEX: {"z": z, "zmax": zmax, "colorbar.dtick": whole_ticks(zmax)},
            HEAT_INDEX: {"z": z, "zmax": zmax * heat_spread}}


def whole_ticks(zmax: float) -> int | None:
    """Colour-bar step for counts: whole tickets when the range is small (no "0.5 件"), else Plotly's choice."""
    return 1 if zmax <= 5 else None


def mode_update(mode: str) -> dict[int, dict[str, Any]]:
    if mode not in MODES:
        raise ValueError(f"unknown map mode {mode!r}; expected one of {sorted(MODES)}")
    return {CELLS_INDEX: {"visible": mode == "cells"}, HEAT_INDEX: {"visible": mode == "heat"}}
