"""Replay callbacks: ▶ and the speed move the minute; the minute or the day redraw the two moving layers (a Patch of
their traces, never the static cells again) and the queue a dispatcher saw then."""
from __future__ import annotations

from dash import Input, Output, Patch, State, callback, html, no_update

from layers.replay import crew_trace, ticket_trace
from screens.replay import SPEEDS, TICK_MS, clock, ids
from security.sessions import current_principal
from services import replay
from services.replay import MINUTES_A_DAY, ReplayError


@callback(Output(ids.TICK, "disabled"), Output(ids.PLAY, "children"), Input(ids.PLAY, "n_clicks"),
          State(ids.TICK, "disabled"), prevent_initial_call=True)
def play_or_pause(_clicks, stopped):
    return (False, "⏸ 暂停") if stopped else (True, "▶ 播放")


@callback(Output(ids.MINUTE, "value"), Output(ids.TICK, "disabled", allow_duplicate=True),
          Output(ids.PLAY, "children", allow_duplicate=True), Input(ids.TICK, "n_intervals"),
          State(ids.MINUTE, "value"), State(ids.SPEED, "value"), prevent_initial_call=True)
def advance(_ticks, minute, speed):
    """Each second of the page moves the day on by ``speed`` seconds (a minute at least); the day's end stops."""
    step = max(1, round((speed if speed in SPEEDS else 60) * TICK_MS / 1000 / 60))
    following = (minute or 0) + step
    if following >= MINUTES_A_DAY:
        return MINUTES_A_DAY - 1, True, "▶ 播放"
    return following, no_update, no_update


@callback(Output(ids.MAP, "figure"), Output(ids.QUEUE, "children"), Output(ids.CLOCK, "children"),
          Output(ids.ERROR, "children"), Input(ids.DAY, "date"), Input(ids.MINUTE, "value"),
          State(ids.LAYER_INDEX, "data"))
def show_minute(day, minute, first_layer):
    try:
        moment = replay.moment(current_principal(), day, minute or 0)
    except ReplayError as error:
        return no_update, no_update, no_update, str(error)
    patch = Patch()
    patch["data"][first_layer] = ticket_trace(moment["tickets"])
    patch["data"][first_layer + 1] = crew_trace(moment["crews"])
    return patch, _queue(moment), clock(minute or 0), ""


def _queue(moment: dict) -> list:
    rows = [html.Li([html.Span(t["number"], className="replay-number"),
                     html.Span(f"{t['category_name']} · {t['state_label']}"),
                     html.Span(_left(t["minutes_left"]), className="replay-left" +
                               (" late" if (t["minutes_left"] or 0) < 0 else ""))])
            for t in moment["queue"]]
    return [html.H2(f"待派单 {moment['waiting']} · 在办 {len(moment['tickets'])} · 力量 {len(moment['crews'])}"),
            html.Ol(rows) if rows else html.Div("此刻无待派单工单", className="replay-empty")]


def _left(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"剩 {minutes} 分" if minutes >= 0 else f"超 {-minutes} 分"
