"""`/resources` — 社会力量, for street and community staff and supervisors (leaders read the figures): social
organisations, volunteer teams and public-welfare posts with the grid cells they cover, filtered by kind and
street; the cells no patrol post or no volunteer team covers on the map; counts by street; the one-key phones'
elders; a form to add or edit a resource, import and CSV export."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.style import STYLE_PATH
from screens.resources_parts import (FORM_KINDS, KIND_FILTER, elders_table, gap_figure, ids, resources_table,
                                     streets_table, tiles)
from screens.petitions_parts import stations_table
from services import petitions, resources
from services.reference_map import base_map_figure, current_map_data
from workorders.policy import Principal, can
from workorders.resources import HEADERS

dash.register_page(__name__, path="/resources", title="铁东区 · 社会力量", name="社会力量")


def map_base() -> dict:
    return base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=13, cameras=False)


def _form(principal: Principal) -> html.Section:
    def field(header: str, control, wide: bool = False) -> html.Label:
        return html.Label([html.Span(header), control], className="res-field res-wide" if wide else "res-field")

    def box(header: str, **kwargs):
        return dcc.Input(id={"type": ids.FIELD, "name": header}, **kwargs)
    grids = [{"label": f"{g['code']} {g['community']}{g['name']}", "value": g["code"]}
             for g in resources.grid_choices(principal)]
    return html.Section([
        html.H2("登记 / 编辑社会力量"),
        html.Div([dcc.Input(id=ids.CODE, maxLength=32, placeholder="编号：新增时留空；编辑时填编号后点“载入”"),
                  html.Button("载入", id=ids.LOAD, n_clicks=0, className="res-button"),
                  html.Span(id=ids.LOAD_MESSAGE, className="res-load-message")], className="res-inline"),
        field("类型", dcc.Dropdown(id={"type": ids.FIELD, "name": "类型"}, options=FORM_KINDS)),
        field("名称", box("名称", maxLength=200)),
        field("人数", box("人数", maxLength=5, placeholder="公益性岗位为 1")),
        field("覆盖网格", dcc.Dropdown(id={"type": ids.FIELD, "name": "覆盖网格"}, options=grids, multi=True,
                                   placeholder="选择覆盖的网格"), wide=True),
        field("负责人", box("负责人", maxLength=200)),
        field("联系电话", box("联系电话", maxLength=32)),
        field("备注", box("备注", maxLength=2000), wide=True),
        html.Button("保存", id=ids.SAVE, n_clicks=0, className="res-button"),
        html.H2("批量导入"),
        dcc.Upload(html.Div(["拖入或", html.A("选择 CSV / XLSX 文件"),
                             f"（表头：{'、'.join(HEADERS)}；有编号的行修改该条，其余新增；全部正确才写入）"]),
                   id=ids.UPLOAD, className="res-upload", max_size=10 * 1024 * 1024, accept=".csv,.xlsx"),
        html.Div(id=ids.MESSAGE, className="res-message", role="status"),
    ], id=ids.FORM, className="res-card res-form")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    summary = resources.summary(principal)
    streets = current_map_data().streets
    may_act = can(principal, "resources")
    filters = html.Div([
        dcc.Dropdown(id=ids.KIND, options=KIND_FILTER, placeholder="全部类型"),
        dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in
                                             zip(streets["code"], streets["name"])], placeholder="全部街道"),
        html.Button("导出 CSV", id=ids.EXPORT, n_clicks=0, className="res-button") if may_act else None,
        dcc.Download(id=ids.DOWNLOAD),
    ], className="res-filters")
    figure = gap_figure(map_base(), resources.coverage_gaps(principal), petitions.station_outlines(principal))
    return html.Div([
        html.H1("社会力量"),
        html.Div(tiles(summary), id=ids.TILES, className="res-tiles"),
        html.Div([
            html.Section([filters, html.Div(resources_table(resources.list_resources(principal)), id=ids.TABLE)],
                         className="res-card res-list"),
            html.Section([html.H2("覆盖缺口：无治安巡逻或无志愿服务队的网格"),
                          dcc.Graph(id=ids.MAP, figure=figure, className="res-map",
                                    config={"displayModeBar": False, "scrollZoom": True})],
                         className="res-card res-map-card"),
        ], className="res-main"),
        html.Section([html.H2("按街道统计"), html.Div(streets_table(resources.counts_by_street(principal)),
                                                     id=ids.STREETS)], className="res-card res-streets-card"),
        html.Section([html.H2("派出所辖区与警力（调度员可派警组与辅警）"), stations_table(petitions.stations(principal))],
                     className="res-card res-stations-card"),
        html.Section([html.H2("一键通老人登记"), html.Div(elders_table(*resources.elders(principal)), id=ids.ELDERS)],
                     className="res-card res-elders-card"),
        _form(principal) if may_act else None,
        dcc.Store(id=ids.REFRESH, data=0),
    ], className="resources-page")
