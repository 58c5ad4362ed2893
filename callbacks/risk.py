"""/risk callbacks: filters → the list; a project chosen → its area on the map and its factors; 登记 / 导入 →
services.risk_assessment, a message, fresh figures; 导出 → the filtered list as CSV."""
from __future__ import annotations

import base64
import binascii

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from screens.risk import map_base
from screens.risk_parts import ids, project_detail, project_figure, projects_table, tiles
from security.sessions import current_principal
from services import risk_assessment
from services.risk_assessment import ImportRejected, NotFound
from workorders.policy import Forbidden
from workorders.risk_assessment import ProjectRejected


def _filters(street, level, decision) -> dict:
    return {"street": street, "level": level, "decision": decision}


@callback(Output(ids.TABLE, "children"), Input(ids.STREET, "value"), Input(ids.LEVEL, "value"),
          Input(ids.DECISION, "value"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_projects(street, level, decision, _refresh):
    return projects_table(risk_assessment.list_projects(current_principal(), _filters(street, level, decision)))


@callback(Output(ids.MAP, "figure"), Output(ids.DETAIL, "children"), Input(ids.PROJECT, "value"),
          prevent_initial_call=True)
def show_project(number):
    if not number:
        return no_update, project_detail(None)
    try:
        project = risk_assessment.project_area(current_principal(), number)
    except NotFound as missing:
        return no_update, html.Div(str(missing), className="rk-empty")
    return project_figure(map_base(), project), project_detail(project)


def _problems(lines: list[str]) -> html.Ul:
    return html.Ul([html.Li(line) for line in lines], className="rk-problems")


@callback(Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"), Output(ids.TILES, "children"),
          Output(ids.PROJECT, "options"), Output(ids.PROJECT, "value"),
          Input(ids.ADD, "n_clicks"), Input(ids.UPLOAD, "contents"), Input(ids.OUTCOME_SAVE, "n_clicks"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.UPLOAD, "filename"), State(ids.REFRESH, "data"), State(ids.PROJECT, "value"),
          State(ids.OUTCOME, "value"), prevent_initial_call=True)
def act(_add, contents, _save, values, field_ids, filename, refresh, project, outcome):
    principal = current_principal()
    chosen = no_update
    try:
        if ctx.triggered_id == ids.ADD:
            row = {f["name"]: v for f, v in zip(field_ids, values)}
            chosen = risk_assessment.add_project(principal, row)
            message = f"已登记评估项目 {chosen}"
        elif ctx.triggered_id == ids.OUTCOME_SAVE:
            risk_assessment.record_outcome(principal, project, outcome)
            chosen = project                  # the project's details redrawn with its outcome
            message = f"已记录评估项目 {project} 的实施结果"
        else:
            count = risk_assessment.import_projects(principal, filename or "upload.csv", _decode(contents))
            message = f"已导入 {count} 个评估项目"
    except (ProjectRejected, ImportRejected) as rejected:
        return _problems(rejected.problems), no_update, no_update, no_update, no_update
    except (Forbidden, NotFound) as error:
        return str(error) or "无权操作", no_update, no_update, no_update, no_update
    projects = risk_assessment.list_projects(principal)
    options = [{"label": f"{p['number']} {p['name']}", "value": p["number"]} for p in projects]
    return message, (refresh or 0) + 1, tiles(risk_assessment.summary(principal)), options, chosen


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL (``data:<type>;base64,<payload>``)."""
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ImportRejected(["上传的文件无法读取"]) from None


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), State(ids.STREET, "value"),
          State(ids.LEVEL, "value"), State(ids.DECISION, "value"), prevent_initial_call=True)
def export(_clicks, street, level, decision):
    csv_text = risk_assessment.export_csv(current_principal(), _filters(street, level, decision))
    return {"content": csv_text, "filename": "risk-projects.csv", "type": "text/csv"}
