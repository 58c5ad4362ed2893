"""Charts of the leader view (pure: rows in, figures out): the trend by day or week, and a day's 24 hours."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import plotly.graph_objects as go

from layers.style import TEXT

GRANULARITIES = {"day": "按日", "week": "按周"}
BAR = "#2a8bb0"
BAR_PARTIAL = "rgba(42, 139, 176, 0.45)"
LINE = "#f0b429"
AVERAGE = "#e8f1ff"
GRID_LINE = "rgba(127, 211, 255, 0.12)"
MUTED = "#8fb0d4"
HIGHLIGHT = "#ff8a3d"


def dark_layout(**extra: Any) -> dict[str, Any]:
    layout = {
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": TEXT, "size": 14,
                 "family": '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif'},
        "margin": {"l": 56, "r": 56, "t": 10, "b": 40},
        "hoverlabel": {"font": {"size": 14}}, "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.12, "font": {"size": 13, "color": MUTED},
                   "bgcolor": "rgba(0,0,0,0)"},
    }
    layout.update(extra)
    return layout


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": GRID_LINE, "zeroline": False, "linecolor": GRID_LINE, "tickfont": {"color": MUTED},
            **extra}


def moving_average(values: list[float], span: int = 7) -> list[float | None]:
    """Trailing mean over ``span`` values; None until there are ``span`` of them."""
    out: list[float | None] = []
    for i in range(len(values)):
        out.append(None if i + 1 < span else sum(values[i + 1 - span:i + 1]) / span)
    return out


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def trend_figure(rows: list[dict], granularity: str = "day") -> go.Figure:
    """受理量 as bars (a 7-day average line by day), 按时办结率 as a line on the right axis.
    ``rows``: services.analytics daily (``day``) or weekly (``week``, ``days``) rows with their rates."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; expected one of {sorted(GRANULARITIES)}")
    key = "day" if granularity == "day" else "week"
    x = [r[key] for r in rows]
    received = [r["received"] for r in rows]
    if granularity == "week":
        # A week the window cuts holds fewer days: drawn paler so it is not read as a dip.
        colours = [BAR if r.get("days", 7) == 7 else BAR_PARTIAL for r in rows]
        labels = [f"{w:%m-%d}–{w + timedelta(days=6):%m-%d}" for w in x]
    else:
        colours = BAR
        labels = [f"{d:%Y-%m-%d}" for d in x]
    traces: list[go.BaseTraceType] = [go.Bar(
        x=x, y=received, name="受理量", marker={"color": colours, "line": {"width": 0}}, customdata=labels,
        hovertemplate="%{customdata}<br>受理 %{y:,} 件<extra></extra>")]
    if granularity == "day" and len(rows) >= 14:
        traces.append(go.Scatter(x=x, y=moving_average(received), name="7日均值", mode="lines",
                                 line={"color": AVERAGE, "width": 1.5, "dash": "dot"},
                                 hovertemplate="7日均值 %{y:.1f}<extra></extra>"))
    traces.append(go.Scatter(x=x, y=[_percent(r.get("on_time_rate")) for r in rows], name="按时办结率",
                             yaxis="y2", mode="lines", connectgaps=False, line={"color": LINE, "width": 2},
                             hovertemplate="按时办结率 %{y:.1f}%<extra></extra>"))
    figure = go.Figure(traces)
    figure.update_layout(**dark_layout(
        bargap=0.15 if granularity == "week" else 0.05,
        xaxis=_axis(type="date", tickformat="%m-%d" if len(rows) <= 120 else "%Y-%m", hoverformat="%Y-%m-%d"),
        yaxis=_axis(title={"text": "受理量（件）", "font": {"color": MUTED, "size": 13}}, rangemode="tozero"),
        yaxis2=_axis(title={"text": "按时办结率（%）", "font": {"color": MUTED, "size": 13}}, overlaying="y",
                     side="right", range=[0, 105], showgrid=False, tickmode="array",
                     tickvals=[0, 20, 40, 60, 80, 100])))
    return figure


def hours_figure(totals: list[int], current: int | None = None) -> go.Figure:
    """A day's 24 hourly counts as small bars, the replayed hour highlighted."""
    colours = [HIGHLIGHT if h == current else BAR for h in range(24)]
    figure = go.Figure(go.Bar(
        x=list(range(24)), y=totals, marker={"color": colours, "line": {"width": 0}},
        hovertemplate="%{x}:00–%{x}:59 受理 %{y} 件<extra></extra>"))
    figure.update_layout(**dark_layout(
        margin={"l": 8, "r": 8, "t": 4, "b": 4}, height=64, bargap=0.12, hovermode="closest", showlegend=False,
        xaxis={"visible": False, "range": [-0.5, 23.5], "fixedrange": True},
        yaxis={"visible": False, "rangemode": "tozero", "fixedrange": True}))
    return figure
