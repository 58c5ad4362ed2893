"""`/petitions` — 信访案件, for the supervisors of the reception center (leaders read it): the petitions with their
figures computed from the rows (化解率, 越级上访, 律师参与), filters, the list with the work orders and mediation cases
each grew from, a form to register one, closing one, import and CSV export; petitions by street."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.style import STYLE_PATH
from screens.petitions_parts import OPEN, ids, options_of, petitions_figure, petitions_table, streets_table, tiles
from services import petitions
from services.reference_map import base_map_figure, current_map_data
from workorders.petitions import CHANNELS, HEADERS, KINDS, LEVELS, OUTCOMES
from workorders.policy import Principal, can, may_open

dash.register_page(__name__, path="/petitions", title="铁东区 · 信访案件", name="信访")


def map_base() -> dict:
    return base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=13, cameras=False)


def petitions_map(principal: Principal | None, filters: dict | None = None) -> dict:
    """The open petitions of the filters on the map, with the police stations' areas."""
    return petitions_figure(map_base(), petitions.open_on_map(principal, filters),
                            petitions.station_outlines(principal))


def _form() -> html.Section:
    def field(header: str, control, wide: bool = False) -> html.Label:
        return html.Label([html.Span(header), control], className="pt-field pt-wide" if wide else "pt-field")

    def box(header: str, **kwargs):
        return dcc.Input(id={"type": ids.FIELD, "name": header}, **kwargs)

    def pick(header: str, values, **kwargs):
        return dcc.Dropdown(id={"type": ids.FIELD, "name": header}, options=options_of(values), **kwargs)
    return html.Section([
        html.H2("登记信访案件"),
        field("信访人", box("信访人", maxLength=100)),
        field("联系电话", box("联系电话", maxLength=32)),
        field("问题类别", pick("问题类别", KINDS)),
        field("反映问题", dcc.Textarea(id={"type": ids.FIELD, "name": "反映问题"}, maxLength=2000), wide=True),
        field("信访方式", pick("信访方式", CHANNELS)),
        field("信访层级", pick("信访层级", LEVELS)),
        field("越级上访", pick("越级上访", ("否", "是"), value="否", clearable=False)),
        field("网格编码", box("网格编码", maxLength=32)),
        field("登记日期", box("登记日期", placeholder="YYYY-MM-DD")),
        field("关联工单（越级上访必填，多个以、分隔）", box("关联工单", maxLength=400)),
        field("关联纠纷（调解案件编号）", box("关联纠纷", maxLength=400)),
        field("代理律师（涉法涉诉、征地拆迁必填）", box("代理律师", maxLength=100)),
        html.Button("登记", id=ids.ADD, n_clicks=0, className="pt-button"),
        html.H2("办结"),
        html.Div([dcc.Input(id=ids.CLOSE_NUMBER, placeholder="信访案件编号", maxLength=24),
                  dcc.Dropdown(id=ids.CLOSE_OUTCOME, options=options_of(OUTCOMES), placeholder="办理结果",
                               className="pt-outcome"),
                  html.Button("办结", id=ids.CLOSE, n_clicks=0, className="pt-button")], className="pt-inline"),
        html.H2("批量导入"),
        dcc.Upload(html.Div(["拖入或", html.A("选择 CSV / XLSX 文件"),
                             f"（表头：{'、'.join(HEADERS)}；全部正确才写入）"]),
                   id=ids.UPLOAD, className="pt-upload", max_size=10 * 1024 * 1024, accept=".csv,.xlsx"),
        html.Div(id=ids.MESSAGE, className="pt-message", role="status"),
    ], id=ids.FORM, className="pt-card pt-form")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    summary = petitions.summary(principal)
    streets = current_map_data().streets
    may_act = can(principal, "petitions")
    filters = html.Div([
        dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in
                                             zip(streets["code"], streets["name"])], placeholder="全部街道"),
        dcc.Dropdown(id=ids.KIND, options=options_of(KINDS), placeholder="全部类别"),
        dcc.Dropdown(id=ids.LEVEL, options=options_of((*LEVELS, "越级上访")), placeholder="全部层级"),
        dcc.Dropdown(id=ids.OUTCOME, options=options_of((OPEN, *OUTCOMES)), placeholder="全部结果"),
        html.Button("导出 CSV", id=ids.EXPORT, n_clicks=0, className="pt-button") if may_act else None,
        dcc.Download(id=ids.DOWNLOAD),
    ], className="pt-filters")
    link = principal is not None and may_open(principal, "/tickets/<number>")
    return html.Div([
        html.H1("信访案件"),
        html.Div(tiles(summary), id=ids.TILES, className="pt-tiles"),
        html.Section([filters, html.Div(petitions_table(petitions.list_petitions(principal), link=link),
                                        id=ids.TABLE)], className="pt-card pt-list"),
        html.Div([
            html.Section([html.H2("按街道统计"), streets_table(petitions.counts_by_street(principal))],
                         className="pt-card"),
            html.Section([html.H2("办理中的信访案件与派出所辖区"),
                          dcc.Graph(id=ids.MAP, figure=petitions_map(principal), className="pt-map",
                                    config={"displayModeBar": False, "scrollZoom": True})],
                         className="pt-card pt-map-card"),
        ], className="pt-lower"),
        _form() if may_act else None,
        dcc.Store(id=ids.REFRESH, data=0),
    ], className="petitions-page")
