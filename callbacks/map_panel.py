"""Clicking the map opens the cell's panel; the measure selector recolours the cells in place."""
from __future__ import annotations

from dash import Input, Output, Patch, State, callback, ctx, html, no_update

from layers.grids import MEASURES, measure_values
from screens import ids
from screens.panels import grid_panel
from services.reference_map import current_map_data, panel_for_click

GRID_TRACE_INDEX = 0   # layers.figure draws the grid cells first


@callback(Output(ids.PANEL_BODY, "children"), Output(ids.PANEL, "className"),
          Input(ids.MAP, "clickData"), Input(ids.PANEL_CLOSE, "n_clicks"), prevent_initial_call=True)
def show_grid_panel(click_data, _close):
    if ctx.triggered_id == ids.PANEL_CLOSE or not click_data or not click_data.get("points"):
        return no_update, "grid-panel hidden"
    detail = panel_for_click(click_data["points"][0])
    if detail is None:
        return html.Div("此处不在任何网格内", className="panel-empty"), "grid-panel"
    return grid_panel(detail), "grid-panel"


@callback(Output(ids.MAP, "figure"), Input(ids.MEASURE, "value"), prevent_initial_call=True)
def recolour_grids(measure: str):
    if measure not in MEASURES:
        return no_update
    z, scale, extra = measure_values(current_map_data().grids, measure)
    patch = Patch()
    trace = patch["data"][GRID_TRACE_INDEX]
    trace["z"] = z
    trace["colorscale"] = scale
    for key, value in extra.items():
        trace[key] = value
    if "colorbar" not in extra:
        trace["colorbar"] = {}
    return patch
