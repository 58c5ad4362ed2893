"""/mediation callbacks: filters → the list; an organisation chosen → its mediators; 登记 / 排查登记 / 导入 /
工单转调解 / 结案 → services.mediation, a message, fresh figures and lists; 导出 → the filtered list (or the screening
rounds) as CSV."""
from __future__ import annotations

import base64
import binascii

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from screens.mediation_parts import cases_table, ids, screenings_table, tiles
from security.sessions import current_principal
from services import mediation
from services.mediation import ImportRejected, NotFound
from workorders.mediation import CaseRejected
from workorders.policy import Forbidden


def _filters(street, kind, outcome) -> dict:
    return {"street": street, "kind": kind, "outcome": None if outcome == "办理中" else outcome,
            "open": outcome == "办理中"}


@callback(Output(ids.TABLE, "children"), Input(ids.STREET, "value"), Input(ids.KIND, "value"),
          Input(ids.OUTCOME, "value"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_cases(street, kind, outcome, _refresh):
    return cases_table(mediation.list_cases(current_principal(), _filters(street, kind, outcome)))


@callback(Output(ids.SCREENINGS, "children"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_screenings(_refresh):
    return screenings_table(mediation.list_screenings(current_principal()))


@callback(Output(ids.MEDIATOR, "options"), Output(ids.MEDIATOR, "value"), Input(ids.ORG, "value"),
          prevent_initial_call=True)
def show_mediators(org_code):
    """The chosen organisation's mediators (the service reads only an organisation of the reader's area)."""
    return [{"label": m["name"], "value": str(m["id"])}
            for m in mediation.mediators(current_principal(), org_code)], None


def _problems(lines: list[str]) -> html.Ul:
    return html.Ul([html.Li(line) for line in lines], className="md-problems")


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL (``data:<type>;base64,<payload>``)."""
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ImportRejected(["上传的文件无法读取"]) from None


@callback(Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"), Output(ids.TILES, "children"),
          Input(ids.ADD, "n_clicks"), Input(ids.FROM_TICKET, "n_clicks"), Input(ids.CLOSE, "n_clicks"),
          Input(ids.SCREEN, "n_clicks"), Input(ids.UPLOAD_CASES, "contents"), Input(ids.UPLOAD_SCREENINGS, "contents"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.ORG, "value"), State(ids.MEDIATOR, "value"),
          State({"type": ids.SCREEN_FIELD, "name": ALL}, "value"), State({"type": ids.SCREEN_FIELD, "name": ALL}, "id"),
          State(ids.TICKET, "value"), State(ids.CLOSE_NUMBER, "value"), State(ids.CLOSE_OUTCOME, "value"),
          State(ids.CLOSE_AGREEMENT, "value"), State(ids.UPLOAD_CASES, "filename"),
          State(ids.UPLOAD_SCREENINGS, "filename"), State(ids.REFRESH, "data"), prevent_initial_call=True)
def act(_add, _from_ticket, _close, _screen, cases_file, screenings_file, values, field_ids, org, mediator,
        screen_values, screen_ids, ticket, number, outcome, agreement, cases_name, screenings_name, refresh):
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.UPLOAD_CASES:
            count = mediation.import_cases(principal, cases_name or "upload.csv", _decode(cases_file))
            message = f"已导入 {count} 件调解案件（{cases_name}）"
        elif ctx.triggered_id == ids.UPLOAD_SCREENINGS:
            count = mediation.import_screenings(principal, screenings_name or "upload.csv", _decode(screenings_file))
            message = f"已导入 {count} 次排查（{screenings_name}）"
        elif ctx.triggered_id == ids.SCREEN:
            row = {f["name"]: v for f, v in zip(screen_ids, screen_values)}
            mediation.record_screening(principal, row)
            message = f"已登记排查：社区 {row.get('社区编码')} · {row.get('排查日期')} · 化解纠纷 {row.get('化解纠纷')} 起"
        elif ctx.triggered_id == ids.ADD:
            row = {**{f["name"]: v for f, v in zip(field_ids, values)}, "调解组织编码": org,
                   mediation.MEDIATOR: mediator}
            message = f"已登记调解案件 {mediation.add_case(principal, row)}"
        elif ctx.triggered_id == ids.FROM_TICKET:
            message = f"工单 {ticket} 已转为调解案件 {mediation.case_from_ticket(principal, (ticket or '').strip())}"
        else:
            mediation.close_case(principal, (number or "").strip(), outcome or "", agreement)
            message = f"案件 {number} 已结案：{outcome}"
    except (CaseRejected, ImportRejected) as rejected:
        lines = rejected.problems
        return (_problems(lines) if len(lines) > 1 else "；".join(lines)), no_update, no_update
    except (NotFound, Forbidden) as error:
        return str(error) or "无权操作", no_update, no_update
    return message, (refresh or 0) + 1, tiles(mediation.summary(principal), mediation.organisations(principal),
                                              mediation.screening(principal))


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), Input(ids.EXPORT_SCREENINGS, "n_clicks"),
          State(ids.STREET, "value"), State(ids.KIND, "value"), State(ids.OUTCOME, "value"), prevent_initial_call=True)
def export(_clicks, _screening_clicks, street, kind, outcome):
    principal = current_principal()
    if ctx.triggered_id == ids.EXPORT_SCREENINGS:
        return {"content": mediation.export_screenings_csv(principal, {"street": street}),
                "filename": "mediation-screenings.csv", "type": "text/csv"}
    csv_text = mediation.export_csv(principal, _filters(street, kind, outcome))
    return {"content": csv_text, "filename": "mediation-cases.csv", "type": "text/csv"}
