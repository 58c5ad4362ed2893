"""/resources' ids and the parts its callbacks redraw (the figures, the lists, the coverage-gap map) and the counts
by street the leader view shows too: no page registration here, so tests, callbacks and /analytics can import them."""
from __future__ import annotations

from dash import html

from layers.resources import gap_traces, legend, station_traces
from services import resources
from workorders.resources import GAP_NEITHER, GAP_NO_PATROL, GAP_NO_VOLUNTEERS, KINDS, ORGANISATION, POST_GROUP, \
    POSTS, VOLUNTEERS


class ids:
    TILES = "resources-tiles"
    KIND = "resources-kind"
    STREET = "resources-street"
    TABLE = "resources-table"
    MAP = "resources-map"
    STREETS = "resources-streets"
    ELDERS = "resources-elders"
    FORM = "resources-form"
    FIELD = "resources-field"          # pattern id {"type": FIELD, "name": <Chinese header>}
    CODE = "resources-code"            # the 编号 of a resource to edit (empty: a new one)
    LOAD = "resources-load"
    LOAD_MESSAGE = "resources-load-message"
    SAVE = "resources-save"
    UPLOAD = "resources-upload"
    MESSAGE = "resources-message"
    EXPORT = "resources-export"
    DOWNLOAD = "resources-download"
    REFRESH = "resources-refresh"


SHORT = {"治安巡逻岗": "巡逻", "4050社区保安": "4050保安", "环卫岗": "环卫", "交通协管岗": "交通协管",
         "保洁绿化保安岗": "保洁绿化保安"}


def tiles(summary: resources.Summary) -> list[html.Div]:
    groups, kinds = summary.by_group, summary.by_kind
    posts = " · ".join(f"{SHORT[k]} {kinds[k]['count']:,}" for k in POSTS)
    lacks = summary.gap_kinds
    return [_tile("社会组织", f"{groups[ORGANISATION]['count']:,}", f"成员 {groups[ORGANISATION]['members']:,} 人"),
            _tile("志愿服务队", f"{groups[VOLUNTEERS]['count']:,}", f"志愿者 {groups[VOLUNTEERS]['members']:,} 人"),
            _tile("公益性岗位", f"{groups[POST_GROUP]['count']:,}", posts, wide=True),
            _tile("一键通老人", f"{summary.elders:,}", "居家网格与紧急联系人"),
            _tile("覆盖缺口网格", f"{summary.gaps:,}", f"无巡逻 {lacks.get(GAP_NO_PATROL, 0)} · 无志愿服务队 "
                  f"{lacks.get(GAP_NO_VOLUNTEERS, 0)} · 两者皆无 {lacks.get(GAP_NEITHER, 0)}",
                  tone="res-warn" if summary.gaps else "")]


def _tile(label: str, value: str, sub: str, wide: bool = False, tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="res-tile-label"), html.Div(value, className=f"res-tile-value {tone}"),
                     html.Div(sub, className="res-tile-sub")], className="res-tile res-tile-wide" if wide else
                    "res-tile")


def _grids(codes: list[str]) -> str:
    return "、".join(codes[:2]) + (f" 等 {len(codes)} 个" if len(codes) > 2 else "")


def resources_table(rows: list[dict]) -> html.Table | html.Div:
    if not rows:
        return html.Div("没有符合条件的社会力量", className="res-empty")
    head = ["编号", "类型", "名称", "街道 · 社区", "覆盖网格", "人数", "负责人", "联系电话"]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(r["code"], className="res-number"), html.Td(r["kind"], className="res-nw"), html.Td(r["name"]),
            html.Td(f"{r['street'] or ''} · {r['community'] or ''}"), html.Td(_grids(r["grid_codes"]),
                                                                                className="res-grids"),
            html.Td(f"{r['members']:,}", className="res-num"), html.Td(r["leader"] or "", className="res-nw"),
            html.Td(r["phone"] or "", className="res-number")]) for r in rows])], className="res-table")


def streets_table(rows: list[dict]) -> html.Table:
    """Counts by street (the leader view shows the same table)."""
    head = ["街道", "社会组织", "志愿服务队", "志愿者", *[SHORT[k] for k in POSTS], "一键通老人", "网格",
            "覆盖缺口"]
    keys = [ORGANISATION, VOLUNTEERS, "volunteer_members", *POSTS, "elders", "grids", "gap_grids"]
    total = {k: sum(r[k] for r in rows) for k in keys}
    body = [html.Tr([html.Td(r["name"], className="res-nw"),
                     *[html.Td(f"{r[k]:,}", className="res-num res-gap" if k == "gap_grids" and r[k] else "res-num")
                       for k in keys]]) for r in rows]
    body.append(html.Tr([html.Td("合计", className="res-nw"), *[html.Td(f"{total[k]:,}", className="res-num")
                                                               for k in keys]], className="res-total"))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                      className="res-table res-streets")


def elders_table(total: int, rows: list[dict]) -> html.Div:
    if not rows:
        return html.Div("没有登记的一键通老人", className="res-empty")
    head = ["设备编号", "姓名", "电话", "住址", "紧急联系人", "联系人电话", "街道 · 社区", "网格"]
    return html.Div([
        html.Div(f"共 {total:,} 人" + (f"（显示前 {len(rows)} 人）" if total > len(rows) else ""),
                 className="res-count"),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody([html.Tr([
            html.Td(r["device_id"], className="res-number"), html.Td(r["elder_name"], className="res-nw"),
            html.Td(r["phone"] or "", className="res-number"), html.Td(r["address"] or ""),
            html.Td(r["contact_name"] or "", className="res-nw"), html.Td(r["contact_phone"] or "",
                                                                           className="res-number"),
            html.Td(f"{r['street']} · {r['community']}"), html.Td(r["grid"] or r["grid_code"], className="res-nw")])
            for r in rows])], className="res-table")])


def gap_figure(base: dict, gaps: list[dict], stations: list[dict] | None = None) -> dict:
    """The shared base map with the coverage-gap cells on top, the police stations' areas outlined, and a legend
    naming what each cell lacks."""
    layout_ = {**base["layout"], "map": {**base["layout"]["map"], "zoom": base["layout"]["map"]["zoom"] - 0.7},
               "showlegend": True, "legend": legend()}
    data = [{**t, "showlegend": False} for t in base["data"]]
    return {**base, "layout": layout_, "data": [*data, *station_traces(stations or []), *gap_traces(gaps)]}


def options_of(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]


KIND_FILTER = [*options_of((ORGANISATION, VOLUNTEERS, POST_GROUP)),
               *[{"label": f"　{k}", "value": k} for k in POSTS]]
FORM_KINDS = options_of(KINDS)
