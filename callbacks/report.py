"""民情网 (/report): submit the citizen's form (one ticket per form session) and show the tracking number."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from callbacks.hotline import CLEARED, FIELD_PROPERTY
from callbacks.intake_location import error_messages
from screens import ids
from screens.intake_parts import new_form_key, receipt
from services.intake_forms import PUBLIC_CHANNEL, IntakeError, form_errors, submit
from services.tickets import IdempotencyConflict

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
    unchanged = (no_update,) * (len(CLEARED_FIELDS) + 1)
    errors = ctx.outputs_list[1]
    if not n_clicks:
        return no_update, error_messages(errors), no_update, *unchanged
    form = dict(zip(CLEARED_FIELDS, values[:-1]), location=values[-1])
    try:
        summary = submit(PUBLIC_CHANNEL, form, form_key)
    except IntakeError as error:
        return no_update, error_messages(errors, form_errors(error)), no_update, *unchanged
    except IdempotencyConflict:
        message = "这份表单已经提交过，内容又有改动。如确需再次反映，请再点一次提交。"
        return no_update, error_messages(errors, {"form": message}), new_form_key(), *unchanged
    # The citizen keeps only the number and what it needs to follow it up: no duplicates, nobody else's data.
    public = {k: summary[k] for k in ("number", "created", "category_name", "resolve_due_at", "department")}
    return public, error_messages(errors), new_form_key(), *[CLEARED[name] for name in CLEARED_FIELDS], None


@callback(Output(FORM.result, "children"), Input(FORM.result_data, "data"), prevent_initial_call=True)
def show_receipt(summary):
    return receipt(summary) if summary else no_update


clientside_callback(
    """function (summary) { if (summary) window.scrollTo({top: 0, behavior: 'smooth'}); }""",
    Input(FORM.result_data, "data"), prevent_initial_call=True)
