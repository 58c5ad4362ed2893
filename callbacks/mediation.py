"""/mediation callbacks: filters → the list; 登记 / 工单转调解 / 结案 → services.mediation, a message, fresh figures;
导出 → the filtered list as CSV."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, no_update

from screens.mediation_parts import cases_table, ids, tiles
from security.sessions import current_principal
from services import mediation
from services.mediation import NotFound
from workorders.mediation import CaseRejected
from workorders.policy import Forbidden


def _filters(street, kind, outcome) -> dict:
    return {"street": street, "kind": kind, "outcome": None if outcome == "办理中" else outcome,
            "open": outcome == "办理中"}


@callback(Output(ids.TABLE, "children"), Input(ids.STREET, "value"), Input(ids.KIND, "value"),
          Input(ids.OUTCOME, "value"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_cases(street, kind, outcome, _refresh):
    return cases_table(mediation.list_cases(current_principal(), _filters(street, kind, outcome)))


@callback(Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"), Output(ids.TILES, "children"),
          Input(ids.ADD, "n_clicks"), Input(ids.FROM_TICKET, "n_clicks"), Input(ids.CLOSE, "n_clicks"),
          Input(ids.SCREEN, "n_clicks"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State({"type": ids.SCREEN_FIELD, "name": ALL}, "value"), State({"type": ids.SCREEN_FIELD, "name": ALL}, "id"),
          State(ids.TICKET, "value"), State(ids.CLOSE_NUMBER, "value"), State(ids.CLOSE_OUTCOME, "value"),
          State(ids.CLOSE_AGREEMENT, "value"), State(ids.REFRESH, "data"), prevent_initial_call=True)
def act(_add, _from_ticket, _close, _screen, values, field_ids, screen_values, screen_ids, ticket, number, outcome,
        agreement, refresh):
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.SCREEN:
            row = {f["name"]: v for f, v in zip(screen_ids, screen_values)}
            mediation.record_screening(principal, row)
            message = f"已登记排查：社区 {row.get('社区编码')} · {row.get('排查日期')} · 化解纠纷 {row.get('化解纠纷')} 起"
        elif ctx.triggered_id == ids.ADD:
            row = {f["name"]: v for f, v in zip(field_ids, values)}
            message = f"已登记调解案件 {mediation.add_case(principal, row)}"
        elif ctx.triggered_id == ids.FROM_TICKET:
            message = f"工单 {ticket} 已转为调解案件 {mediation.case_from_ticket(principal, (ticket or '').strip())}"
        else:
            mediation.close_case(principal, (number or "").strip(), outcome or "", agreement)
            message = f"案件 {number} 已结案：{outcome}"
    except CaseRejected as rejected:
        return "；".join(rejected.problems), no_update, no_update
    except (NotFound, Forbidden) as error:
        return str(error) or "无权操作", no_update, no_update
    return message, (refresh or 0) + 1, tiles(mediation.summary(principal), mediation.organisations(principal),
                                              mediation.screening(principal))


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), State(ids.STREET, "value"),
          State(ids.KIND, "value"), State(ids.OUTCOME, "value"), prevent_initial_call=True)
def export(_clicks, street, kind, outcome):
    csv_text = mediation.export_csv(current_principal(), _filters(street, kind, outcome))
    return {"content": csv_text, "filename": "mediation-cases.csv", "type": "text/csv"}
