"""The dispatcher's queue beside the map on `/` (pure: data in, Dash components out): counts by kind, filters by
category and street, search by number / phone / address, the list by deadline, 转办 of the chosen ticket.
A click on an item flies the map to the ticket and opens its panel (assets/queue.js, clientside)."""
from __future__ import annotations

from dash import dcc, html

from services.dispatch_queue import HELD_LABEL, KINDS

QUEUE_REFRESH_MS = 60_000     # besides every live batch (assets/queue.js): the at-risk window moves with the clock


class ids:
    QUEUE = "queue-panel"
    COUNTS = "queue-counts"
    CATEGORY = "queue-category"
    STREET = "queue-street"
    SEARCH = "queue-search"
    LIST = "queue-list"
    FOUND = "queue-found"
    ITEM = "queue-item"                  # pattern id: {"type": ITEM, "number": n}
    TICK = "queue-tick"                  # set by assets/queue.js on each live batch
    REFRESH = "queue-refresh"
    COORDS = "queue-coords"              # {number: [lon, lat]} of what the list shows, for flying there
    SELECTED = "queue-selected"
    DEPARTMENT = "queue-department"
    TRANSFER = "queue-transfer"
    MESSAGE = "queue-message"


def counts(counts_by_kind: dict[str, int]) -> list:
    return [html.Span([label, html.B(f" {counts_by_kind.get(kind, 0)}")], className="queue-count",
                      **{"data-kind": kind}) for kind, label in KINDS.items()]


def _due(item: dict) -> html.Span:
    if item.get("held"):
        return html.Span("计时暂停", className="queue-due held")
    left = item["minutes_left"]
    if left is None:
        return html.Span("—", className="queue-due")
    text = f"超时 {-left} 分" if left < 0 else (f"剩 {left} 分" if left < 180 else f"剩 {left // 60} 小时")
    return html.Span(text, className="queue-due late" if left < 0 else "queue-due")


def items(rows: list[dict], empty: str = "暂无待处理工单") -> list:
    if not rows:
        return [html.Li(empty, className="queue-empty muted")]
    return [html.Li([
        html.Div([html.Span(item["number"], className="mono"),
                  html.Span([html.Span(item["kind_label"], className=f"queue-kind {item['kind']}"),
                             *([html.Span(HELD_LABEL, className="queue-kind held")]
                               if item.get("held") and item["kind"] != "held" else [])])], className="queue-line"),
        html.Div([html.Span(f"{item['category_name']} · {item['street_name']}"), _due(item)], className="queue-line"),
    ], id={"type": ids.ITEM, "number": item["number"]}, n_clicks=0, className="queue-item",
        **{"data-number": item["number"]}) for item in rows]


def coords(rows: list[dict]) -> dict:
    return {item["number"]: [item["lon"], item["lat"]] for item in rows}


def queue_panel(categories: list[tuple[str, str]], streets: list[tuple[str, str]],
                departments: list[tuple[str, str]] | None) -> html.Aside:
    """``departments`` None: no 转办 (a role without the right sees the queue read-only)."""
    transfer = [html.Div([
        dcc.Dropdown(id=ids.DEPARTMENT, options=[{"label": n, "value": c} for c, n in departments],
                     placeholder="转办到承办单位", clearable=True),
        html.Button("转办", id=ids.TRANSFER, n_clicks=0, type="button", className="btn-secondary"),
    ], className="queue-transfer")] if departments is not None else []
    return html.Aside([
        html.Div([
            html.Div("调度队列", className="queue-title"),
            html.Div(counts({}), id=ids.COUNTS, className="queue-counts"),
            html.Div([
                dcc.Dropdown(id=ids.CATEGORY, options=[{"label": n, "value": c} for c, n in categories],
                             placeholder="全部类别", multi=True),
                dcc.Dropdown(id=ids.STREET, options=[{"label": n, "value": c} for c, n in streets],
                             placeholder="全部街道"),
            ], className="queue-filters"),
            dcc.Input(id=ids.SEARCH, type="search", debounce=True, maxLength=50, className="queue-search",
                      placeholder="工单号、来电号码或地址"),
        ], className="queue-head"),
        html.Ul(id=ids.FOUND, className="queue-list queue-found"),
        html.Ul(items([]), id=ids.LIST, className="queue-list"),
        *transfer,
        html.Div(id=ids.MESSAGE, className="queue-message", role="status"),
        dcc.Store(id=ids.TICK), dcc.Store(id=ids.COORDS, data={}), dcc.Store(id=ids.SELECTED),
        dcc.Interval(id=ids.REFRESH, interval=QUEUE_REFRESH_MS),
    ], id=ids.QUEUE, className="queue")
