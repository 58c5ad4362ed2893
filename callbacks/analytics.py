"""Leader view callbacks: filters → services.analytics → builders. The map only ever receives new ``z`` values
(a Patch), never its 932 cells again; the replay reads a day's per-hour counts from a Store."""
from __future__ import annotations

from datetime import date, datetime

from dash import ALL, Input, Output, Patch, State, callback, ctx, html, no_update

from layers.charts import hours_figure, trend_figure
from layers.heatmap import map_update, mode_update
from screens.analytics_parts import SOURCES, department_table, forecast_note, hotspot_table, ids, kpi_tiles
from security.sessions import current_principal
from services import analytics, predictions
from services.analytics import AnalyticsError
from services.reference_map import current_map_data
from workorders.clock import to_local

FILTERS = (Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"), Input(ids.CATEGORY, "value"),
           Input(ids.CHANNEL, "value"), Input(ids.STREET, "value"))


@callback(Output(ids.DATES, "start_date"), Output(ids.DATES, "end_date"),
          Input({"type": ids.QUICK, "range": ALL}, "n_clicks"), prevent_initial_call=True)
def quick_range(_clicks):
    if not ctx.triggered_id or not any(_clicks):
        return no_update, no_update
    first, _last = analytics.history_extent()
    start, end = analytics.quick_range(ctx.triggered_id["range"], analytics.today(), first)
    return start.isoformat(), end.isoformat()


@callback(Output(ids.KPIS, "children"), Output(ids.HOTSPOTS, "children"), Output(ids.DEPARTMENTS, "children"),
          Output(ids.GRID_COUNTS, "data"), Output(ids.TREND_DATA, "data"), Output(ids.ERROR, "children"),
          Output(ids.REFRESH_STATUS, "children"),
          *FILTERS, Input(ids.AUTO_TICK, "n_intervals"), Input(ids.REFRESH_NOW, "n_clicks"))
def show_overview(start, end, categories, channels, streets, _tick, _refresh):
    try:
        filters = analytics.make_filters(start, end, categories, channels, streets)
    except AnalyticsError as error:
        return (no_update,) * 5 + (error.message, no_update)
    if ctx.triggered_id == ids.REFRESH_NOW:
        analytics.refresh()
    else:
        analytics.ensure_fresh()
    view = analytics.overview(filters)
    counts = {"counts": view.grid_counts, "label": filters.window.label, "received": view.kpis["received"]}
    trend = [{"day": d["day"].isoformat(), **{m: d[m] for m in ("received", "due", "on_time")}}
             for d in view.daily]
    days = (filters.window.end - filters.window.start).days + 1
    return (kpi_tiles(view.kpis, view.previous_kpis, days), hotspot_table(view.hotspots, view.previous.label),
            department_table(view.departments), counts, trend, "", _refreshed(view.refreshed_at))


def _refreshed(moment: datetime | None) -> str:
    if moment is None:
        return "尚未汇总"
    return f"数据更新于 {to_local(moment):%m-%d %H:%M:%S}"


@callback(Output(ids.TREND, "figure"), Input(ids.TREND_DATA, "data"), Input(ids.TREND_GRAIN, "value"))
def show_trend(rows, granularity):
    daily = [{**r, "day": date.fromisoformat(r["day"])} for r in rows or []]
    return trend_figure(analytics.trend_rows(daily, granularity), granularity)


@callback(Output(ids.REPLAY_BAR, "className"), Input(ids.MAP_SOURCE, "value"))
def show_replay_bar(source):
    return "an-replay" if source == "replay" else "an-replay hidden"


@callback(Output(ids.REPLAY_DATA, "data"), Output(ids.ERROR, "children", allow_duplicate=True),
          Input(ids.REPLAY_DAY, "date"), Input(ids.MAP_SOURCE, "value"), *FILTERS[2:], prevent_initial_call=True)
def load_replay(day, source, categories, channels, streets):
    if source != "replay":
        return no_update, no_update
    try:
        filters = analytics.make_filters(None, None, categories, channels, streets)
        return analytics.replay_day(day, filters), ""
    except AnalyticsError as error:
        return None, error.message


@callback(Output(ids.FORECAST_DATA, "data"), Output(ids.FORECAST_NOTE, "children"),
          Output(ids.FORECAST_NOTE, "className"), Input(ids.MAP_SOURCE, "value"), prevent_initial_call=True)
def load_forecast(source):
    if source != "forecast":
        return no_update, no_update, "an-forecast hidden"
    forecast = predictions.tomorrow_hotspots(current_principal())
    return forecast, forecast_note(forecast), "an-forecast"


