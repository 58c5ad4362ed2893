"""`/wall` — the wall screen of the command center: the live map, today's figures, deadlines, new tickets.
Built for 1920×1080 read from five metres: few items, large type, no personal data."""
from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from layers.style import STYLE_PATH
from screens import ids
from services.reference_map import base_map_figure, current_map_data
from settings import get_settings

dash.register_page(__name__, path="/wall", title="铁东区社会治理综合指挥中心 · 大屏", name="大屏")

REFRESH_MS = 10_000


def layout(**_query) -> html.Div:
    data = current_map_data()
    # No camera layer on the wall: from five metres 11,000 camera dots are noise, and leaving them out halves the
    # points the wall PC must draw before its first paint (the dispatch map at / keeps every camera).
    figure = base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=20, cameras=False)
    district = data.district["name"].iloc[0] if len(data.district) else ""
    return html.Div([
        html.Header([
            html.H1(f"{district}社会治理综合指挥中心"),
            html.Span("96715 有事请找我", className="wall-slogan"),
            html.Span(id="wall-clock", className="wall-clock", **{"data-tz": get_settings().timezone}),
        ], className="wall-header"),
        html.Main([
            dcc.Graph(id=ids.WALL_MAP, figure=figure, className="wall-map",
                      config={"displayModeBar": False, "scrollZoom": True, "displaylogo": False}),
            html.Aside([
                html.Div(id=ids.WALL_TILES, className="wall-tiles"),
                html.H2("即将超时 / 已超时", className="wall-h"),
                html.Ul(id=ids.WALL_WATCH, className="wall-watch"),
            ], className="wall-side"),
        ], className="wall-main"),
        html.Footer([html.Span("最新诉求", className="ticker-label"), html.Ul(id=ids.WALL_TICKER, className="ticker")],
                    className="wall-footer"),
        dcc.Interval(id=ids.WALL_TICK, interval=REFRESH_MS),
    ], className="wall-page")
