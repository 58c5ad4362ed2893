"""The queue beside the map: live batches, filters and a timer → services.dispatch_queue → counts and list; the
search box → found tickets; 转办 → services.dispatch_queue.transfer. A click on an item is clientside
(assets/queue.js): it flies the map there and opens the ticket's panel through live-selected-ticket."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, clientside_callback, no_update

from screens import map_queue as parts
from screens.map_queue import ids
from security.sessions import current_principal
from services import dispatch_queue
from workorders.errors import FieldError
from workorders.policy import Forbidden


@callback(Output(ids.LIST, "children"), Output(ids.COUNTS, "children"), Output(ids.COORDS, "data"),
          Input(ids.TICK, "data"), Input(ids.REFRESH, "n_intervals"), Input(ids.CATEGORY, "value"),
          Input(ids.STREET, "value"), Input(ids.MESSAGE, "children"), State(ids.COORDS, "data"))
def show_queue(_tick, _interval, categories, street, _message, known):
    try:
        found = dispatch_queue.queue(current_principal(), categories or None, street or None)
    except Forbidden:
        return no_update, no_update, no_update
    return parts.items(found["items"]), parts.counts(found["counts"]), {**(known or {}),
                                                                        **parts.coords(found["items"])}


@callback(Output(ids.FOUND, "children"), Output(ids.COORDS, "data", allow_duplicate=True),
          Input(ids.SEARCH, "value"), State(ids.COORDS, "data"), prevent_initial_call=True)
def search(typed, known):
    if not (typed or "").strip():
        return [], no_update
    try:
        found = dispatch_queue.find(current_principal(), typed)
    except (FieldError, Forbidden) as refused:
        return [parts.html.Li(refused.message, className="queue-empty")], no_update
    return parts.items(found, "没有找到工单"), {**(known or {}), **parts.coords(found)}


@callback(Output(ids.MESSAGE, "children"), Input(ids.TRANSFER, "n_clicks"), State(ids.SELECTED, "data"),
          State(ids.DEPARTMENT, "value"), prevent_initial_call=True)
def transfer(clicks, selected, department):
    if not clicks:
        return no_update
    try:
        return dispatch_queue.transfer(current_principal(), (selected or {}).get("number"), department)
    except (FieldError, Forbidden) as refused:
        return refused.message


# A click on a queue item: fly the map to the ticket and open its panel (the map panel listens to
# live-selected-ticket, as for a click on the ticket's dot); remember it for 转办. A pattern item appearing
# (n_clicks 0) is no click.
clientside_callback(
    """function (clicks, coords) {
        const ctx = window.dash_clientside.callback_context;
        const nothing = window.dash_clientside.no_update;
        if (!ctx.triggered.length || !ctx.triggered[0].value) { return [nothing, nothing]; }
        const number = ctx.triggered_id.number;
        const at = (coords || {})[number];
        const live = window.liveMap;
        if (at && live && live.map) {
            live.map.flyTo({center: at, zoom: Math.max(live.map.getZoom(), 15), duration: 800});
        }
        window.queueFlights = (window.queueFlights || 0) + 1;
        return [{number: number, at: Date.now()}, {number: number}];
    }""",
    Output("live-selected-ticket", "data", allow_duplicate=True), Output(ids.SELECTED, "data"),
    Input({"type": ids.ITEM, "number": ALL}, "n_clicks"), State(ids.COORDS, "data"), prevent_initial_call=True)
