"""The 民主恳谈 map layer and the leader view's charts: pure functions from rows and counts to Plotly."""
from __future__ import annotations

from layers.consultation import NAME, STEP_COLOURS, sessions_trace
from layers.consultation_charts import follow_ups_figure, steps_figure, topics_figure
from workorders.consultation import STEPS, TOPICS


def session(number: str, grid: str, step: int) -> dict:
    return {"number": number, "title": "加装<b>电梯</b>", "topic": "城市建设", "grid_code": grid, "community": "幸福社区",
            "lon": 123.0, "lat": 41.1, "step": step}


def test_one_marker_per_session_coloured_by_step_and_spread_within_a_cell():
    trace = sessions_trace([session("K1", "G1", 0), session("K2", "G1", 4), session("K3", "G2", 2)])
    assert trace["name"] == NAME and trace["customdata"] == ["K1", "K2", "K3"]
    assert trace["marker"]["color"] == [STEP_COLOURS[0], STEP_COLOURS[4], STEP_COLOURS[2]]
    assert trace["lon"][0] != trace["lon"][1] and trace["lon"][2] == 123.0      # the second in G1 moved aside
    assert "&lt;b&gt;" in trace["text"][0] and "情况反馈" in trace["text"][1]       # typed text escaped
    assert sessions_trace([])["lon"] == []


def test_the_charts_show_every_topic_step_and_follow_up_state():
    assert list(topics_figure({t: i for i, t in enumerate(TOPICS)}).data[0].y) == list(TOPICS)
    assert list(steps_figure({s: 1 for s in STEPS}).data[0].x) == [1] * 5
    bars = follow_ups_figure({"done": 5, "open": 4, "late": 1}).data[0]
    assert list(bars.y) == ["已完成", "推进中", "已逾期"] and list(bars.x) == [5, 3, 1]
