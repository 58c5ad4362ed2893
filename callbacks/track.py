"""/track: the number box shows the ticket's progress in place (and the address bar follows it)."""
from __future__ import annotations

from dash import Input, Output, State, callback, clientside_callback, no_update

from screens import ids
from screens.track import progress_card
from services.ticket_views import normalise_number, public_progress


@callback(Output(ids.TRACK_RESULT, "children"), Input(ids.TRACK_SUBMIT, "n_clicks"),
          Input(ids.TRACK_NUMBER, "n_submit"), State(ids.TRACK_NUMBER, "value"), prevent_initial_call=True)
def look_up(_clicks, _submits, number):
    asked = (number or "").strip()
    if not asked:
        return no_update
    return progress_card(public_progress(asked), normalise_number(asked) or asked)


# Keep the URL shareable: /track/<number> of what was looked up, without reloading the page.
clientside_callback(
    f"""function (_children, number) {{
        const found = document.querySelector('#{ids.TRACK_RESULT} .progress-card .ticket-number');
        if (found && window.location.pathname !== '/track/' + found.textContent) {{
            window.history.replaceState(null, '', '/track/' + found.textContent);
        }}
    }}""",
    Input(ids.TRACK_RESULT, "children"), State(ids.TRACK_NUMBER, "value"), prevent_initial_call=True)
