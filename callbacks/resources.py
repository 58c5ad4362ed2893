"""/resources callbacks: filters → the lists and the gap map; 载入 → a resource's values in the form; 保存 / 导入
→ services.resources, a message, fresh figures; 导出 → the filtered list as CSV."""
from __future__ import annotations

import base64
import binascii

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from screens.resources import map_base
from screens.resources_parts import elders_table, gap_figure, ids, resources_table, streets_table, tiles
from security.sessions import current_principal
from services import petitions, resources
from services.resources import ImportRejected, NotFound
from workorders.policy import Forbidden
from workorders.resources import ResourceRejected


@callback(Output(ids.TABLE, "children"), Output(ids.ELDERS, "children"), Input(ids.KIND, "value"),
          Input(ids.STREET, "value"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_lists(kind, street, _refresh):
    principal = current_principal()
    return (resources_table(resources.list_resources(principal, {"kind": kind, "street": street})),
            elders_table(*resources.elders(principal, {"street": street})))


@callback(Output(ids.MAP, "figure"), Input(ids.STREET, "value"), Input(ids.REFRESH, "data"),
          prevent_initial_call=True)
def show_gaps(street, _refresh):
    principal = current_principal()
    return gap_figure(map_base(), resources.coverage_gaps(principal, street=street),
                      petitions.station_outlines(principal))


@callback(Output({"type": ids.FIELD, "name": ALL}, "value"), Output(ids.LOAD_MESSAGE, "children"),
          Input(ids.LOAD, "n_clicks"), State({"type": ids.FIELD, "name": ALL}, "id"), State(ids.CODE, "value"),
          prevent_initial_call=True)
def load(_clicks, field_ids, code):
    """The named resource's values into the form, to edit and 保存."""
    try:
        found = resources.resource(current_principal(), code or "")
    except (NotFound, Forbidden) as error:
        return [no_update] * len(field_ids), str(error)
    values = {"类型": found["kind"], "名称": found["name"], "覆盖网格": found["grid_codes"],
              "人数": str(found["members"]), "负责人": found["leader"], "联系电话": found["phone"], "备注": found["note"]}
    return [values.get(f["name"]) for f in field_ids], f"已载入 {found['code']}，修改后点“保存”"


def _problems(lines: list[str]) -> html.Ul:
    return html.Ul([html.Li(line) for line in lines], className="res-problems")


@callback(Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"), Output(ids.TILES, "children"),
          Output(ids.STREETS, "children"),
          Input(ids.SAVE, "n_clicks"), Input(ids.UPLOAD, "contents"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.CODE, "value"), State(ids.UPLOAD, "filename"), State(ids.REFRESH, "data"),
          prevent_initial_call=True)
def act(_save, contents, values, field_ids, code, filename, refresh):
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.SAVE:
            row = {**{f["name"]: v for f, v in zip(field_ids, values)}, "编号": code}
            code = resources.save_resource(principal, row)
            message = f"已{'修改' if row.get('编号') else '登记'}社会力量 {code}"
        else:
            count = resources.import_resources(principal, filename or "upload.csv", _decode(contents))
            message = f"已导入 {count} 条社会力量"
    except (ResourceRejected, ImportRejected) as rejected:
        return _problems(rejected.problems), no_update, no_update, no_update
    except Forbidden as error:
        return str(error) or "无权操作", no_update, no_update, no_update
    return (message, (refresh or 0) + 1, tiles(resources.summary(principal)),
            streets_table(resources.counts_by_street(principal)))


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL (``data:<type>;base64,<payload>``)."""
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ImportRejected(["上传的文件无法读取"]) from None


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), State(ids.KIND, "value"),
          State(ids.STREET, "value"), prevent_initial_call=True)
def export(_clicks, kind, street):
    csv_text = resources.export_csv(current_principal(), {"kind": kind, "street": street})
    return {"content": csv_text, "filename": "social-resources.csv", "type": "text/csv"}
