"""`/consultation` — 民主恳谈, for street and community staff (their own sessions), leaders and the administrator:
the year's sessions with their figures counted from the rows, filters, the sessions on the map coloured by step,
one session's steps, participants, opinions, decision, feedback and follow-up with what its step allows, a form to
start a session, import and CSV export. Residents follow a session at /consultation/<number>."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.consultation import sessions_trace
from layers.style import STYLE_PATH
from screens.consultation_parts import actions, ids, legend, options_of, session_detail, sessions_table, tiles
from services import consultation
from services.reference_map import base_map_figure, current_map_data
from workorders.consultation import DATE_HEADERS, HEADERS, STEPS, TOPICS
from workorders.policy import Principal

dash.register_page(__name__, path="/consultation", title="铁东区 · 民主恳谈", name="民主恳谈")

CHOICES = 1000          # sessions the picker offers (newest debate first): a district's several years


def map_base() -> dict:
    return base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=13, cameras=False)


def sessions_figure(base: dict, sessions: list[dict]) -> dict:
    # The shared figure is fitted to a full-screen map; this card is about a third as wide: one zoom step out.
    map_layout = {**base["layout"]["map"], "zoom": base["layout"]["map"]["zoom"] - 0.7}
    return {**base, "layout": {**base["layout"], "map": map_layout}, "data": [*base["data"], sessions_trace(sessions)]}


def _form(principal: Principal) -> html.Section:
    def field(header: str, control, wide: bool = False) -> html.Label:
        return html.Label([html.Span(header), control], className="cs-field cs-wide" if wide else "cs-field")

    def day(header: str) -> html.Label:
        return field(header, dcc.Input(id={"type": ids.FIELD, "name": header}, placeholder="YYYY-MM-DD", maxLength=10))
    return html.Section([
        html.H2("发起民主恳谈"),
        field("议题名称", dcc.Input(id={"type": ids.FIELD, "name": "议题名称"}, maxLength=200)),
        field("议题类别", dcc.Dropdown(id={"type": ids.FIELD, "name": "议题类别"}, options=options_of(TOPICS))),
        field("网格编码（恳谈所在网格）", dcc.Dropdown(
            id={"type": ids.FIELD, "name": "网格编码"}, searchable=True, placeholder="输入社区名或网格编码",
            options=[{"label": g["label"], "value": g["code"]} for g in consultation.grid_choices(principal)])),
        field("议题内容", dcc.Textarea(id={"type": ids.FIELD, "name": "议题内容"}, maxLength=2000), wide=True),
        field("恳谈地点", dcc.Input(id={"type": ids.FIELD, "name": "恳谈地点"}, maxLength=200)),
        *[day(h) for h in DATE_HEADERS],
        field("组织单位（默认：所在社区居委会）", dcc.Input(id={"type": ids.FIELD, "name": "组织单位"}, maxLength=200)),
        html.Button("发起", id=ids.ADD, n_clicks=0, className="cs-button"),
        html.H2("批量导入"),
        html.Div(dcc.Upload(html.Div(["拖入或", html.A("选择 CSV / XLSX 文件"),
                                      f"（表头：{'、'.join(HEADERS)}；全部正确才写入）"]),
                            id=ids.UPLOAD, className="cs-upload", max_size=10 * 1024 * 1024, accept=".csv,.xlsx"),
                 className="cs-upload-row"),
        html.Div(id=ids.MESSAGE, className="cs-message", role="status"),
    ], id=ids.FORM, className="cs-card cs-form")


def session_options(sessions: list[dict]) -> list[dict]:
    return [{"label": f"{s['number']} {s['title']}", "value": s["number"]} for s in sessions]


def layout(principal: Principal | None = None, **_query) -> html.Div:
    sessions = consultation.list_sessions(principal, size=CHOICES)
    chosen = next((s for s in sessions if s["step_name"] == "辩论发言"), sessions[0] if sessions else None)
    detail = consultation.session_detail(principal, chosen["number"]) if chosen else None
    streets = current_map_data().streets
    figure = sessions_figure(map_base(), consultation.sessions_on_map(principal))
    filters = html.Div([
        dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in
                                             zip(streets["code"], streets["name"])], placeholder="全部街道"),
        dcc.Dropdown(id=ids.TOPIC, options=options_of(TOPICS), placeholder="全部类别"),
        dcc.Dropdown(id=ids.STEP, options=options_of(STEPS), placeholder="全部阶段"),
        html.Button("导出 CSV", id=ids.EXPORT, n_clicks=0, className="cs-button"),
        dcc.Download(id=ids.DOWNLOAD),
    ], className="cs-filters")
    return html.Div([
        html.H1("民主恳谈"),
        html.Div(tiles(consultation.figures(principal)), id=ids.TILES, className="cs-tiles"),
        html.Div([
            html.Section([filters, html.Div(sessions_table(sessions[:consultation.PAGE_SIZE]), id=ids.TABLE,
                                            className="cs-table-wrap")],
                         className="cs-card cs-list"),
            html.Section([html.Div([html.H2("恳谈分布"), html.Span("点击标记查看该场恳谈", className="cs-muted")],
                                   className="cs-map-head"), legend(),
                          dcc.Graph(id=ids.MAP, figure=figure, className="cs-map",
                                    config={"displayModeBar": False, "scrollZoom": True})],
                         className="cs-card cs-map-card"),
        ], className="cs-main"),
        html.Section([
            dcc.Dropdown(id=ids.SESSION, options=session_options(sessions),
                         value=chosen["number"] if chosen else None, clearable=False, placeholder="选择民主恳谈",
                         className="cs-session-pick"),
            html.Div([html.Div(session_detail(detail), id=ids.DETAIL, className="cs-detail"), actions(detail)],
                     className="cs-detail-grid"),
        ], className="cs-card cs-session-card"),
        _form(principal),
        dcc.Store(id=ids.REFRESH, data=0),
        dcc.Store(id=ids.CREATED, data=0),
    ], className="consultation-page")
