"""常用答复 on /hotline: a click appends the answer to the description (clientside: no round trip mid-call)."""
from __future__ import annotations

from dash import ALL, Input, Output, State, clientside_callback

from screens.ids import HOTLINE
from screens.standard_answers import ANSWER

clientside_callback(
    """function (clicks, current) {
        const ctx = window.dash_clientside.callback_context;
        if (!ctx.triggered.length || !ctx.triggered[0].value) { return window.dash_clientside.no_update; }
        const button = document.getElementById(JSON.stringify(ctx.triggered_id, Object.keys(ctx.triggered_id).sort()));
        const text = button ? button.getAttribute("data-text") : "";
        if (!text) { return window.dash_clientside.no_update; }
        const before = (current || "").replace(/\\s+$/, "");
        return before ? before + "\\n" + text : text;
    }""",
    Output(HOTLINE.description, "value", allow_duplicate=True), Input({"type": ANSWER, "id": ALL}, "n_clicks"),
    State(HOTLINE.description, "value"), prevent_initial_call=True)
