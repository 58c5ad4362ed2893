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
# The map's share of a 1920×1080 wall (assets/wall.css: 450 px left, 640 px right, header and ticker): the whole
# district fits in it at load.
MAP_VIEW_PX = (830, 930)


def layout(**_query) -> html.Div:
    data = current_map_data()
    # No camera layer on the wall: from five metres 11,000 camera dots are noise, and leaving them out halves the
    # points the wall PC must draw before its first paint (the dispatch map at / keeps every camera).
    figure = base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, labels_size=24, cameras=False,
                             view_px=MAP_VIEW_PX)
    district = data.district["name"].iloc[0] if len(data.district) else ""
    return html.Div([
        html.Header([
            html.H1(f"{district}社会治理综合指挥中心"),
            html.Span("96715 有事请找我", className="wall-slogan"),
            html.Span(id="wall-clock", className="wall-clock", **{"data-tz": get_settings().timezone}),
        ], className="wall-header"),
        html.Main([
            html.Aside([
                _panel("今日诉求分类", html.Ul(id=ids.WALL_CATEGORIES, className="wall-bars")),
                _panel("街道排名（今日受理 · 超时）", html.Ol(id=ids.WALL_STREETS, className="wall-streets")),
                _panel("在岗力量（出动 / 在岗）", html.Ul(id=ids.WALL_CREWS, className="wall-crews")),
            ], className="wall-side wall-left"),
            dcc.Graph(id=ids.WALL_MAP, figure=figure, className="wall-map",
                      config={"displayModeBar": False, "scrollZoom": True, "displaylogo": False}),
            html.Aside([
                html.Div(id=ids.WALL_TILES, className="wall-tiles"),
                html.Div(id=ids.WALL_HOURS, className="wall-panel wall-hours"),
                html.Div(id=ids.WALL_OVERDUE, className="wall-panel wall-list overdue"),
                html.Div(id=ids.WALL_AT_RISK, className="wall-panel wall-list at-risk"),
            ], className="wall-side wall-right"),
        ], className="wall-main"),
        html.Footer([html.Span("值守提示", className="ticker-label"), html.Ul(id=ids.WALL_TICKER, className="ticker")],
                    className="wall-footer"),
        dcc.Interval(id=ids.WALL_TICK, interval=REFRESH_MS),
    ], className="wall-page")


def _panel(title: str, body) -> html.Section:
    return html.Section([html.H2(title, className="wall-h"), body], className="wall-panel")
