"""The operator's intake screen: caller lookup, submit (one ticket per form session), merge into a duplicate."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from callbacks.intake_location import submit_outputs
from screens import ids
from screens.intake_parts import history_panel, result_card
from security.sessions import current_principal
from services.intake_forms import IntakeError, caller_history, merge_into
from workorders.policy import Forbidden

FORM = ids.HOTLINE
CLEARED_FIELDS = ("phone", "name", "category", "category_input", "variant", "window", "address",
                  "description")
# The property each field's value is in (the chosen category code is kept in a store) …
FIELD_PROPERTY = {"category": "data"}
# … and what it holds when empty (Dash 4 text inputs keep their text when given None).
CLEARED = {"phone": "", "name": "", "category": None, "category_input": "", "variant": None,
           "window": None, "address": "", "description": ""}


@callback(Output(FORM.history, "children"), Input(FORM.phone, "value"), prevent_initial_call=True)
def lookup_caller(phone):
    try:
        return history_panel(caller_history(current_principal(), phone))
    except Forbidden as refused:
        return refused.message


@callback(Output(FORM.result_data, "data"), Output({"type": FORM.error, "field": ALL}, "children"),
          Output(FORM.form_key, "data"),
          *[Output(getattr(FORM, name), FIELD_PROPERTY.get(name, "value"),
                   allow_duplicate=name in ("address", "variant", "category", "category_input"))
            for name in CLEARED_FIELDS],
          Output(FORM.location, "data", allow_duplicate=True),
          Input(FORM.submit, "n_clicks"),
          State(FORM.channel, "data"), State(FORM.form_key, "data"),
          *[State(getattr(FORM, name), FIELD_PROPERTY.get(name, "value")) for name in CLEARED_FIELDS],
          State(FORM.location, "data"),
          running=[(Output(FORM.submit, "disabled"), True, False)], prevent_initial_call=True)
def register_ticket(n_clicks, channel, form_key, *values):
    form = dict(zip(CLEARED_FIELDS, values[:-1]), location=values[-1])
    return submit_outputs(n_clicks, channel, form, form_key, {name: CLEARED[name] for name in CLEARED_FIELDS},
                          "这张表单已经登记过一次，内容又有改动。如确需再登记，请再次提交。",
                          principal=current_principal())


@callback(Output(FORM.result, "children"), Input(FORM.result_data, "data"), prevent_initial_call=True)
def show_result(summary):
    return result_card(FORM, summary) if summary else no_update


@callback(Output(FORM.result_data, "data", allow_duplicate=True),
          Input({"type": FORM.merge, "into": ALL}, "n_clicks"), State(FORM.result_data, "data"),
          prevent_initial_call=True)
def merge_duplicate(_clicks, summary):
    if not summary or not isinstance(ctx.triggered_id, dict) or not ctx.triggered[0]["value"]:
        return no_update
    into = ctx.triggered_id["into"]
    try:
        state = merge_into(summary["number"], into, current_principal())
    except (IntakeError, Forbidden) as error:
        return {**summary, "merge_error": error.message}
    return {**summary, "merged_into": into, "state": state, "merge_error": None}


# After a ticket is registered the cursor goes back to the phone field, ready for the next call.
clientside_callback(
    f"""function (summary) {{
        if (summary && !summary.merged_into) {{
            const phone = document.getElementById('{FORM.phone}');
            if (phone) phone.focus();
        }}
    }}""",
    Input(FORM.result_data, "data"), prevent_initial_call=True)
