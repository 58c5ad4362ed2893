"""/tickets: filters, search, paging and a timer → services.ticket_list → counts, table, pager, export links;
bulk 派单/转办 → services.ticket_list.bulk_dispatch."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, no_update

from screens.tickets_list import counts_line, export_href, form_values, ids, pager, results_table
from security.sessions import current_principal
from services import ticket_list
from workorders.errors import FieldError
from workorders.policy import Forbidden, can

FILTER_INPUTS = (ids.STATE, ids.CATEGORY, ids.CHANNEL, ids.STREET, ids.COMMUNITY, ids.DEPARTMENT, ids.SINCE,
                 ids.UNTIL, ids.FLAGS, ids.SATISFACTION, ids.TEXT, ids.SORT)


@callback(Output(ids.COUNTS, "children"), Output(ids.RESULTS, "children"), Output(ids.PAGER, "children"),
          Output(ids.PAGE, "data"), Output(ids.EXPORT_CSV, "href"), Output(ids.EXPORT_XLSX, "href"),
          Output(ids.ERROR, "children"),
          Input(ids.SEARCH, "n_clicks"), Input(ids.PREV, "n_clicks"), Input(ids.NEXT, "n_clicks"),
          Input(ids.REFRESH, "n_intervals"), Input(ids.BULK_RESULT, "children"),
          *[Input(i, "value") for i in FILTER_INPUTS], State(ids.PAGE, "data"), prevent_initial_call=True)
def show(_search, _prev, _next, _tick, _bulk, *values_and_page):
    *values, paging = values_and_page
    paging = paging or {"page": 1, "pages": 1}
    page = paging["page"]
    if ctx.triggered_id == ids.PREV:
        page -= 1
    elif ctx.triggered_id == ids.NEXT:
        page += 1
    elif ctx.triggered_id in FILTER_INPUTS or ctx.triggered_id == ids.SEARCH:
        page = 1
    principal = current_principal()
    try:
        query = ticket_list.parse_query(form_values(tuple(values)))
        found = ticket_list.list_page(principal, query, page=page)
    except FieldError as bad:
        return (no_update,) * 6 + (bad.message,)
    except Forbidden as refused:
        return (no_update,) * 6 + (refused.message,)
    args = ticket_list.query_args(query)
    return (counts_line(found), results_table(found, can(principal, "dispatch")), pager(found),
            {"page": found.page, "pages": found.pages}, export_href("csv", args), export_href("xlsx", args), "")


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
