"""/audit: filters → services.audit → table; the export link follows the filters."""
from __future__ import annotations

from dash import Input, Output, State, callback, no_update

from screens.audit import PAGE_ROWS, export_href, ids, results_table
from services import audit
from workorders.errors import FieldError

FIELDS = ("since", "until", "actor", "action", "outcome", "target")


@callback(Output(ids.RESULTS, "children"), Output(ids.EXPORT, "href"), Output(ids.ERROR, "children"),
          Input(ids.SEARCH, "n_clicks"), Input(ids.ACTOR, "n_submit"), Input(ids.TARGET, "n_submit"),
          State(ids.SINCE, "value"), State(ids.UNTIL, "value"), State(ids.ACTOR, "value"), State(ids.ACTION, "value"),
          State(ids.OUTCOME, "value"), State(ids.TARGET, "value"), prevent_initial_call=True)
def search(_clicks, _actor_submit, _target_submit, *values):
    form = dict(zip(FIELDS, values))
    try:
        filters = audit.parse_filters(form)
    except FieldError as bad:
        return no_update, no_update, bad.message
    return results_table(audit.search(filters, limit=PAGE_ROWS)), export_href(form), ""
