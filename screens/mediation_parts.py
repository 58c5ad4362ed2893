"""/mediation's ids and the parts its callbacks redraw (the figures, the list): no page registration here, so tests
and callbacks can import them."""
from __future__ import annotations

from dash import html

from services import mediation


class ids:
    TILES = "mediation-tiles"
    STREET = "mediation-street"
    KIND = "mediation-kind"
    OUTCOME = "mediation-outcome"
    TABLE = "mediation-table"
    MAP = "mediation-map"
    FORM = "mediation-form"
    FIELD = "mediation-field"          # pattern id {"type": FIELD, "name": <Chinese header>}
    SCREEN_FIELD = "mediation-screen-field"   # the same for a screening round's fields
    ORG = "mediation-org"              # the case's organisation (its own id: its mediators follow it)
    MEDIATOR = "mediation-mediator"
    SCREEN = "mediation-screen"
    ADD = "mediation-add"
    TICKET = "mediation-ticket"
    FROM_TICKET = "mediation-from-ticket"
    CLOSE_NUMBER = "mediation-close-number"
    CLOSE_OUTCOME = "mediation-close-outcome"
    CLOSE_AGREEMENT = "mediation-close-agreement"
    CLOSE = "mediation-close"
    MESSAGE = "mediation-message"
    EXPORT = "mediation-export"
    DOWNLOAD = "mediation-download"
    REFRESH = "mediation-refresh"
    UPLOAD_CASES = "mediation-upload-cases"
    UPLOAD_SCREENINGS = "mediation-upload-screenings"
    SCREENINGS = "mediation-screenings"
    EXPORT_SCREENINGS = "mediation-export-screenings"


def tiles(summary: mediation.Summary, organisations: list[dict], screening: mediation.Screening) -> list[html.Div]:
    rate = f"{summary.rate:.1%}" if summary.rate is not None else "—"
    return [_tile("受理案件", f"{summary.cases:,}", f"已结 {summary.closed:,} · 办理中 {summary.open:,}"),
            _tile("调解成功率", rate, f"成功 {summary.success:,} / 已结 {summary.closed:,}"),
            _tile("排查化解纠纷", f"{screening.disputes_resolved:,}",
                  f"排除隐患 {screening.hazards_removed:,} 处 · 排查 {screening.rounds:,} 次"),
            _tile("调解组织", f"{len(organisations)}", f"街道社区 {sum(o['level'] == 'street' for o in organisations)}"
                  f" · 行业专业 {sum(o['level'] == 'sector' for o in organisations)}"),
            _tile("调解员", f"{sum(o['mediators'] for o in organisations):,}", "人")]


def _tile(label: str, value: str, sub: str) -> html.Div:
    return html.Div([html.Div(label, className="md-tile-label"), html.Div(value, className="md-tile-value"),
                     html.Div(sub, className="md-tile-sub")], className="md-tile")


def cases_table(rows: list[dict]) -> html.Table | html.Div:
    if not rows:
        return html.Div("没有符合条件的案件", className="md-empty")
    head = ["编号", "类型", "概要", "当事人", "街道 · 网格", "调解组织", "调解员", "结果", "受理"]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(r["number"], className="md-number"), html.Td(r["kind"]), html.Td(r["summary"]),
            html.Td(r["parties"]), html.Td(f"{r['street'] or ''} · {r['grid'] or ''}"), html.Td(r["org"]),
            html.Td(r["mediator"] or "—"),
            html.Td(r["outcome"] or "办理中", className="md-open" if not r["outcome"] else
                    "md-success" if r["outcome"] == "调解成功" else "md-other"),
            html.Td(f"{r['opened_at']:%Y-%m-%d}", className="md-number")]) for r in rows])], className="md-table")


def screenings_table(rows: list[dict]) -> html.Table | html.Div:
    """The newest screening rounds of the reader's area."""
    if not rows:
        return html.Div("没有排查记录", className="md-empty")
    head = ["排查日期", "社区", "发现纠纷", "化解纠纷", "发现隐患", "排除隐患", "备注"]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(f"{r['screened_on']:%Y-%m-%d}", className="md-number"), html.Td(r["community"]),
            *[html.Td(r[k], className="md-number") for k in ("disputes_found", "disputes_resolved", "hazards_found",
                                                              "hazards_removed")],
            html.Td(r["note"] or "")]) for r in rows])], className="md-table")


def options_of(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]
