"""/petitions callbacks: filters → the list; 登记 / 办结 / 导入 → services.petitions, a message, fresh figures;
导出 → the filtered list as CSV."""
from __future__ import annotations

import base64
import binascii

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from screens.petitions import petitions_map
from screens.petitions_parts import OPEN, SKIPPED, ids, petitions_table, tiles
from security.sessions import current_principal
from services import petitions
from services.petitions import ImportRejected, NotFound
from workorders.petitions import PetitionRejected
from workorders.policy import Forbidden, may_open


def _filters(street, kind, level, outcome) -> dict:
    return {"street": street, "kind": kind, "level": None if level == SKIPPED else level,
            "skipped": level == SKIPPED, "outcome": None if outcome == OPEN else outcome, "open": outcome == OPEN}


@callback(Output(ids.TABLE, "children"), Output(ids.MAP, "figure"), Input(ids.STREET, "value"),
          Input(ids.KIND, "value"), Input(ids.LEVEL, "value"), Input(ids.OUTCOME, "value"), Input(ids.REFRESH, "data"),
          prevent_initial_call=True)
def show_petitions(street, kind, level, outcome, _refresh):
    """The list of the filters, and the map of the open petitions of the street, kind and level chosen."""
    principal = current_principal()
    rows = petitions.list_petitions(principal, _filters(street, kind, level, outcome))
    return (petitions_table(rows, link=principal is not None and may_open(principal, "/tickets/<number>")),
            petitions_map(principal, _filters(street, kind, level, None)))


def _problems(lines: list[str]) -> html.Ul:
    return html.Ul([html.Li(line) for line in lines], className="pt-problems")


@callback(Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"), Output(ids.TILES, "children"),
          Input(ids.ADD, "n_clicks"), Input(ids.CLOSE, "n_clicks"), Input(ids.UPLOAD, "contents"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.CLOSE_NUMBER, "value"), State(ids.CLOSE_OUTCOME, "value"), State(ids.UPLOAD, "filename"),
          State(ids.REFRESH, "data"), prevent_initial_call=True)
def act(_add, _close, contents, values, field_ids, number, outcome, filename, refresh):
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.ADD:
            row = {f["name"]: v for f, v in zip(field_ids, values)}
            message = f"已登记信访案件 {petitions.add_petition(principal, row)}"
        elif ctx.triggered_id == ids.CLOSE:
            petitions.close_petition(principal, number or "", outcome or "")
            message = f"信访案件 {number} 已办结：{outcome}"
        else:
            count = petitions.import_petitions(principal, filename or "upload.csv", _decode(contents))
            message = f"已导入 {count} 件信访案件"
    except (PetitionRejected, ImportRejected) as rejected:
        return _problems(rejected.problems), no_update, no_update
    except (NotFound, Forbidden) as error:
        return str(error) or "无权操作", no_update, no_update
    return message, (refresh or 0) + 1, tiles(petitions.summary(principal))


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL (``data:<type>;base64,<payload>``)."""
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ImportRejected(["上传的文件无法读取"]) from None


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), State(ids.STREET, "value"),
          State(ids.KIND, "value"), State(ids.LEVEL, "value"), State(ids.OUTCOME, "value"), prevent_initial_call=True)
def export(_clicks, street, kind, level, outcome):
    csv_text = petitions.export_csv(current_principal(), _filters(street, kind, level, outcome))
    return {"content": csv_text, "filename": "petitions.csv", "type": "text/csv"}
