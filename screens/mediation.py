"""`/mediation` — 矛盾纠纷排查调处, for street and community staff and supervisors (leaders read the figures):
the district's cases with their success rate computed from the rows, filters, the open cases on the map, a form to
record a case (its organisation's mediator chosen), the newest screening rounds, uploads of a case list and of
screening rounds (CSV/XLSX, all rows or none), one action to turn a neighbour-dispute work order into a case, closing
a case, and the lists as CSV. Everything shown is of the reader's area (services/mediation.py decides it)."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.mediation import open_cases_trace
from layers.style import STYLE_PATH
from services import mediation
from screens.mediation_parts import cases_table, ids, options_of, screenings_table, tiles
from services.reference_map import base_map_figure, current_map_data
from workorders.mediation import HEADERS, KINDS, OUTCOMES, SCREENING_HEADERS
from workorders.policy import Principal, can, programme_area

dash.register_page(__name__, path="/mediation", title="铁东区 · 矛盾纠纷排查调处", name="矛盾调处")


# A screening round's fields and the width each needs (codes and dates wide, counts narrow).
SCREEN_FIELDS = (("社区编码", "md-w-code"), ("排查日期", "md-w-date"), ("排查发现纠纷", "md-w-count"),
                 ("化解纠纷", "md-w-count"), ("发现隐患", "md-w-count"), ("排除隐患", "md-w-count"))


def _screen_field(header: str, width: str) -> html.Label:
    placeholder = "YYYY-MM-DD" if header == "排查日期" else ("如 210302001001" if header == "社区编码" else "0")
    return html.Label([html.Span(header), dcc.Input(id={"type": ids.SCREEN_FIELD, "name": header}, maxLength=32,
                                                    placeholder=placeholder)], className=f"md-field {width}")


def _upload(upload_id: str, what: str, headers) -> dcc.Upload:
    return dcc.Upload(html.Div([f"{what}：拖入或", html.A("选择 CSV / XLSX 文件"),
                                f"（表头：{'、'.join(headers)}；全部正确才写入）"]),
                      id=upload_id, className="md-upload", max_size=10 * 1024 * 1024, accept=".csv,.xlsx")


def _form(organisations: list[dict]) -> html.Section:
    def field(header: str, control) -> html.Label:
        return html.Label([html.Span(header), control], className="md-field")
    org_options = [{"label": o["name"], "value": o["code"]} for o in organisations]
    return html.Section([
        html.H2("登记纠纷"),
        field("纠纷类型", dcc.Dropdown(id={"type": ids.FIELD, "name": "纠纷类型"}, options=options_of(KINDS),
                                     clearable=False)),
        field("纠纷概要", dcc.Textarea(id={"type": ids.FIELD, "name": "纠纷概要"}, maxLength=2000)),
        field("当事人", dcc.Input(id={"type": ids.FIELD, "name": "当事人"}, maxLength=2000)),
        field("网格编码", dcc.Input(id={"type": ids.FIELD, "name": "网格编码"}, maxLength=32)),
        field("调解组织编码", dcc.Dropdown(id=ids.ORG, options=org_options, placeholder="选择调解组织")),
        field(mediation.MEDIATOR, dcc.Dropdown(id=ids.MEDIATOR, options=[], placeholder="先选调解组织，再选其调解员")),
        field("受理日期", dcc.Input(id={"type": ids.FIELD, "name": "受理日期"}, placeholder="YYYY-MM-DD")),
        html.Button("登记", id=ids.ADD, n_clicks=0, className="md-button"),
        html.H2("排查登记"),
        html.Div([_screen_field(header, width) for header, width in SCREEN_FIELDS], className="md-inline md-screen"),
        html.Button("登记排查", id=ids.SCREEN, n_clicks=0, className="md-button"),
        html.H2("工单转调解"),
        html.Div([dcc.Input(id=ids.TICKET, placeholder="邻里纠纷工单编号", maxLength=20),
                  html.Button("转为调解案件", id=ids.FROM_TICKET, n_clicks=0, className="md-button")],
                 className="md-inline"),
        html.H2("结案"),
        html.Div([dcc.Input(id=ids.CLOSE_NUMBER, placeholder="案件编号", maxLength=24),
                  dcc.Dropdown(id=ids.CLOSE_OUTCOME, options=options_of(OUTCOMES), placeholder="调解结果",
                               className="md-outcome"),
                  dcc.Input(id=ids.CLOSE_AGREEMENT, placeholder="协议内容", maxLength=2000),
                  html.Button("结案", id=ids.CLOSE, n_clicks=0, className="md-button")], className="md-inline"),
        html.H2("批量导入"),
        html.Div([_upload(ids.UPLOAD_CASES, "纠纷案件", HEADERS),
                  _upload(ids.UPLOAD_SCREENINGS, "排查记录", SCREENING_HEADERS)], className="md-uploads"),
        html.Div(id=ids.MESSAGE, className="md-message", role="status"),
    ], id=ids.FORM, className="md-card md-form")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    summary = mediation.summary(principal)
    organisations = mediation.organisations(principal)
    streets = current_map_data().streets
    own_street = programme_area(principal).get("street") if principal else None    # a street's staff: theirs only
    figure = base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=13, cameras=False)
    # The shared figure is fitted to a full-screen map; this card is about a third as wide: one zoom step out.
    layout_ = {**figure["layout"], "map": {**figure["layout"]["map"], "zoom": figure["layout"]["map"]["zoom"] - 0.7}}
    figure = {**figure, "layout": layout_,
              "data": [*figure["data"], open_cases_trace(mediation.open_cases_on_map(principal))]}
    filters = html.Div([
        dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in
                                             zip(streets["code"], streets["name"]) if own_street in (None, c)],
                     placeholder="全部街道"),
        dcc.Dropdown(id=ids.KIND, options=options_of(KINDS), placeholder="全部类型"),
        dcc.Dropdown(id=ids.OUTCOME, options=options_of(("办理中", *OUTCOMES)), placeholder="全部结果"),
        html.Button("导出 CSV", id=ids.EXPORT, n_clicks=0, className="md-button")
        if can(principal, "mediation") else None,
        dcc.Download(id=ids.DOWNLOAD),
    ], className="md-filters")
    return html.Div([
        html.H1("矛盾纠纷排查调处"),
        html.Div(tiles(summary, organisations, mediation.screening(principal)), id=ids.TILES, className="md-tiles"),
        html.Div([
            html.Section([filters, html.Div(cases_table(mediation.list_cases(principal)), id=ids.TABLE)],
                         className="md-card md-list"),
            html.Section([html.H2("办理中的案件"), dcc.Graph(id=ids.MAP, figure=figure, className="md-map",
                                                          config={"displayModeBar": False, "scrollZoom": True})],
                         className="md-card md-map-card"),
        ], className="md-main"),
        html.Section([
            html.Div([html.H2("最近排查"),
                      html.Button("导出排查 CSV", id=ids.EXPORT_SCREENINGS, n_clicks=0, className="md-button")
                      if can(principal, "mediation") else None], className="md-inline md-heading"),
            html.Div(screenings_table(mediation.list_screenings(principal)), id=ids.SCREENINGS),
        ], className="md-card md-screenings"),
        _form(organisations) if can(principal, "mediation") else None,
        dcc.Store(id=ids.REFRESH, data=0),
    ], className="mediation-page")
