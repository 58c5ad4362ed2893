"""/petitions' ids and the parts its callbacks redraw (figures, list), and the tables /supervision and /analytics
show too: no page registration here, so tests, callbacks and the other pages can import them."""
from __future__ import annotations

from dash import dcc, html

from layers.petitions import open_petition_traces
from layers.resources import legend, station_traces
from services import petitions
from workorders.petitions import LEVELS


class ids:
    TILES = "petitions-tiles"
    STREET = "petitions-street"
    KIND = "petitions-kind"
    LEVEL = "petitions-level"
    OUTCOME = "petitions-outcome"
    TABLE = "petitions-table"
    FORM = "petitions-form"
    FIELD = "petitions-field"          # pattern id {"type": FIELD, "name": <Chinese header>}
    ADD = "petitions-add"
    UPLOAD = "petitions-upload"
    CLOSE_NUMBER = "petitions-close-number"
    CLOSE_OUTCOME = "petitions-close-outcome"
    CLOSE = "petitions-close"
    MESSAGE = "petitions-message"
    EXPORT = "petitions-export"
    DOWNLOAD = "petitions-download"
    REFRESH = "petitions-refresh"
    MAP = "petitions-map"


OPEN = "办理中"
SKIPPED = "越级上访"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def tiles(summary: petitions.Summary) -> list[html.Div]:
    levels = " · ".join(f"{level} {summary.by_level.get(level, 0):,}" for level in LEVELS)
    return [_tile("受理信访案件", f"{summary.cases:,}", f"已办结 {summary.closed:,} · 办理中 {summary.open:,}"),
            _tile("化解率", percent(summary.rate), f"化解或息访 {summary.resolved:,} / 已办结 {summary.closed:,}"),
            _tile("越级上访", f"{summary.skipped:,}", levels, "pt-warn" if summary.skipped else ""),
            _tile("律师参与", f"{summary.lawyer:,}", f"涉法涉诉与征地拆迁 {summary.lawyer_kinds:,} 件"),
            _tile("关联工单", f"{summary.with_tickets:,}", "由工单发展而来的案件")]


def _tile(label: str, value: str, sub: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="pt-tile-label"), html.Div(value, className=f"pt-tile-value {tone}"),
                     html.Div(sub, className="pt-tile-sub")], className="pt-tile")


def _links(numbers: list[str], href: str | None) -> list:
    if not numbers:
        return ["—"]
    parts: list = []
    for n in numbers:
        parts += [dcc.Link(n, href=href.format(n), className="pt-link") if href else html.Span(n, className="pt-mono"),
                  " "]
    return parts


def _origin(row: dict, link: bool) -> list:
    """What a petition grew from: its work orders (links, for a reader who may open them), then its mediation cases."""
    parts = _links(row["ticket_numbers"], "/tickets/{}" if link else None) if row["ticket_numbers"] else []
    parts += _links(row["dispute_numbers"], None) if row["dispute_numbers"] else []
    return parts or ["—"]


def petitions_table(rows: list[dict], compact: bool = False, link: bool = False) -> html.Table | html.Div:
    """The list (``compact``: the columns /supervision shows; ``link``: work orders link to their page, for a reader
    who may open it)."""
    if not rows:
        return html.Div("没有符合条件的信访案件", className="pt-empty")
    if compact:
        head = ["编号", "信访人", "类别", "问题", "层级", "街道", "由来工单 · 纠纷", "结果"]
    else:
        head = ["编号", "信访人", "电话", "类别", "反映问题", "层级", "街道 · 网格", "由来工单", "关联纠纷", "代理律师",
                "结果", "登记"]

    def row(r: dict) -> html.Tr:
        level = html.Span([r["level"], html.Span(SKIPPED, className="pt-badge")] if r["skipped_level"]
                          else r["level"], className="pt-nw")
        outcome = html.Td(r["outcome"] or OPEN, className="pt-open pt-nw" if not r["outcome"] else "pt-nw")
        tickets = html.Td(_links(r["ticket_numbers"], "/tickets/{}" if link else None))
        if compact:
            origin = html.Td(_origin(r, link))
            return html.Tr([html.Td(r["number"], className="pt-mono"), html.Td(r["petitioner"], className="pt-nw"),
                            html.Td(r["kind"], className="pt-nw"), html.Td(r["issue"]), html.Td(level),
                            html.Td(r["street"] or "", className="pt-nw"), origin, outcome])
        return html.Tr([html.Td(r["number"], className="pt-mono"), html.Td(r["petitioner"], className="pt-nw"),
                        html.Td(r["phone"] or "", className="pt-mono"), html.Td(r["kind"], className="pt-nw"),
                        html.Td(r["issue"]), html.Td(level),
                        html.Td(f"{r['street'] or ''} · {r['grid'] or ''}"), tickets,
                        html.Td(_links(r["dispute_numbers"], None)), html.Td(r["lawyer"] or "—"), outcome,
                        html.Td(f"{r['received_at']:%Y-%m-%d}", className="pt-nw")])
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody([row(r) for r in rows])],
                      className="pt-table")


def streets_table(rows: list[dict]) -> html.Table:
    """Petitions by street (the leader view shows the same table)."""
    head = ["街道", "信访案件", "办理中", "已办结", "化解或息访", "越级上访", "律师参与"]
    keys = ["cases", "open", "closed", "resolved", "skipped", "lawyer"]
    total = {k: sum(r[k] for r in rows) for k in keys}
    body = [html.Tr([html.Td(r["name"], className="pt-nw"), *[html.Td(f"{r[k]:,}", className="pt-num") for k in keys]])
            for r in rows]
    body.append(html.Tr([html.Td("合计"), *[html.Td(f"{total[k]:,}", className="pt-num") for k in keys]],
                        className="pt-total"))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                      className="pt-table pt-streets")


def stations_table(rows: list[dict]) -> html.Table:
    head = ["派出所", "辖区街道", "网格", "民警警组（在岗）", "社区辅警", "其他警力", "电话"]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody([html.Tr([
        html.Td(r["name"], className="pt-nw"), html.Td("、".join(r["streets"])), html.Td(r["grids"], className="pt-num"),
        html.Td(f"{r['units']}（{r['units_available']}）", className="pt-num"),
        html.Td(r["auxiliary"], className="pt-num"), html.Td(r["other_police"], className="pt-num"),
        html.Td(r["phone"] or "", className="pt-mono")]) for r in rows])], className="pt-table pt-stations")


def options_of(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]


def petitions_figure(base: dict, rows: list[dict], stations: list[dict]) -> dict:
    """The shared base map with the police stations' areas outlined and the open petitions (越级上访 in red) on
    top, a legend naming each with its count. The card is about half as wide as the full-screen map: one zoom step
    out."""
    layout_ = {**base["layout"], "map": {**base["layout"]["map"], "zoom": base["layout"]["map"]["zoom"] - 0.7},
               "showlegend": True, "legend": legend()}
    data = [{**t, "showlegend": False} for t in base["data"]]
    return {**base, "layout": layout_, "data": [*data, *station_traces(stations), *open_petition_traces(rows)]}
