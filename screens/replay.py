"""`/?replay=YYYY-MM-DD`: the command map in replay mode — a past day played at 1–600× or dragged minute by minute:
tickets appear, change state and close; crews move along their stored tracks; beside the map, the queue a
dispatcher saw at that minute. Built from the stored events and tracks (services/replay.py); callbacks/replay.py
moves it."""
from __future__ import annotations

from datetime import date, timedelta

from dash import dcc, html
from flask import request

from layers.replay import replay_figure
from layers.style import STYLE_PATH
from layers.tickets import TICKET_GROUPS
from services.reference_map import base_map_figure

GRAPH_CONFIG = {"displayModeBar": False, "scrollZoom": True}
SPEEDS = {1: "1×", 10: "10×", 60: "60×", 300: "300×", 600: "600×"}
TICK_MS = 1000


class ids:
    MAP = "replay-map"
    DAY = "replay-day"
    MINUTE = "replay-minute"
    PLAY = "replay-play"
    SPEED = "replay-speed"
    TICK = "replay-tick"
    CLOCK = "replay-clock"
    QUEUE = "replay-queue"
    ERROR = "replay-error"
    LAYER_INDEX = "replay-layer-index"


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute_of(at: str | None, default: int = 8 * 60) -> int:
    """"HH:MM" → minutes after midnight; anything else → ``default``."""
    try:
        hours, minutes = (int(part) for part in str(at).split(":"))
    except (TypeError, ValueError):
        return default
    return hours * 60 + minutes if 0 <= hours < 24 and 0 <= minutes < 60 else default


def layout(replay: str | None = None, at: str | None = None, speed: str | None = None, **_query) -> html.Div:
    try:
        day = date.fromisoformat(str(replay)[:10])
    except ValueError:
        day = date.today() - timedelta(days=1)
    minute = minute_of(at)
    speed = int(speed) if str(speed).isdigit() and int(speed) in SPEEDS else 60
    base = base_map_figure(request.host_url.rstrip("/") + STYLE_PATH, cameras=False)
    figure = replay_figure(base, {"tickets": [], "crews": []})     # the two moving layers, empty until a minute
    return html.Div([
        dcc.Graph(id=ids.MAP, figure=figure, config=GRAPH_CONFIG, className="map-full"),
        html.Div([
            html.H1("指挥地图 · 回放"),
            html.Div([
                dcc.DatePickerSingle(id=ids.DAY, date=day.isoformat(), display_format="YYYY-MM-DD",
                                     max_date_allowed=date.today().isoformat(), first_day_of_week=1,
                                     month_format="YYYY年M月", className="replay-day"),
                html.Button("▶ 播放", id=ids.PLAY, n_clicks=0, className="replay-play"),
                dcc.Dropdown(id=ids.SPEED, options=[{"label": v, "value": k} for k, v in SPEEDS.items()], value=speed,
                             clearable=False, searchable=False, className="replay-speed"),
                html.Div(clock(minute), id=ids.CLOCK, className="replay-clock"),
                html.A("返回实时", href="/", className="replay-back"),
            ], className="replay-controls"),
            dcc.Slider(id=ids.MINUTE, min=0, max=24 * 60 - 1, step=1, value=minute, updatemode="mouseup",
                       marks={h * 60: f"{h}时" for h in range(0, 24, 3)}, included=False, allow_direct_input=False,
                       className="replay-slider"),
            html.Div(id=ids.ERROR, className="replay-error"),
            html.Div([html.Span([html.I(style={"background": colour}), label], className="legend-item")
                      for colour, label in TICKET_GROUPS], className="legend"),
        ], className="map-header replay-header"),
        html.Aside(id=ids.QUEUE, className="replay-queue"),
        dcc.Interval(id=ids.TICK, interval=TICK_MS, disabled=True),
        dcc.Store(id=ids.LAYER_INDEX, data=len(base["data"])),
    ], className="command-map-page replay-page")
