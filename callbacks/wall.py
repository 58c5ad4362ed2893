"""Wall screen: tiles, deadline list and ticker refreshed from PostGIS every few seconds (small, no personal data);
the map's tickets and crews move by themselves through assets/livemap.js."""
from __future__ import annotations

from dash import Input, Output, callback, html

from screens import ids
from screens.panels import countdown
from services import wall
from workorders.clock import local_clock
from workorders.vocabulary import CHANNELS


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _tile(label: str, value, tone: str = "") -> html.Div:
    return html.Div([html.Div(value, className="tile-value"), html.Div(label, className="tile-label")],
                    className=f"tile {tone}")


def arrival_text(minutes: float | None) -> str:
    """Average arrival for the tile; under a minute reads "<1分" (a bare "0分" looks like a broken figure)."""
    if minutes is None:
        return "—"
    return "<1分" if minutes < 0.5 else f"{minutes:.0f}分"


def tiles(k: dict) -> list:
    arrival = arrival_text(k["arrival_minutes"])
    sla = "" if k["arrival_sla_minutes"] is None else f" / 时限{k['arrival_sla_minutes']:.0f}分"
    return [
        _tile("今日受理", f"{k['received']:,}"),
        _tile("今日办结", f"{k['closed']:,}"),
        _tile("办结率", _percent(k["closure_rate"])),
        _tile("按时办结率", _percent(k["on_time_rate"]), "good" if (k["on_time_rate"] or 0) >= 0.9 else "warn"),
        _tile("超时工单", f"{k['overdue']:,}", "bad" if k["overdue"] else "good"),
        _tile("出动力量", f"{k['crews_out']:,}"),
        _tile("平均到场" + sla, arrival, "wide"),
    ]


def watch_rows(rows: list[dict]) -> list:
    return [html.Li([
        html.Span(r["category"], className="w-cat"),
        html.Span(r["street"], className="w-street"),
        countdown(r["due"], "到场" if r["due_kind"] == "arrival" else "办结"),
    ], className="breached" if r["breached"] else "") for r in rows] or [html.Li("暂无临近时限的工单", className="calm")]


def ticker_rows(rows: list[dict]) -> list:
    return [html.Li([
        html.Span(local_clock(r["registered_at"]), className="tk-time"),
        html.Span(f"{r['street']} · {r['community']}", className="tk-place"),
        html.Span(r["category"], className=f"tk-cat p{r['priority']}"),
        html.Span(CHANNELS.get(r["channel"], r["channel"]), className="tk-channel"),
    ], key=r["number"]) for r in rows]


@callback(Output(ids.WALL_TILES, "children"), Output(ids.WALL_WATCH, "children"), Output(ids.WALL_TICKER, "children"),
          Input(ids.WALL_TICK, "n_intervals"))
def refresh_wall(_n):
    return tiles(wall.kpis()), watch_rows(wall.watch_list()), ticker_rows(wall.ticker())
