"""`/` — the command-center map: grid cells, boundaries, cameras and crews, with a panel per clicked cell."""
from __future__ import annotations

from datetime import date, timedelta

import dash
from dash import dcc, html
from flask import request

from layers.crews import STATUS_COLOURS, STATUS_LABELS
from layers.tickets import TICKET_GROUPS
from layers.grids import MEASURES
from layers.style import STYLE_PATH
from screens import ids, replay
from services.reference_map import base_map_figure, current_map_data
from screens.map_queue import queue_panel
from services.dispatch_queue import queue_options

dash.register_page(__name__, path="/", title="铁东区 96715 指挥中心 · 网格地图", name="网格地图")

GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": True, "displayModeBar": False, "locale": "zh-CN"}


def _legend() -> html.Div:
    items = [html.Span([html.I(style={"backgroundColor": colour}), STATUS_LABELS[status]], className="legend-item")
             for status, colour in STATUS_COLOURS.items()]
    tickets = [html.Span([html.I(className="ticket", style={"backgroundColor": colour}), label],
                         className="legend-item") for colour, label in TICKET_GROUPS]
    return html.Div([
        html.Div([html.Span("工单", className="legend-title"), *tickets], className="legend-row"),
        html.Div([html.Span("处置力量", className="legend-title"), *items,
                  html.Span([html.I(className="cam"), "摄像头"], className="legend-item")], className="legend-row"),
    ], className="legend")


def layout(principal=None, **_query) -> html.Div:
    if "replay" in _query:             # /?replay=YYYY-MM-DD: the same map, a past day (screens/replay.py)
        return replay.layout(**_query)
    data = current_map_data()
    figure = base_map_figure(request.host_url.rstrip("/") + STYLE_PATH)
    district = data.district["name"].iloc[0] if len(data.district) else "未加载辖区"
    return html.Div([
        dcc.Graph(id=ids.MAP, figure=figure, config=GRAPH_CONFIG, className="map-full"),
        html.Div([
            html.H1(f"{district} 96715 指挥中心"),
            html.Div(f"网格 {len(data.grids)} · 社区 {len(data.communities)} · 街道 {len(data.streets)} · "
                     f"摄像头 {len(data.cameras):,} · 处置力量 {len(data.crews):,}", id=ids.COUNTS, className="counts"),
            dcc.RadioItems(id=ids.MEASURE, options=[{"label": v, "value": k} for k, v in MEASURES.items()],
                           value="street", inline=True, className="measure"),
            _legend(),
            html.A("回放往日 ›", href=f"/?replay={date.today() - timedelta(days=1):%Y-%m-%d}", className="replay-link"),
        ], className="map-header"),
        html.Aside([
            html.Button("×", id=ids.PANEL_CLOSE, className="panel-close", title="关闭"),
            html.Div(id=ids.PANEL_BODY),
        ], id=ids.PANEL, className="grid-panel hidden"),
        dcc.Store(id=ids.PANEL_STATE),
        dcc.Store(id=ids.LIVE_SELECTED_TICKET),
        queue_panel(*queue_options(principal)),      # issue 11: the dispatcher's queue (screens/map_queue.py)
    ], className="command-map-page")
