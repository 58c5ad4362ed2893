"""/supervision's 延期申请: the section follows the page's refreshes; 批准 / 驳回 call services.handling."""
from __future__ import annotations

import time

from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from screens.handling_parts import extensions_section, ids, pending_ids
from screens.supervision import ids as page
from security.sessions import current_principal
from services import handling
from services.tickets import NotFound
from workorders.clock import local_minute
from workorders.errors import FieldError
from workorders.policy import Forbidden


@callback(Output(ids.EXTENSIONS, "children"), Output(ids.SHOWN, "data"), Input(page.LIVE, "data"),
          Input(page.TICK, "n_intervals"), Input(ids.DONE, "data"), State(ids.SHOWN, "data"),
          prevent_initial_call=True)
def refresh(_live, _tick, _done, shown):
    rows = handling.pending_extensions(current_principal())
    # Redrawn only when the pending requests changed: a busy live feed must not wipe a note being typed (nor the
    # buttons under the pointer).
    if pending_ids(rows) == shown:
        raise PreventUpdate
    return extensions_section(rows), pending_ids(rows)


def _note(index: int) -> str | None:
    for state in ctx.states_list[0]:
        if state["id"]["index"] == index:
            return state.get("value")
    return None


@callback(Output(ids.MSG, "children"), Output(ids.DONE, "data"),
          Input({"type": ids.APPROVE, "index": ALL}, "n_clicks"), Input({"type": ids.REFUSE, "index": ALL}, "n_clicks"),
          State({"type": ids.NOTE, "index": ALL}, "value"), prevent_initial_call=True)
def decide(_approvals, _refusals, _notes):
    pressed = ctx.triggered_id
    # A re-rendered section brings new buttons (n_clicks 0): only a real click decides.
    if not isinstance(pressed, dict) or not any(t.get("value") for t in ctx.triggered):
        return no_update, no_update
    approve = pressed["type"] == ids.APPROVE
    try:
        row = handling.decide_extension(current_principal(), pressed["index"], approve, _note(pressed["index"]))
    except (FieldError, Forbidden, NotFound) as error:
        return html.Div(getattr(error, "message", str(error)), className="notice", role="alert"), no_update
    if approve:
        text = f"已批准工单 {row['number']} 延期，办结时限改为 {local_minute(row['requested_due_at'])}"
    else:
        text = f"已驳回工单 {row['number']} 的延期申请，办结时限仍为 {local_minute(row['resolve_due_at'])}"
    return html.Div(text, className="notice info", role="status"), time.time()
