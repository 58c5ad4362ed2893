"""/risk's ids and the parts its callbacks redraw (figures, list, the chosen project's map and details): no page
registration here, so tests and callbacks can import them."""
from __future__ import annotations

from dash import html

from layers.risk_area import area_centre, area_traces
from services import risk_assessment


class ids:
    TILES = "risk-tiles"
    STREET = "risk-street"
    LEVEL = "risk-level"
    DECISION = "risk-decision"
    TABLE = "risk-table"
    PROJECT = "risk-project"
    MAP = "risk-map"
    DETAIL = "risk-detail"
    FORM = "risk-form"
    FIELD = "risk-field"              # pattern id {"type": FIELD, "name": <Chinese header>}
    ADD = "risk-add"
    UPLOAD = "risk-upload"
    MESSAGE = "risk-message"
    EXPORT = "risk-export"
    DOWNLOAD = "risk-download"
    REFRESH = "risk-refresh"
    OUTCOME = "risk-outcome"          # 实施结果 of the chosen project (the map card's dropdown)
    OUTCOME_SAVE = "risk-outcome-save"


LEVEL_CLASS = {"高": "rk-high", "中": "rk-mid", "低": "rk-low"}


def tiles(summary: risk_assessment.Summary) -> list[html.Div]:
    return [_tile("评估项目", f"{summary.projects}", f"本年度 {summary.this_year} 项"),
            _tile("高风险", f"{summary.by_level['高']}", "暂缓或不予实施", "rk-high"),
            _tile("中风险", f"{summary.by_level['中']}", "调整后实施为主", "rk-mid"),
            _tile("低风险", f"{summary.by_level['低']}", "准予实施", "rk-low"),
            _tile("风险因素", f"{summary.factors}", "逐项分析并落实化解措施")]


def _tile(label: str, value: str, sub: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="rk-tile-label"), html.Div(value, className=f"rk-tile-value {tone}"),
                     html.Div(sub, className="rk-tile-sub")], className="rk-tile")


def projects_table(rows: list[dict]) -> html.Table | html.Div:
    if not rows:
        return html.Div("没有符合条件的项目", className="rk-empty")
    head = ["编号", "项目名称", "类型", "街道", "评估方法", "风险", "结论", "评估日期"]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(r["number"], className="rk-number"), html.Td(r["name"]), html.Td(r["kind"], className="rk-nw"),
            html.Td(r["street"] or "", className="rk-nw"), html.Td("、".join(r["methods"]), className="rk-methods"),
            html.Td(r["level"], className=f"rk-nw {LEVEL_CLASS[r['level']]}"), html.Td(r["decision"], className="rk-nw"),
            html.Td(f"{r['assessed_on']:%Y-%m-%d}", className="rk-nw")]) for r in rows])], className="rk-table")


def project_figure(base: dict, project: dict | None) -> dict:
    """The shared base map with the project's area and grids on top, centred on the area."""
    if project is None:
        return base
    map_layout = {**base["layout"]["map"], "center": area_centre(project["area"]), "zoom": 14.8}
    return {**base, "layout": {**base["layout"], "map": map_layout},
            "data": [*base["data"], *area_traces(project["area"], project["grids"])]}


def project_detail(project: dict | None) -> html.Div:
    if project is None:
        return html.Div("选择一个项目查看其范围、风险因素和区域内的工单与纠纷", className="rk-empty")
    tickets = sum(g["open_tickets"] for g in project["grids"])
    disputes = sum(g["open_disputes"] for g in project["grids"])
    return html.Div([
        html.H3(f"{project['number']} {project['name']}"),
        html.Div([html.Span(f"风险等级 {project['level']}", className=f"rk-badge {LEVEL_CLASS[project['level']]}"),
                  html.Span(f"评估结论 {project['decision']}", className="rk-badge"),
                  html.Span(f"评估方法 {'、'.join(project['methods'])}", className="rk-badge")], className="rk-badges"),
        html.Div(f"区域内网格 {len(project['grids'])} 个 · 办理中工单 {tickets} 件 · 办理中纠纷 {disputes} 件",
                 className="rk-area-counts"),
        html.Table([html.Thead(html.Tr([html.Th("风险因素"), html.Th("风险分析"), html.Th("化解措施")])),
                    html.Tbody([html.Tr([html.Td(f"{f['position']}. {f['factor']}"), html.Td(f["analysis"] or ""),
                                         html.Td(f["measures"] or "")]) for f in project["factor_rows"]])],
                   className="rk-table rk-factors"),
        html.Div(f"实施结果：{project['outcome'] or '尚未实施'}", className="rk-result"),
        html.Table([html.Thead(html.Tr([html.Th("区域内网格"), html.Th("办理中工单"), html.Th("办理中纠纷")])),
                    html.Tbody([html.Tr([html.Td(f"{g['name']}（{g['code']}）"), html.Td(g["open_tickets"]),
                                         html.Td(g["open_disputes"])]) for g in project["grids"]])],
                   className="rk-table rk-grids"),
    ])


def options_of(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]
