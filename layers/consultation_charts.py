"""The leader view's 民主恳谈 block as charts (pure: counts in, figures out): this year's sessions by topic and by
active step, and the decisions' follow-up milestones done and open."""
from __future__ import annotations

import plotly.graph_objects as go

from layers.charts import GRID_LINE, MUTED, dark_layout
from layers.consultation import STEP_COLOURS

TOPIC_COLOUR = "#2a8bb0"
DONE, OPEN, LATE = "#5fd38d", "#ffb020", "#ff7a59"


def _bars(labels: list[str], values: list[int], colours, unit: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker={"color": colours, "line": {"width": 0}},
                              text=values, textposition="outside", cliponaxis=False,
                              hovertemplate=f"%{{y}} %{{x}} {unit}<extra></extra>"))
    figure.update_layout(**dark_layout(
        margin={"l": 80, "r": 36, "t": 6, "b": 6}, height=230, showlegend=False, hovermode="closest", bargap=0.3,
        xaxis={"visible": False, "rangemode": "tozero", "fixedrange": True},
        yaxis={"autorange": "reversed", "tickfont": {"color": MUTED}, "fixedrange": True, "gridcolor": GRID_LINE}))
    return figure


horizontal_bars = _bars        # the leader view's other programme blocks draw the same bars


def topics_figure(by_topic: dict[str, int]) -> go.Figure:
    return _bars(list(by_topic), list(by_topic.values()), TOPIC_COLOUR, "场")


def steps_figure(by_step: dict[str, int]) -> go.Figure:
    return _bars(list(by_step), list(by_step.values()), list(STEP_COLOURS[:len(by_step)]), "场")


def follow_ups_figure(follow_ups: dict[str, int]) -> go.Figure:
    """Done, open on time, open and late: one bar each."""
    on_time = follow_ups["open"] - follow_ups["late"]
    return _bars(["已完成", "推进中", "已逾期"], [follow_ups["done"], on_time, follow_ups["late"]], [DONE, OPEN, LATE],
                 "项")
