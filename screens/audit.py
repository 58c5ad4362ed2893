"""`/audit` — 审计日志, for administrators and supervisors: who did what, when, from where, with which outcome;
filters and a CSV download of what the filters select."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash
from dash import dcc, html

from services import audit
from settings import get_settings

dash.register_page(__name__, path="/audit", title="铁东区 96715 · 审计日志", name="审计日志")

PAGE_ROWS = 200


class ids:
    SINCE = "audit-since"
    UNTIL = "audit-until"
    ACTOR = "audit-actor"
    ACTION = "audit-action"
    OUTCOME = "audit-outcome"
    TARGET = "audit-target"
    SEARCH = "audit-search"
    EXPORT = "audit-export"
    ERROR = "audit-error"
    RESULTS = "audit-results"


def export_href(values: dict) -> str:
    query = urlencode({k: v for k, v in values.items() if v})
    return "/audit/export.csv" + (f"?{query}" if query else "")


def results_table(rows: list[dict]) -> html.Div:
    if not rows:
        return html.Div("没有符合条件的记录", className="muted")
    zone = ZoneInfo(get_settings().timezone)
    head = html.Thead(html.Tr([html.Th(t) for t in ("时间", "操作人", "操作", "对象", "结果", "来源地址", "客户端")]))
    body = html.Tbody([html.Tr([
        html.Td(r["at"].astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), className="mono"),
        html.Td(r["actor"]), html.Td(audit.ACTIONS.get(r["action"], r["action"]), title=r["action"]),
        html.Td(r["target"] or "—"),
        html.Td(audit.OUTCOMES.get(r["outcome"], r["outcome"]), className=f"audit-outcome-{r['outcome']}"),
        html.Td(r["address"] or "—", className="mono"), html.Td((r["user_agent"] or "—")[:60], title=r["user_agent"]),
    ]) for r in rows])
    note = html.Div(f"显示最新 {len(rows)} 条" + ("（更多请缩小范围或导出）" if len(rows) >= PAGE_ROWS else ""),
                    className="muted")
    return html.Div([note, html.Table([head, body], className="audit-table")])


def _choice(component_id: str, options: dict[str, str], placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=component_id, options=[{"label": v, "value": k} for k, v in options.items()],
                        placeholder=placeholder, clearable=True, className="audit-choice")


def layout(**_query) -> html.Div:
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    since = today - timedelta(days=7)
    actions = {a: audit.ACTIONS.get(a, a) for a in audit.known_actions()}
    rows = audit.search(audit.Filters(since=since), limit=PAGE_ROWS)
    return html.Div([
        html.Main([
            html.Section([
                html.H1("审计日志", className="page-title"),
                html.Div([
                    html.Label(["开始日期", dcc.Input(id=ids.SINCE, type="date", value=since.isoformat(),
                                                     className="intake-input")]),
                    html.Label(["结束日期", dcc.Input(id=ids.UNTIL, type="date", className="intake-input")]),
                    html.Label(["操作人", dcc.Input(id=ids.ACTOR, type="text", maxLength=64, className="intake-input",
                                                   placeholder="用户名")]),
                    html.Label(["操作", _choice(ids.ACTION, actions, "全部操作")]),
                    html.Label(["结果", _choice(ids.OUTCOME, audit.OUTCOMES, "全部结果")]),
                    html.Label(["对象", dcc.Input(id=ids.TARGET, type="text", maxLength=200,
                                                 className="intake-input", placeholder="如 user:demo-operator")]),
                ], className="audit-filters"),
                html.Div([
                    html.Button("查询", id=ids.SEARCH, n_clicks=0, type="button", className="btn-primary"),
                    html.A("导出 CSV", id=ids.EXPORT, href=export_href({"since": since.isoformat()}),
                           className="btn-secondary audit-export"),
                ], className="form-actions"),
                html.Div(id=ids.ERROR, className="field-error", role="alert"),
            ], className="card"),
            html.Section(results_table(rows), id=ids.RESULTS, className="card audit-results"),
        ], className="audit-main"),
    ], className="intake-page audit-page")
