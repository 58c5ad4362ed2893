"""民情网 (/report): submit the citizen's form (one ticket per form session) and show the tracking number."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, clientside_callback, no_update

from callbacks.hotline import CLEARED, FIELD_PROPERTY
from callbacks.intake_location import submit_outputs
from screens import ids
from screens.intake_parts import receipt
from services.intake_forms import PUBLIC_CHANNEL

FORM = ids.REPORT
CLEARED_FIELDS = ("phone", "name", "category", "category_input", "variant", "address", "description")


@callback(Output(FORM.result_data, "data"), Output({"type": FORM.error, "field": ALL}, "children"),
          Output(FORM.form_key, "data"),
          *[Output(getattr(FORM, name), FIELD_PROPERTY.get(name, "value"),
                   allow_duplicate=name in ("address", "variant", "category", "category_input"))
            for name in CLEARED_FIELDS],
          Output(FORM.location, "data", allow_duplicate=True),
          Input(FORM.submit, "n_clicks"), State(FORM.form_key, "data"),
          *[State(getattr(FORM, name), FIELD_PROPERTY.get(name, "value")) for name in CLEARED_FIELDS],
          State(FORM.location, "data"),
          running=[(Output(FORM.submit, "disabled"), True, False)], prevent_initial_call=True)
def report_problem(n_clicks, form_key, *values):
    form = dict(zip(CLEARED_FIELDS, values[:-1]), location=values[-1])
    return submit_outputs(n_clicks, PUBLIC_CHANNEL, form, form_key, {name: CLEARED[name] for name in CLEARED_FIELDS},
                          "这份表单已经提交过，内容又有改动。如确需再次反映，请再点一次提交。", shown=public_receipt)


def public_receipt(summary: dict) -> dict:
    # The citizen keeps only the number and what it needs to follow it up: no duplicates, nobody else's data.
    return {k: summary[k] for k in ("number", "created", "category_name", "resolve_due_at", "department")}


@callback(Output(FORM.result, "children"), Input(FORM.result_data, "data"), prevent_initial_call=True)
def show_receipt(summary):
    return receipt(summary) if summary else no_update


clientside_callback(
    """function (summary) { if (summary) window.scrollTo({top: 0, behavior: 'smooth'}); }""",
    Input(FORM.result_data, "data"), prevent_initial_call=True)
