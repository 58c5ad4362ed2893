"""The leader view's mediation and risk-assessment blocks as charts (pure: counts in, figures out): cases by kind,
projects by risk level and by decision — the same horizontal bars as the 民主恳谈 block."""
from __future__ import annotations

import plotly.graph_objects as go

from layers.consultation_charts import horizontal_bars

KIND_COLOUR = "#2a8bb0"
LEVEL_COLOURS = {"高": "#ff7a59", "中": "#ffb020", "低": "#5fd38d"}
DECISION_COLOURS = {"准予实施": "#5fd38d", "调整后实施": "#2a8bb0", "暂缓实施": "#ffb020", "不予实施": "#ff7a59"}


def kinds_figure(by_kind: dict[str, int]) -> go.Figure:
    return horizontal_bars(list(by_kind), list(by_kind.values()), KIND_COLOUR, "件")


def levels_figure(by_level: dict[str, int]) -> go.Figure:
    labels = [f"{level}风险" for level in by_level]
    return horizontal_bars(labels, list(by_level.values()), [LEVEL_COLOURS.get(lv, KIND_COLOUR) for lv in by_level],
                           "项")


def decisions_figure(by_decision: dict[str, int]) -> go.Figure:
    return horizontal_bars(list(by_decision), list(by_decision.values()),
                           [DECISION_COLOURS.get(d, KIND_COLOUR) for d in by_decision], "项")
