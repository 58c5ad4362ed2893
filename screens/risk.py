"""`/risk` — 重大决策社会稳定风险评估, for street staff and supervisors (leaders read it): the assessed projects with
their risk levels counted from the rows, filters, the chosen project's area on the map with the grids inside it and
their open work orders and mediation cases, its risk factors, a form to add a project, import and CSV export."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.style import STYLE_PATH
from screens.risk_parts import ids, options_of, project_detail, project_figure, projects_table, tiles
from services import risk_assessment
from services.reference_map import base_map_figure, current_map_data
from workorders.policy import Principal, can
from workorders.risk_assessment import DECISIONS, KINDS, LEVELS, METHODS

dash.register_page(__name__, path="/risk", title="铁东区 · 重大决策社会稳定风险评估", name="稳评")


def map_base() -> dict:
    return base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=13, cameras=False)


def _form(principal: Principal) -> html.Section:
    def field(header: str, control, wide: bool = False) -> html.Label:
        return html.Label([html.Span(header), control], className="rk-field rk-wide" if wide else "rk-field")
    grids = risk_assessment.grid_choices(principal)
    grid_options = [{"label": code, "value": code} for codes in grids.values() for code in codes]
    return html.Section([
        html.H2("登记评估项目"),
        field("项目名称", dcc.Input(id={"type": ids.FIELD, "name": "项目名称"}, maxLength=200)),
        field("项目类型", dcc.Dropdown(id={"type": ids.FIELD, "name": "项目类型"}, options=options_of(KINDS))),
        field("网格编码（项目范围）", dcc.Dropdown(id={"type": ids.FIELD, "name": "网格编码"}, options=grid_options,
                                           multi=True, placeholder="选择项目覆盖的网格")),
        field("评估方法", dcc.Checklist(id={"type": ids.FIELD, "name": "评估方法"}, options=options_of(METHODS),
                                    inline=True, className="rk-methods-pick"), wide=True),
        field("风险等级", dcc.Dropdown(id={"type": ids.FIELD, "name": "风险等级"}, options=options_of(LEVELS))),
        field("评估结论", dcc.Dropdown(id={"type": ids.FIELD, "name": "评估结论"}, options=options_of(DECISIONS))),
        field("评估日期", dcc.Input(id={"type": ids.FIELD, "name": "评估日期"}, placeholder="YYYY-MM-DD")),
        field("风险因素（每行一项：因素：分析：措施）", dcc.Textarea(id={"type": ids.FIELD, "name": "风险因素"},
                                                      maxLength=2000), wide=True),
        field("实施结果", dcc.Input(id={"type": ids.FIELD, "name": "实施结果"}, maxLength=2000)),
        html.Button("登记", id=ids.ADD, n_clicks=0, className="rk-button"),
        html.H2("记录实施结果（“项目范围”中所选项目）"),
        html.Div([dcc.Input(id=ids.OUTCOME, maxLength=2000, placeholder="实施后的结果，如：已完成签约搬迁，未发生群体性事件"),
                  html.Button("保存实施结果", id=ids.OUTCOME_SAVE, n_clicks=0, className="rk-button")],
                 className="rk-inline"),
        html.H2("批量导入"),
        dcc.Upload(html.Div(["拖入或", html.A("选择 CSV / XLSX 文件"),
                             "（表头：" + "、".join(("项目名称", "项目类型", "网格编码", "评估方法", "风险等级",
                                                  "评估结论", "评估日期", "风险因素", "实施结果")) + "；全部正确才写入）"]),
                   id=ids.UPLOAD, className="rk-upload", max_size=10 * 1024 * 1024, accept=".csv,.xlsx"),
        html.Div(id=ids.MESSAGE, className="rk-message", role="status"),
    ], id=ids.FORM, className="rk-card rk-form")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    summary = risk_assessment.summary(principal)
    projects = risk_assessment.list_projects(principal)
    chosen = next((p for p in projects if p["factors"] == max(q["factors"] for q in projects)), None) \
        if projects else None
    project = risk_assessment.project_area(principal, chosen["number"]) if chosen else None
    streets = current_map_data().streets
    may_act = can(principal, "risk_assessment")
    filters = html.Div([
        dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in
                                             zip(streets["code"], streets["name"])], placeholder="全部街道"),
        dcc.Dropdown(id=ids.LEVEL, options=options_of(LEVELS), placeholder="全部风险等级"),
        dcc.Dropdown(id=ids.DECISION, options=options_of(DECISIONS), placeholder="全部结论"),
        html.Button("导出 CSV", id=ids.EXPORT, n_clicks=0, className="rk-button") if may_act else None,
        dcc.Download(id=ids.DOWNLOAD),
    ], className="rk-filters")
    return html.Div([
        html.H1("重大决策社会稳定风险评估"),
        html.Div(tiles(summary), id=ids.TILES, className="rk-tiles"),
        html.Div([
            html.Section([filters, html.Div(projects_table(projects), id=ids.TABLE)], className="rk-card rk-list"),
            html.Section([
                html.H2("项目范围"),
                dcc.Dropdown(id=ids.PROJECT, options=[{"label": f"{p['number']} {p['name']}", "value": p["number"]}
                                                      for p in projects],
                             value=chosen["number"] if chosen else None, clearable=False, placeholder="选择项目"),
                dcc.Graph(id=ids.MAP, figure=project_figure(map_base(), project), className="rk-map",
                          config={"displayModeBar": False, "scrollZoom": True}),
                html.Div(project_detail(project), id=ids.DETAIL),
            ], className="rk-card rk-map-card"),
        ], className="rk-main"),
        _form(principal) if may_act else None,
        dcc.Store(id=ids.REFRESH, data=0),
    ], className="risk-page")