@callback(Output(ids.REPLAY_HOUR, "value"), Output(ids.REPLAY_TICK, "disabled"), Output(ids.REPLAY_PLAY, "children"),
          Input(ids.REPLAY_PLAY, "n_clicks"), Input(ids.REPLAY_TICK, "n_intervals"), Input(ids.MAP_SOURCE, "value"),
          State(ids.REPLAY_HOUR, "value"), State(ids.REPLAY_TICK, "disabled"), prevent_initial_call=True)
def play(_clicks, _ticks, source, hour, stopped):
    """▶ starts at the next hour (from 0 after the last one), each tick moves one hour, the last hour stops."""
    if ctx.triggered_id == ids.MAP_SOURCE or (ctx.triggered_id == ids.REPLAY_PLAY and not stopped):
        return no_update, True, "▶ 播放"
    if ctx.triggered_id == ids.REPLAY_PLAY:
        return (0 if hour >= 23 else hour), False, "⏸ 暂停"
    if hour >= 23:
        return no_update, True, "▶ 播放"
    return hour + 1, False, "⏸ 暂停"


@callback(Output(ids.MAP, "figure"), Output(ids.MAP_CAPTION, "children"), Output(ids.REPLAY_HOURS, "figure"),
          Output(ids.REPLAY_READOUT, "children"),
          Input(ids.GRID_COUNTS, "data"), Input(ids.MAP_MODE, "value"), Input(ids.MAP_SOURCE, "value"),
          Input(ids.REPLAY_DATA, "data"), Input(ids.REPLAY_HOUR, "value"), Input(ids.FORECAST_DATA, "data"))
def show_map(window, mode, source, replay, hour, forecast):
    if source != "replay" and ctx.triggered_id in (ids.REPLAY_DATA, ids.REPLAY_HOUR):
        return no_update, no_update, no_update, no_update      # the replay moves while the map shows the window
    if source != "forecast" and ctx.triggered_id == ids.FORECAST_DATA:
        return no_update, no_update, no_update, no_update
    codes = current_map_data().grids["code"]
    patch = Patch()
    if source == "replay" and replay:
        updates = map_update(codes, replay["by_hour"].get(str(hour), {}), top=replay["peak"] or 1,
                             heat_spread=0.5)   # a lone ticket of the hour must show clearly
        count = replay["totals"][hour]
        caption = f"回放 {replay['day']} {hour:02d}:00–{hour:02d}:59 · 受理 {count:,} 件"
        readout = [f"{hour:02d}:00–{hour:02d}:59 受理 ", _strong(count), f" 件 · 全天 {sum(replay['totals']):,} 件"]
        hours = hours_figure(replay["totals"], hour)
    elif source == "forecast":
        counts = (forecast or {}).get("counts", {})
        updates = map_update(codes, counts)
        caption = (f"{SOURCES['forecast']} {forecast['day']} · 预计受理 {forecast['total']:.0f} 件"
                   if forecast else f"{SOURCES['forecast']} · 尚无模型")
        readout, hours = no_update, no_update
    else:
        window = window or {"counts": {}, "label": "", "received": 0}
        updates = map_update(codes, window["counts"])
        cells = sum(1 for n in window["counts"].values() if n)
        caption = f"{SOURCES['window']} {window['label']} · 受理 {window['received']:,} 件 · 涉及网格 {cells:,} 个"
        readout, hours = no_update, no_update
    visibility = mode_update(mode)
    for index, props in updates.items():
        _set_trace(patch, index, {**props, **visibility[index]})
    return patch, caption, hours, readout


def _set_trace(patch: Patch, index: int, props: dict) -> None:
    """Set trace properties in place; "colorbar.dtick" sets that one property, not the whole colour bar."""
    for key, value in props.items():
        target = patch["data"][index]
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target[parent]
        target[leaf] = value


def _strong(count: int) -> html.Strong:
    return html.Strong(f"{count:,}")


@callback(Output({"type": ids.QUICK, "range": ALL}, "className"), Input(ids.DATES, "start_date"),
          Input(ids.DATES, "end_date"), State({"type": ids.QUICK, "range": ALL}, "id"))
def mark_quick_range(start, end, buttons):
    """The quick range that the chosen dates are, if any, shows as pressed."""
    first, _last = analytics.history_extent()
    today = analytics.today()
    chosen = (str(start)[:10], str(end)[:10])
    return ["an-quick active" if tuple(d.isoformat() for d in analytics.quick_range(b["range"], today, first)) == chosen
            else "an-quick" for b in buttons]
