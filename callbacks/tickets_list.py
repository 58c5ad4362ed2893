"""/tickets: filters, search, paging, the live feed (or, without it, a slow tick) → services.ticket_list → counts,
table, pager, export links; a live refresh reads the page only when its signature changed and redraws the table only
when its rows did (the ticks stay where they were); bulk 派单/转办 → services.ticket_list.bulk_dispatch."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, no_update

from screens.tickets_list import counts_line, export_href, form_values, ids, pager, results_table
from security.sessions import current_principal
from services import ticket_list
from workorders.errors import FieldError
from workorders.policy import Forbidden, can

FILTER_INPUTS = (ids.STATE, ids.CATEGORY, ids.CHANNEL, ids.STREET, ids.COMMUNITY, ids.DEPARTMENT, ids.SINCE,
                 ids.UNTIL, ids.FLAGS, ids.SATISFACTION, ids.TEXT, ids.SORT)


LIVE_INPUTS = (ids.REFRESH, ids.LIVE)


@callback(Output(ids.COUNTS, "children"), Output(ids.RESULTS, "children"), Output(ids.PAGER, "children"),
          Output(ids.PAGE, "data"), Output(ids.EXPORT_CSV, "href"), Output(ids.EXPORT_XLSX, "href"),
          Output(ids.ERROR, "children"), Output(ids.SHOWN, "data"),
          Input(ids.SEARCH, "n_clicks"), Input(ids.PREV, "n_clicks"), Input(ids.NEXT, "n_clicks"),
          Input(ids.REFRESH, "n_intervals"), Input(ids.LIVE, "data"), Input(ids.BULK_RESULT, "children"),
          *[Input(i, "value") for i in FILTER_INPUTS], State(ids.PAGE, "data"), State(ids.SHOWN, "data"),
          State({"type": ids.PICK, "number": ALL}, "value"), prevent_initial_call=True)
def show(_search, _prev, _next, _tick, _live, _bulk, *values_and_state):
    *values, paging, shown, picks = values_and_state
    paging, shown = paging or {"page": 1, "pages": 1}, shown or {}
    page = paging["page"]
    live = ctx.triggered_id in LIVE_INPUTS
    if ctx.triggered_id == ids.PREV:
        page -= 1
    elif ctx.triggered_id == ids.NEXT:
        page += 1
    elif ctx.triggered_id in FILTER_INPUTS or ctx.triggered_id == ids.SEARCH:
        page = 1
    principal = current_principal()
    try:
        query = ticket_list.parse_query(form_values(tuple(values)))
        # A live batch or tick: the page is read (and its reading audited) only when what it shows changed.
        if live and ticket_list.page_signature(principal, query, page=page) == shown:
            return (no_update,) * 8
        found = ticket_list.list_page(principal, query, page=page)
    except FieldError as bad:
        return (no_update,) * 6 + (bad.message, no_update)
    except Forbidden as refused:
        return (no_update,) * 6 + (refused.message, no_update)
    args = ticket_list.query_args(query)
    if live and found.signature.get("rows") == shown.get("rows"):
        table = no_update                   # only the counts moved: the table, its ticks and the pointer stay
    else:
        picked = frozenset(n for chosen in picks or [] for n in (chosen or [])) if live else frozenset()
        table = results_table(found, can(principal, "dispatch"), picked)
    return (counts_line(found), table, pager(found), {"page": found.page, "pages": found.pages},
            export_href("csv", args), export_href("xlsx", args), "", found.signature)


@callback(Output(ids.BULK_RESULT, "children"),
          Input(ids.BULK_DISPATCH, "n_clicks"), Input(ids.BULK_TRANSFER, "n_clicks"),
          State({"type": ids.PICK, "number": ALL}, "value"), State(ids.BULK_DEPARTMENT, "value"),
          prevent_initial_call=True)
def bulk(_dispatch, _transfer, picks, department):
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update
    transfer = ctx.triggered_id == ids.BULK_TRANSFER
    if transfer and not department:
        return "请选择转办的承办单位"
    numbers = [n for chosen in picks or [] for n in (chosen or [])]
    try:
        result = ticket_list.bulk_dispatch(current_principal(), numbers, department if transfer else None)
    except FieldError as bad:
        return bad.message
    except Forbidden as refused:
        return refused.message
    verb = "转办" if transfer else "派单"
    text = f"已{verb} {len(result.done)} 件"
    if result.refused:
        text += "；未能处理：" + "；".join(f"{n}（{why}）" for n, why in result.refused)
    return text
