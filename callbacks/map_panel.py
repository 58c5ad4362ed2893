"""The command map's panel: a clicked cell or ticket opens it; a crew is assigned with one click.
The measure selector recolours the cells in place."""
from __future__ import annotations

from dash import ALL, Input, Output, Patch, State, callback, ctx, html, no_update

from layers.grids import MEASURES, measure_values
from screens import ids
from screens.panels import dispatch_panel
from services.dispatch import assign, cell_panel, grid_of_ticket
from services.reference_map import current_map_data, resolve_grid
from security.sessions import current_principal
from services.tickets import NotFound
from workorders.policy import Forbidden, can, require
from workorders.states import TransitionRefused

GRID_TRACE_INDEX = 0   # layers.figure draws the grid cells first
HIDDEN, SHOWN = "grid-panel hidden", "grid-panel"


@callback(Output(ids.PANEL_BODY, "children"), Output(ids.PANEL, "className"), Output(ids.PANEL_STATE, "data"),
          Input(ids.MAP, "clickData"), Input(ids.LIVE_SELECTED_TICKET, "data"),
          Input({"type": ids.PANEL_TICKET, "number": ALL}, "n_clicks"),
          Input({"type": ids.ASSIGN, "crew": ALL, "ticket": ALL}, "n_clicks"),
          Input(ids.PANEL_CLOSE, "n_clicks"), State(ids.PANEL_STATE, "data"), prevent_initial_call=True)
def update_panel(click_data, live_ticket, _ticket_clicks, _assign_clicks, _close, panel_state):
    trigger = ctx.triggered_id
    if trigger == ids.PANEL_CLOSE:
        return no_update, HIDDEN, None
    if not ctx.triggered or not ctx.triggered[0]["value"]:   # a pattern component appearing, not a click
        return no_update, no_update, no_update
    message = None
    try:
        if trigger == ids.MAP:
            grid, selected = resolve_grid(click_data["points"][0]), None
        elif trigger == ids.LIVE_SELECTED_TICKET:
            selected = live_ticket["number"]
            grid = grid_of_ticket(selected)
        elif trigger["type"] == ids.PANEL_TICKET:
            grid, selected = panel_state["grid"], trigger["number"]
        else:  # ids.ASSIGN
            grid, selected = panel_state["grid"], trigger["ticket"]
            # Leaders and supervisors see this map read-only: the panel is theirs, dispatching is not.
            done = assign(trigger["ticket"], trigger["crew"], current_principal())    # the service asks the policy
            message = f"已派单：{done.ticket['number']} → {trigger['crew']}"
    except (NotFound, TransitionRefused, Forbidden) as refused:
        grid, selected = (panel_state or {}).get("grid"), None
        message = f"未能派单：{refused}"
    if not grid:
        return html.Div("此处不在任何网格内", className="panel-empty"), SHOWN, None
    panel = cell_panel(grid, selected)
    personal = can(current_principal(), "ticket_read")
    return dispatch_panel(panel, message, personal), SHOWN, {"grid": grid, "selected": selected}


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
